"""Snapshots read together are the snapshots each message would have read alone.

A worker reads the snapshots of all the messages it claimed with one set of statements
(`store.snapshot.build_snapshots`) and gives each message the part of the rows its own
look-ups find. On a directory drawn at random (users with aliases in other case, shared
addresses, mailboxes, several projects, lists, threads with interactions logged at the same
moment), every request read in one batch must equal the same request read alone.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store.database import read_only_session
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
from store.snapshot import SnapshotRequest, build_snapshot, build_snapshots

SEED = 20261126
PROJECTS = 4
USERS = 7
CONTACTS = 40
THREADS = 12
REQUESTS = 60
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _directory(rng: random.Random) -> tuple[list[object], dict[str, list[str]]]:
    """Return rows of a random directory and the pools requests draw from."""
    rows: list[object] = []
    projects = [Project(id=f"p{i}", name=f"P{i}", slug=f"p{i}",
                        logging_mode=rng.choice(["replies_only", "all"]),
                        store_bodies=rng.random() < 0.5) for i in range(PROJECTS)]
    rows += projects
    pool: dict[str, list[str]] = {"project": [p.id for p in projects], "address": [],
                                  "user": [], "mailbox": [], "message": []}
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
    for i in range(CONTACTS):
        pid = rng.choice(pool["project"])
        rows.append(Contact(id=f"k{i:02d}", project_id=pid, external_id=f"k{i}", name=f"K{i}",
                            owner_id=rng.choice([None, *pool["user"]])))
        # Some addresses belong to contacts of several projects.
        for address in {f"c{i}@c.test", f"c{rng.randrange(CONTACTS)}@c.test"}:
            rows.append(ContactAddress(contact_id=f"k{i:02d}", project_id=pid, address=address))
            pool["address"].append(address)
    rows += _threads(rng, pool)
    return rows, pool


def _threads(rng: random.Random, pool: dict[str, list[str]]) -> list[object]:
    rows: list[object] = []
    for t in range(THREADS):
        rows.append(Thread(id=f"t{t:02d}", status=rng.choice(["open", "assigned", "pending"]),
                           assigned_project_ids=rng.sample(pool["project"], rng.randrange(2)),
                           created_at=T0 + timedelta(minutes=rng.randrange(5))))
        for m in range(rng.randrange(1, 4)):
            message_id = f"<t{t}-{m}@x.test>"
            rows.append(Message(id=f"t{t}m{m}", message_id=message_id, thread_id=f"t{t:02d}"))
            pool["message"].append(message_id)
            for k in rng.sample(range(CONTACTS), rng.randrange(3)):
                # Few distinct moments: interactions logged at the same time are common.
                rows.append(Interaction(
                    project_id=rng.choice(pool["project"]), contact_id=f"k{k:02d}",
                    message_ref=f"t{t}m{m}", thread_id=f"t{t:02d}",
                    user_id=rng.choice([None, *pool["user"]]),
                    logged_at=T0 + timedelta(hours=rng.randrange(3)),
                    unlogged_at=T0 if rng.random() < 0.2 else None))
    return rows


def _request(rng: random.Random, pool: dict[str, list[str]]) -> SnapshotRequest:
    addresses = rng.sample(pool["address"], rng.randrange(1, 6)) + ["stranger@out.test"]
    return SnapshotRequest(
        addresses=frozenset(addresses),
        project_ids=tuple(rng.sample(pool["project"], rng.randrange(3))),
        user_id=rng.choice([None, None, *pool["user"]]),
        mailbox_id=rng.choice([None, None, *pool["mailbox"]]),
        message_id=rng.choice([f"<new-{rng.random()}@x.test>", *pool["message"]]),
        thread_ids=tuple(rng.sample(pool["message"], rng.randrange(3))) + (
            ("<unknown@x.test>",) if rng.random() < 0.3 else ()))


async def test_snapshots_read_together_equal_each_read_alone(
        sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    rng = random.Random(SEED)
    rows, pool = _directory(rng)
    async with sessionmaker.begin() as session:
        # Table by table, parents first (the rows are linked by ids, not relationships).
        for table in Base.metadata.sorted_tables:
            session.add_all(row for row in rows if getattr(row, "__table__", None) is table)
            await session.flush()
    requests = [_request(rng, pool) for _ in range(REQUESTS)]

    async with read_only_session(sessionmaker) as session:
        together = await build_snapshots(session, requests)
        alone = [await build_snapshot(session, request) for request in requests]

    assert together == alone
    # The draw reaches every part of a snapshot, so the comparison above is not vacuous.
    assert all(any(getattr(s, part) for s in alone) for part in (
        "users", "projects", "contacts", "mailboxes", "project_addresses", "global_ignored"))
    projects = [p for s in alone for p in s.projects]
    assert any(p.logged_message_ids for p in projects)
    assert any(p.thread_user_id for p in projects)
    assert any(p.never_log for p in projects) and any(p.member_ids for p in projects)
    assert any(s.thread.id for s in alone)
