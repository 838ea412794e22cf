"""Reads whose cost must not grow with the history: SQLite's plans use an index.

The store keeps every received message and decision, so a statement that scans or sorts
one of those tables gets slower every day. Each test runs the real query on a real store
and reads the plan SQLite chose for the statements it sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from store.models import (
    Contact,
    Decision,
    Interaction,
    Message,
    Project,
    ReceivedMessage,
    Thread,
)
from store.queries.contacts import list_contacts
from store.queries.received import Viewer, list_received, thread_decisions
from store.queries.threads import list_threads
from store.snapshot import SnapshotRequest, build_snapshot
from tests.directory import email

GROWING = ("received_messages", "received_raws", "decisions", "messages", "interactions",
           "threads", "contacts", "contact_addresses")


async def _plans(engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession],
                 query: Callable[[AsyncSession], Awaitable[Any]]) -> list[list[str]]:
    """Run `query` in a session; return the plan of every statement it sent."""
    sent: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", keep)
    try:
        async with sessionmaker() as session:
            await query(session)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", keep)
    plans = []
    async with engine.connect() as connection:
        for statement, parameters in sent:
            if statement.lstrip().upper().startswith(("SELECT", "WITH")):
                rows = await connection.exec_driver_sql(
                    f"EXPLAIN QUERY PLAN {statement}", parameters)
                plans.append([str(tuple(row)[3]) for row in rows])
    return plans


def _history_scans(plan: list[str]) -> list[str]:
    return [step for step in plan if "TEMP B-TREE" in step or any(
        step == f"SCAN {table}" for table in GROWING)]


@dataclass(frozen=True)
class Stored:
    """What the fixture wrote: a project, its contact, a logged message and its thread."""

    project_id: str
    thread_id: str


@pytest.fixture
async def stored(engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
                 ) -> Stored:
    """A thread with a message logged on a contact, the received message and its decision."""
    if engine.dialect.name != "sqlite":
        pytest.skip("reads SQLite's query plans")
    async with sessionmaker.begin() as session:
        project = Project(name="Acme", slug="acme")
        thread = Thread(subject="Offer", participants=[], candidate_project_ids=[],
                        assigned_project_ids=[])
        session.add_all([project, thread])
        await session.flush()
        contact = Contact(project_id=project.id, external_id="bob")
        message = Message(message_id="<offer@acme.test>", thread_id=thread.id,
                          subject="Offer", from_address="bob@client.test", from_name="",
                          to=[], cc=[], preview="", attachments=[])
        session.add_all([contact, message])
        await session.flush()
        received = ReceivedMessage(channel="bcc", status="done", message_ref=message.id,
                                   raw=email("bob@client.test", "alice@acme.test"))
        session.add_all([received, Interaction(
            project_id=project.id, contact_id=contact.id, message_ref=message.id,
            thread_id=thread.id)])
        await session.flush()
        session.add(Decision(received_message_id=received.id, rules_version="1",
                             body={"outcomes": []}))
        return Stored(project.id, thread.id)


async def test_a_page_of_received_messages_is_read_in_index_order(
        stored: Stored, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async def pages(session: AsyncSession) -> None:
        first = await list_received(session, Viewer(None, None), message_id=None,
                                    status=None, before=None, limit=1)
        assert len(first.items) == 1
        newest = first.items[0]
        await list_received(session, Viewer(None, None), message_id=None, status=None,
                            before=(newest.received_at, newest.id), limit=1)

    plans = await _plans(engine, sessionmaker, pages)

    assert len(plans) == 2
    assert [_history_scans(plan) for plan in plans] == [[], []], plans


async def test_a_threads_decisions_are_found_from_the_thread(
        stored: Stored, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async def decisions(session: AsyncSession) -> None:
        assert [body for _, body in await thread_decisions(session, stored.thread_id)] == [
            {"outcomes": []}]

    plans = await _plans(engine, sessionmaker, decisions)

    assert len(plans) == 1
    # Ordered by received time: the few rows of one thread are sorted, nothing else.
    assert [step for step in _history_scans(plans[0]) if "TEMP B-TREE" not in step] == []
    assert any(step.startswith("SEARCH messages USING INDEX ix_messages_thread_id")
               for step in plans[0]), plans


async def test_a_replys_thread_history_is_read_by_message_and_by_thread(
        stored: Stored, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """Run for every message that replies or belongs to a known thread (SPEC §6.4)."""
    request = SnapshotRequest(addresses=frozenset({"bob@client.test"}),
                              project_ids=(stored.project_id,), message_id="<reply@acme.test>",
                              thread_ids=("<offer@acme.test>",))

    async def snapshot(session: AsyncSession) -> None:
        [project] = (await build_snapshot(session, request)).projects
        assert project.logged_message_ids == frozenset({"<offer@acme.test>"})

    plans = await _plans(engine, sessionmaker, snapshot)

    interaction_reads = [step for plan in plans for step in plan if " interactions " in step]
    assert sorted(interaction_reads) == [
        ("SEARCH interactions USING INDEX ix_interactions_project_message "
         "(project_id=? AND message_ref=?)"),
        "SEARCH interactions USING INDEX ix_interactions_thread_id (thread_id=?)"], plans
    assert [step for plan in plans for step in _history_scans(plan)
            if "TEMP B-TREE" not in step] == [], plans


async def test_pages_of_contacts_and_threads_are_read_in_index_order(
        stored: Stored, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async def pages(session: AsyncSession) -> None:
        contacts = await list_contacts(session, stored.project_id, email=None, after_id=None,
                                       limit=50)
        threads = await list_threads(session, status="open", project_ids=None,
                                     after_id=None, limit=50)
        assert (len(contacts.items), len(threads.items)) == (1, 1)

    plans = await _plans(engine, sessionmaker, pages)

    # The contacts' page, their addresses (loaded with them), the threads' page.
    assert len(plans) == 3
    assert [_history_scans(plan) for plan in plans] == [[], [], []], plans
