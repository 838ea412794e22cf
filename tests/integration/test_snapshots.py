"""Snapshots read together are the snapshots each message would have read alone.

A worker reads the snapshots of all the messages it claimed with one set of statements
(`store.snapshot.build_snapshots`) and gives each message the part of the rows its own
look-ups find. On a directory drawn at random (users with aliases in other case, shared
addresses, mailboxes, several projects, lists, conversations held by several projects each
in its own thread, emails stored twice under one Message-ID, interactions logged at the same
moment), every request read in one batch must equal the same request read alone.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from store.database import Store
from store.models import (
    Base,
    Contact,
    ContactAddress,
    IgnoredEntry,
    Interaction,
    Mailbox,
    MailboxProject,
    Membership,
    Message,
    NeverLogEntry,
    Project,
    ProjectAddress,
    Thread,
    User,
    UserAlias,
)
from store.snapshot import EmailKey, Snapshot, SnapshotRequest, build_snapshot, build_snapshots

SEED = 20261126
PROJECTS = 4
USERS = 7
CONTACTS = 40
THREADS = 12
REQUESTS = 60
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _directory(rng: random.Random) -> tuple[list[object], dict[str, Any]]:
    """Return rows of a random directory and the pools requests draw from."""
    rows: list[object] = []
    projects = [Project(id=f"p{i}", name=f"P{i}", slug=f"p{i}",
                        logging_mode=rng.choice(["replies_only", "all"]),
                        store_bodies=rng.random() < 0.5) for i in range(PROJECTS)]
    rows += projects
    pool: dict[str, Any] = {"project": [p.id for p in projects], "address": [],
                                  "user": [], "mailbox": [], "message": [], "root": []}
    for p in projects:
        address = f"{p.slug}.tok@in.test"
        rows.append(ProjectAddress(project_id=p.id, kind="bcc", address=address))
        rows.append(IgnoredEntry(project_id=p.id, pattern=f"noreply{rng.randrange(3)}@x.test"))
        rows.append(NeverLogEntry(project_id=p.id, address=f"c{rng.randrange(CONTACTS)}@c.test"))
        pool["address"].append(address)
    rows.append(IgnoredEntry(project_id=None, pattern="bounces.test"))
    for i in range(USERS):
        # Stored in mixed case: the look-up compares the stored value as it is.
        email = f"u{i}@team.test" if i % 3 else f"U{i}@Team.test"
        rows.append(User(id=f"u{i}", name=f"U{i}", email=email,
                         personal_email_access=rng.random() < 0.5))
        rows.append(UserAlias(user_id=f"u{i}", address=f"alias{i}@home.test"))
        for pid in rng.sample(pool["project"], rng.randrange(3)):
            rows.append(Membership(project_id=pid, user_id=f"u{i}"))
        pool["address"] += [email, email.lower(), f"alias{i}@home.test"]
        pool["user"].append(f"u{i}")
        if i % 2:
            rows.append(Mailbox(id=f"m{i}", user_id=f"u{i}", address=f"box{i}@mail.test"))
            for pid in rng.sample(pool["project"], rng.randrange(3)):
                rows.append(MailboxProject(mailbox_id=f"m{i}", project_id=pid))
            pool["address"].append(f"box{i}@mail.test")
            pool["mailbox"].append(f"m{i}")
    pool["contacts of"] = {pid: [] for pid in pool["project"]}
    for i in range(CONTACTS):
        pid = rng.choice(pool["project"])
        pool["contacts of"][pid].append(f"k{i:02d}")
        rows.append(Contact(id=f"k{i:02d}", project_id=pid, external_id=f"k{i}", name=f"K{i}",
                            owner_id=rng.choice([None, *pool["user"]])))
        # Some addresses belong to contacts of several projects.
        for address in {f"c{i}@c.test", f"c{rng.randrange(CONTACTS)}@c.test"}:
            rows.append(ContactAddress(contact_id=f"k{i:02d}", project_id=pid, address=address))
            pool["address"].append(address)
    rows += _threads(rng, pool)
    return rows, pool


def _threads(rng: random.Random, pool: dict[str, Any]) -> list[object]:
    """Conversations, each held by one or two projects in a thread of their own (SPEC §9).

    Some start at a root no project stores (a reply recorded before its original); some
    Message-IDs are stored twice in a project (another email reusing it), or without a
    fingerprint (recorded before fingerprints were kept).
    """
    rows: list[object] = []
    for t in range(THREADS):
        root = rng.choice([f"<t{t}-0@x.test>", f"<root{t}@x.test>"])
        pool["root"].append(root)
        holders = rng.sample(pool["project"], rng.randrange(1, 3))
        for pid in holders:
            rows.append(Thread(
                id=f"t{t:02d}{pid}", project_id=pid, root_id=root,
                status=rng.choice(["open", "assigned", "pending"]),
                assigned_project_ids=rng.sample(pool["project"], rng.randrange(2)),
                candidate_project_ids=holders,
                created_at=T0 + timedelta(minutes=rng.randrange(5))))
        for m in range(rng.randrange(1, 4)):
            message_id = f"<t{t}-{m}@x.test>"
            pool["message"].append(message_id)
            for pid in holders:
                rows += _stored_emails(rng, pool, pid, f"t{t:02d}{pid}", message_id)
    return rows


def _stored_emails(rng: random.Random, pool: dict[str, Any], pid: str, thread_id: str,
                   message_id: str) -> list[object]:
    """One or two emails the project stores under the Message-ID, with their interactions."""
    rows: list[object] = []
    fingerprints: list[str | None] = rng.choice([[None], ["fa"], ["fa", "fb"]])
    for n, fingerprint in enumerate(fingerprints):
        ref = f"{thread_id}{message_id}{n}"
        rows.append(Message(id=ref, project_id=pid, message_id=message_id,
                            fingerprint=fingerprint, thread_id=thread_id,
                            received_id=rng.choice([None, f"r-{ref}"])))
        contacts = pool["contacts of"][pid]
        for contact_id in rng.sample(contacts, min(len(contacts), rng.randrange(3))):
            # Few distinct moments: interactions logged at the same time are common.
            rows.append(Interaction(
                project_id=pid, contact_id=contact_id, message_ref=ref, thread_id=thread_id,
                user_id=rng.choice([None, *pool["user"]]),
                logged_at=T0 + timedelta(hours=rng.randrange(3)),
                unlogged_at=T0 if rng.random() < 0.2 else None))
    return rows


def _email(rng: random.Random, pool: dict[str, Any]) -> EmailKey:
    message_id = rng.choice([f"<new-{rng.random()}@x.test>", *pool["message"]])
    thread_ids = tuple(rng.sample(pool["message"], rng.randrange(3))) + (
        ("<unknown@x.test>",) if rng.random() < 0.3 else ())
    root_id = rng.choice([*pool["root"], message_id, *thread_ids[:1]])
    return EmailKey(message_id, thread_ids, root_id)


def _request(rng: random.Random, pool: dict[str, Any]) -> SnapshotRequest:
    addresses = rng.sample(pool["address"], rng.randrange(1, 6)) + ["stranger@out.test"]
    return SnapshotRequest(
        addresses=frozenset(addresses),
        project_ids=tuple(rng.sample(pool["project"], rng.randrange(3))),
        user_id=rng.choice([None, None, *pool["user"]]),
        mailbox_id=rng.choice([None, None, *pool["mailbox"]]),
        # A forward asks for its original's conversation too.
        emails=tuple(_email(rng, pool) for _ in range(rng.choice([1, 1, 2]))))


def test_snapshots_read_together_equal_each_read_alone(store: Store) -> None:
    rng = random.Random(SEED)
    rows, pool = _directory(rng)
    with store.write() as session:
        # Table by table, parents first (the rows are linked by ids, not relationships).
        for table in Base.metadata.sorted_tables:
            session.add_all(row for row in rows if getattr(row, "__table__", None) is table)
            session.flush()
    requests = [_request(rng, pool) for _ in range(REQUESTS)]

    with store.read() as session:
        together = build_snapshots(session, requests)
        alone = [build_snapshot(session, request) for request in requests]

    assert together == alone
    _assert_every_part_is_reached(alone)


def _assert_every_part_is_reached(alone: list[Snapshot]) -> None:
    """The draw reaches every part of a snapshot, so the comparison is not vacuous."""
    directories = [s.directory for s in alone]
    assert all(any(getattr(d, part) for d in directories) for part in (
        "users", "projects", "contacts", "mailboxes", "project_addresses", "global_ignored"))
    projects = [p for d in directories for p in d.projects]
    assert any(p.never_log for p in projects) and any(p.member_ids for p in projects)
    threads = [t for p in projects for t in p.threads]
    assert any(t.logged_message_ids for t in threads)
    assert any(t.credited_user_id for t in threads)
    assert {t.status for t in threads if t.id} == {"open", "pending", "assigned"}
    assert any(t.assigned_project_ids for t in threads)
    assert any(len(t.stored_fingerprints) > 1 for t in threads)
    assert any("" in t.stored_fingerprints for t in threads)
    # A forward's two emails, each with its own conversation, in one snapshot.
    assert any(len({t.id for t in p.threads if t.id}) > 1 for p in projects)
    stored = [e for s in alone for e in s.stored]
    assert any(e.received_id for e in stored) and any(e.fingerprint is None for e in stored)
