"""Reads whose cost must not grow with the history: SQLite's plans use an index.

The store keeps every received message and decision, so a statement that scans or sorts
one of those tables gets slower every day. Each test runs the real query on a real store
and reads the plan SQLite chose for the statements it sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from blindcopy.runtime import build_context
from config.settings import Settings
from processing.claim import process_claim
from processing.worker import worker_id
from store import spool
from store.database import Store
from store.models import (
    Company,
    CompanyDomain,
    Contact,
    ContactAddress,
    Deal,
    DealContact,
    Decision,
    Interaction,
    InteractionCompany,
    InteractionDeal,
    Membership,
    Message,
    Project,
    ReceivedMessage,
    Thread,
    User,
    new_id,
)
from store.queries.companies import company_timeline
from store.queries.contacts import list_contacts
from store.queries.deals import deal_timeline
from store.queries.interactions import interaction_record
from store.queries.received import Viewer, list_received, newest_decisions
from store.queries.threads import assign_thread, get_thread, list_threads
from store.snapshot import EmailKey, SnapshotRequest, build_snapshot
from tests.directory import email

GROWING = ("received_messages", "received_raws", "decisions", "messages", "interactions",
           "threads", "contacts", "contact_addresses", "companies", "company_domains", "deals",
           "deal_contacts", "interaction_companies", "interaction_deals")
# What SQLite's plans say of the statements' look-ups (by id, by an index).
EXPLAINED = ("SELECT", "WITH", "UPDATE", "DELETE")


def _plans(store: Store, query: Callable[[Session], Any]) -> list[list[str]]:
    """Run `query` in a session (rolled back); return the plan of every statement it sent."""
    def rolled_back() -> None:
        with store.sessionmaker() as session:
            query(session)

    return _plans_of_work(store, rolled_back)


def _plans_of_work(store: Store, work: Callable[[], Any]) -> list[list[str]]:
    """Run `work` (units of work of its own); return the plan of every statement it sent."""
    sent: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", keep)
    try:
        work()
    finally:
        event.remove(store.engine, "before_cursor_execute", keep)
    return _explain(store.engine, sent)


def _explain(engine: Engine, sent: list[tuple[str, Any]]) -> list[list[str]]:
    plans = []
    with engine.connect() as connection:
        for statement, parameters in sent:
            if not statement.lstrip().upper().startswith(EXPLAINED):
                continue
            # An executemany's statement has one plan: explain it with its first row.
            first = parameters[0] if isinstance(parameters, list) else parameters
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", first)
            plans.append([str(tuple(row)[3]) for row in rows])
        connection.rollback()
    return plans


def _history_scans(plan: list[str]) -> list[str]:
    return [step for step in plan if "TEMP B-TREE" in step or any(
        step == f"SCAN {table}" for table in GROWING)]


def _scans(plans: list[list[str]]) -> list[str]:
    """Every full scan of a growing table (sorting the few rows found is allowed)."""
    return [step for plan in plans for step in _history_scans(plan)
            if "TEMP B-TREE" not in step]


def _reads(plans: list[list[str]], table: str) -> list[str]:
    """Every step reading `table`."""
    return [step for plan in plans for step in plan if f" {table} " in step]


@dataclass(frozen=True)
class Stored:
    """What the fixture wrote: a project, its member and contact, a logged message in a
    thread pending on it, the received message and its decision."""

    project_id: str
    user_id: str
    thread_id: str
    received_id: str


@pytest.fixture
def stored(engine: Engine, store: Store) -> Stored:
    """A thread with a message logged on a contact, the received message and its decision."""
    if engine.dialect.name != "sqlite":
        pytest.skip("reads SQLite's query plans")
    project, user, thread, received, contact, message = (new_id() for _ in range(6))
    with store.write() as session:
        session.add_all([Project(id=project, name="Acme", slug="acme"),
                         User(id=user, name="Alice", email="alice@acme.test")])
        session.flush()
        session.add_all([
            Membership(project_id=project, user_id=user),
            ReceivedMessage(id=received, channel="bcc", status="done",
                            message_id="<offer@acme.test>",
                            raw=email("bob@client.test", "alice@acme.test")),
            Thread(id=thread, project_id=project, root_id="<offer@acme.test>", subject="Offer",
                   status="pending", candidate_project_ids=[project],
                   pending_received_ids=[received]),
            Contact(id=contact, project_id=project, external_id="bob")])
        session.flush()
        # Recorded before fingerprints were kept: the next capture of it is the same email.
        session.add_all([
            Message(id=message, project_id=project, message_id="<offer@acme.test>",
                    thread_id=thread, received_id=received, subject="Offer",
                    from_address="bob@client.test", from_name="", to=[], cc=[], preview="",
                    attachments=[]),
            ContactAddress(contact_id=contact, project_id=project, address="bob@client.test")])
        session.flush()
        session.add_all([
            Interaction(project_id=project, contact_id=contact, message_ref=message,
                        thread_id=thread, channels=["bcc"]),
            Decision(received_message_id=received, rules_version="1", body={"outcomes": []})])
    return Stored(project, user, thread, received)


def test_a_page_of_received_messages_is_read_in_index_order(
        stored: Stored, store: Store) -> None:
    def pages(session: Session) -> None:
        first = list_received(session, Viewer(None, None), message_id=None,
                              status=None, before=None, limit=1)
        assert len(first.items) == 1
        newest = first.items[0]
        list_received(session, Viewer(None, None), message_id=None, status=None,
                      before=(newest.received_at, newest.id), limit=1)

    plans = _plans(store, pages)

    assert len(plans) == 2
    assert [_history_scans(plan) for plan in plans] == [[], []], plans


def test_assigning_a_thread_finds_its_siblings_and_waiting_decisions_by_index(
        stored: Stored, store: Store) -> None:
    """The thread's siblings by (project, root), its waiting messages' decisions by id."""
    def assign(session: Session) -> None:
        waiting = assign_thread(session, get_thread(session, stored.thread_id),
                                [stored.project_id])
        session.flush()
        assert list(newest_decisions(session, waiting)) == [stored.received_id]

    plans = _plans(store, assign)

    assert _scans(plans) == [], plans
    siblings = [step for step in _reads(plans, "threads") if step.startswith(
        "SEARCH threads USING INDEX") and step.endswith("(project_id=? AND root_id=?)")]
    assert len(siblings) == 1, plans
    assert _reads(plans, "decisions") == [
        ("SEARCH decisions USING INDEX ix_decisions_received_message_id "
         "(received_message_id=?)")], plans


def test_a_replys_thread_history_is_read_by_message_and_by_thread(
        stored: Stored, store: Store) -> None:
    """Run for every message that replies or belongs to a known thread (SPEC §6.4)."""
    request = SnapshotRequest(
        addresses=frozenset({"bob@client.test"}), project_ids=(stored.project_id,),
        emails=(EmailKey("<reply@acme.test>", ("<offer@acme.test>",), "<offer@acme.test>"),))

    def snapshot(session: Session) -> None:
        [project] = build_snapshot(session, request).directory.projects
        thread = project.thread_for("<reply@acme.test>")
        assert (thread.id, thread.logged_message_ids) == (
            stored.thread_id, frozenset({"<offer@acme.test>"}))

    plans = _plans(store, snapshot)

    assert sorted(_reads(plans, "interactions")) == [
        ("SEARCH interactions USING INDEX ix_interactions_project_message "
         "(project_id=? AND message_ref=?)"),
        "SEARCH interactions USING INDEX ix_interactions_thread_id (thread_id=?)"], plans
    # What the project holds of the conversation: its emails by (project, Message-ID), its
    # thread by (project, root).
    assert [any(step.startswith(f"SEARCH {table} USING INDEX") and step.endswith(key)
                for step in _reads(plans, table))
            for table, key in (("messages", "(project_id=? AND message_id=?)"),
                               ("threads", "(project_id=? AND root_id=?)"))] == [True, True], plans
    assert _scans(plans) == [], plans


def test_a_new_conversations_history_is_read_by_message_only(
        stored: Stored, store: Store) -> None:
    """A message that starts a conversation has no thread to look in: no read of the
    project's interactions by project alone (240 ms of CPU per message at 1M)."""
    request = SnapshotRequest(
        addresses=frozenset({"bob@client.test"}), project_ids=(stored.project_id,),
        emails=(EmailKey("<new@acme.test>", (), "<new@acme.test>"),))

    plans = _plans(store, lambda session: build_snapshot(session, request))

    assert _reads(plans, "interactions") == [
        ("SEARCH interactions USING INDEX ix_interactions_project_message "
         "(project_id=? AND message_ref=?)")], plans
    assert _scans(plans) == [], plans


def test_recording_a_claim_reads_and_changes_stored_rows_by_index(
        stored: Stored, store: Store, settings: Settings) -> None:
    """A second capture of the logged email: the message, thread and interaction it adds
    its channel to are found by their keys, and its claim and settling by the claim index
    and by id."""
    with store.write() as session:
        spool.enqueue(session, ReceivedMessage(
            channel="log", user_id=stored.user_id, project_ids=[stored.project_id],
            received_at=datetime.now(UTC),
            raw=email("alice@acme.test", "bob@client.test", "Offer",
                      message_id="<offer@acme.test>")))
    context = build_context(settings)

    plans = _plans_of_work(store, lambda: process_claim(store, context, worker_id()))
    context.background.close()

    assert _scans(plans) == [], plans
    # The interaction the capture adds its channel to, found by its unique key.
    assert any(step.startswith("SEARCH interactions USING INDEX") and step.endswith(
        "(project_id=? AND contact_id=? AND message_ref=?)")
        for step in _reads(plans, "interactions")), plans
    with store.read() as session:
        [interaction] = session.scalars(select(Interaction)).all()
        assert interaction.channels == ["bcc", "log"]
        [message] = session.scalars(select(Message)).all()
        assert message.fingerprint is not None


def test_pages_of_contacts_and_threads_are_read_in_index_order(
        stored: Stored, store: Store) -> None:
    def pages(session: Session) -> None:
        contacts = list_contacts(session, stored.project_id, email=None, after_id=None,
                                 limit=50)
        threads = list_threads(session, status="pending", project_ids=None,
                               after_id=None, limit=50)
        assert (len(contacts.items), len(threads.items)) == (1, 1)

    plans = _plans(store, pages)

    # The contacts' page, their addresses (loaded with them), the threads' page.
    assert len(plans) == 3
    assert [_history_scans(plan) for plan in plans] == [[], [], []], plans


@dataclass(frozen=True)
class Filed:
    """The stored interaction, filed under a company (client.test) and an open deal."""

    stored: Stored
    company_id: str
    deal_id: str
    interaction_id: str


@pytest.fixture
def filed(stored: Stored, store: Store) -> Filed:
    company, deal = new_id(), new_id()
    now = datetime.now(UTC)
    with store.write() as session:
        project = session.get(Project, stored.project_id)
        assert project is not None
        project.deal_association = "all_open"
        interaction = session.scalars(select(Interaction)).one()
        contact = session.get(Contact, interaction.contact_id)
        assert contact is not None
        session.add_all([Company(id=company, project_id=stored.project_id, external_id="client",
                                 name="Client", domains=[]),
                         Deal(id=deal, project_id=stored.project_id, external_id="d",
                              name="Deal", status="open", updated_at=now)])
        session.flush()
        contact.company_id = company
        session.add_all([
            CompanyDomain(company_id=company, project_id=stored.project_id,
                          domain="client.test"),
            DealContact(deal_id=deal, contact_id=contact.id, project_id=stored.project_id,
                        status="open", updated_at=now),
            InteractionCompany(interaction_id=interaction.id, company_id=company,
                               project_id=stored.project_id, logged_at=interaction.logged_at),
            InteractionDeal(interaction_id=interaction.id, deal_id=deal,
                            project_id=stored.project_id, logged_at=interaction.logged_at)])
        interaction_id = interaction.id
    return Filed(stored, company, deal, interaction_id)


def test_a_snapshot_finds_companies_by_domain_and_open_deals_by_contact(
        filed: Filed, store: Store) -> None:
    """SPEC §12: the look-ups stay flat however many companies and deals a project has."""
    request = SnapshotRequest(
        addresses=frozenset({"bob@eu.client.test", "alice@acme.test"}),
        project_ids=(filed.stored.project_id,),
        emails=(EmailKey("<new@acme.test>", (), "<new@acme.test>"),))
    with store.write() as session:
        session.add(ContactAddress(contact_id=session.scalars(select(Contact.id)).one(),
                                   project_id=filed.stored.project_id,
                                   address="bob@eu.client.test"))

    def snapshot(session: Session) -> None:
        directory = build_snapshot(session, request).directory
        assert [c.id for c in directory.companies] == [filed.company_id]
        assert [d.id for d in directory.deals] == [filed.deal_id]

    plans = _plans(store, snapshot)

    assert _scans(plans) == [], plans
    assert any(step.startswith("SEARCH company_domains USING INDEX "
                               "ix_company_domains_project_domain (project_id=? AND domain=?)")
               for step in _reads(plans, "company_domains")), plans
    assert any(step.startswith("SEARCH deal_contacts USING INDEX "
                               "ix_deal_contacts_contact_status_updated (contact_id=? AND "
                               "status=?)") for step in _reads(plans, "deal_contacts")), plans
    assert all("PRIMARY KEY" in step or "INDEX" in step
               for table in ("companies", "deals") for step in _reads(plans, table)), plans


def test_company_and_deal_timelines_are_read_in_index_order(
        filed: Filed, store: Store) -> None:
    def pages(session: Session) -> None:
        first = company_timeline(session, filed.company_id, before=None, limit=1)
        assert [i.id for i, _m in first.items] == [filed.interaction_id]
        company_timeline(session, filed.company_id,
                         before=(first.items[0][0].logged_at, filed.interaction_id), limit=1)
        assert len(deal_timeline(session, filed.deal_id, before=None, limit=1).items) == 1

    plans = _plans(store, pages)

    assert len(plans) == 3
    assert [_history_scans(plan) for plan in plans] == [[], [], []], plans
    # The later page starts inside the index range (a row value), not at its newest end.
    assert [step for step in _reads(plans, "interaction_companies")] == [
        ("SEARCH interaction_companies USING COVERING INDEX "
         "ix_interaction_companies_company_logged (company_id=?)"),
        ("SEARCH interaction_companies USING COVERING INDEX "
         "ix_interaction_companies_company_logged "
         "(company_id=? AND (logged_at,interaction_id)<(?,?))")], plans


def test_one_interaction_whole_is_read_by_keys(filed: Filed, store: Store) -> None:
    def whole(session: Session) -> None:
        interaction = session.get(Interaction, filed.interaction_id)
        assert interaction is not None
        record = interaction_record(session, interaction)
        assert ([c.id for c in record.companies], [d.id for d in record.deals]) == (
            [filed.company_id], [filed.deal_id])

    plans = _plans(store, whole)

    assert _scans(plans) == [], plans
