"""Build the DirectorySnapshots of messages with indexed look-ups of only their addresses.

One read-only query set: users, projects, contacts, lists and thread state that concern
the messages' participants and candidate projects — never a scan of a whole directory.
Plain column rows (no ORM objects or relationship loads), and rows of the same shape come
back together in one UNION ALL: about seven statements for a claim's messages together,
each asking for what all of them need; each message's snapshot then takes from the rows
exactly what its own look-ups would have found (`tests/integration/test_snapshots.py`
holds the two equal). The statements are built once (`store.snapshot_queries`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from rules.facts import (
    ContactView,
    CreateContacts,
    DirectorySnapshot,
    LoggingMode,
    MailboxView,
    ProjectView,
    SenderAuthMode,
    ThreadView,
    UserView,
)
from store import snapshot_queries as sq


@dataclass(frozen=True, slots=True)
class SnapshotRequest:
    """What the snapshot is for: the message's addresses, ids and capture context."""

    addresses: frozenset[str]
    project_ids: tuple[str, ...] = ()
    user_id: str | None = None
    mailbox_id: str | None = None
    message_id: str = ""
    thread_ids: tuple[str, ...] = ()


UserRows = Sequence[Row[str, str, str, bool]]


def _union(sets: Iterable[Iterable[str]]) -> list[str]:
    return sorted({value for values in sets for value in values})


@dataclass(slots=True)
class _People:
    """Users (with aliases, memberships, mailboxes) as read for several messages at once."""

    views: dict[str, UserView] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)  # as stored (the view's is lowered)
    mailboxes: dict[str, MailboxView] = field(default_factory=dict)

    def of(self, request: SnapshotRequest) -> tuple[UserView, ...]:
        """The users the request's own look-up finds: by address, alias, mailbox or id."""
        return tuple(view for view in self.views.values() if self._found(view, request))

    def _found(self, view: UserView, request: SnapshotRequest) -> bool:
        addresses = request.addresses
        if view.id == request.user_id or self.emails[view.id] in addresses:
            return True
        if any(alias in addresses for alias in view.aliases):
            return True
        return any(box.user_id == view.id and (box.address in addresses
                                               or box.id == request.mailbox_id)
                   for box in self.mailboxes.values())

    def mailboxes_of(self, request: SnapshotRequest, users: tuple[UserView, ...]
                     ) -> dict[str, MailboxView]:
        """The mailboxes of the request's users, and the request's own mailbox."""
        ids = {user.id for user in users}
        return {box_id: box for box_id, box in self.mailboxes.items()
                if box.user_id in ids or box_id == request.mailbox_id}


def _read_people(connection: Connection, users: UserRows,
                 mailbox_ids: Sequence[str] = ()) -> _People:
    people = _People()
    if not users and not mailbox_ids:
        return people
    aliases: dict[str, list[str]] = defaultdict(list)
    memberships: dict[str, list[str]] = defaultdict(list)
    boxes: dict[str, tuple[str, str, list[str]]] = {}
    rows = connection.execute(sq.details_query(bool(mailbox_ids)), {
        "user_ids": [u[0] for u in users], "mailbox_ids": list(mailbox_ids)}).all()
    for kind, user_id, value, box_id, project_id in rows:
        if kind == sq.ALIAS:
            aliases[user_id].append(value)
        elif kind == sq.MEMBER:
            memberships[user_id].append(value)
        else:
            box = boxes.setdefault(box_id, (user_id, value, []))
            if project_id is not None:
                box[2].append(project_id)
    people.mailboxes = {box_id: MailboxView(box_id, user_id, address, tuple(sorted(projects)))
                        for box_id, (user_id, address, projects) in sorted(boxes.items())}
    people.views = {
        user_id: UserView(
            id=user_id, name=name, email=email.lower(), aliases=tuple(sorted(aliases[user_id])),
            mailboxes=tuple(m.address for m in people.mailboxes.values()
                            if m.user_id == user_id),
            project_ids=tuple(sorted(memberships[user_id])),
            personal_email_access=personal,
        )
        for user_id, name, email, personal in sorted(users)
    }
    people.emails = {user_id: email for user_id, _name, email, _personal in users}
    return people


def _people(connection: Connection, requests: Sequence[SnapshotRequest]) -> _People:
    user_ids = _union([r.user_id] if r.user_id else () for r in requests)
    mailbox_ids = _union([r.mailbox_id] if r.mailbox_id else () for r in requests)
    users = connection.execute(sq.user_rows_query(bool(user_ids), bool(mailbox_ids)), {
        "addresses": _union(r.addresses for r in requests), "user_ids": user_ids,
        "mailbox_ids": mailbox_ids}).all()
    return _read_people(connection, users, mailbox_ids)


def _candidate_ids(request: SnapshotRequest, users: tuple[UserView, ...],
                   mailboxes: Iterable[MailboxView]) -> set[str]:
    ids = set(request.project_ids)
    ids.update(pid for m in mailboxes if m.id == request.mailbox_id for pid in m.project_ids)
    if not request.project_ids and request.user_id:
        ids.update(pid for u in users if u.id == request.user_id for pid in u.project_ids)
    return ids


@dataclass(slots=True)
class _Lists:
    """Ignored patterns per project (None: global), never-log addresses, project addresses."""

    ignored: dict[str | None, list[str]] = field(default_factory=lambda: defaultdict(list))
    never: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    project_addresses: set[str] = field(default_factory=set)


def _lists(connection: Connection, project_ids: list[str], addresses: list[str]) -> _Lists:
    lists = _Lists()
    rows = connection.execute(sq.lists_query(), {
        "project_ids": project_ids, "addresses": addresses}).all()
    for kind, project_id, value in sorted(rows, key=lambda row: (row[0], row[2])):
        if kind == sq.IGNORED:
            lists.ignored[project_id].append(value)
        elif kind == sq.NEVER_LOG:
            lists.never[project_id].add(value)
        else:
            lists.project_addresses.add(value)
    return lists


@dataclass(frozen=True, slots=True)
class _ContactRows:
    """A contact as read, with each of its addresses' (address, project id)."""

    view: ContactView
    keys: tuple[tuple[str, str], ...]

    def found_by(self, project_ids: set[str], addresses: frozenset[str]) -> bool:
        """Tell whether the request's look-up (its projects × its addresses) finds it."""
        return any(project_id in project_ids and address in addresses
                   for address, project_id in self.keys)


def _contacts(connection: Connection, project_ids: list[str],
              addresses: list[str]) -> list[_ContactRows]:
    if not project_ids:
        return []
    contacts: dict[str, tuple[str, str, str | None, list[tuple[str, str]]]] = {}
    rows = connection.execute(sq.contacts_query(), {
        "project_ids": project_ids, "addresses": addresses}).all()
    for contact_id, project_id, name, owner_id, address, address_project_id in rows:
        contacts.setdefault(contact_id, (project_id, name, owner_id, []))[3].append(
            (address, address_project_id))
    return [_ContactRows(ContactView(id=contact_id, project_id=project_id, name=name,
                                     addresses=tuple(a for a, _ in keys), owner_id=owner_id),
                         tuple(keys))
            for contact_id, (project_id, name, owner_id, keys) in contacts.items()]


def _owners(connection: Connection, owner_ids: list[str]) -> dict[str, UserView]:
    """Return the users who own matched contacts, by id."""
    if not owner_ids:
        return {}
    owners = connection.execute(sq.owners_query(), {"user_ids": owner_ids}).all()
    return _read_people(connection, owners).views


def _thread_ids_of(request: SnapshotRequest) -> list[str]:
    return [request.message_id, *request.thread_ids]


def _threads(connection: Connection, requests: Sequence[SnapshotRequest]
             ) -> dict[str, tuple[Any, ThreadView]]:
    """Return (created_at, thread) of each message id that names a stored message."""
    rows = connection.execute(sq.thread_query(), {
        "ids": _union(_thread_ids_of(r) for r in requests)}).all()
    return {message_id: ((created_at, thread_id),
                         ThreadView(thread_id, status, tuple(assigned)))
            for message_id, thread_id, status, assigned, created_at in rows}


def _thread_of(request: SnapshotRequest, threads: dict[str, tuple[Any, ThreadView]]
               ) -> ThreadView | None:
    """The earliest created thread of the message or of one it refers to."""
    found = [threads[i] for i in _thread_ids_of(request) if i in threads]
    return min(found, key=lambda pair: pair[0])[1] if found else None


HistoryRow = tuple[str, str | None, str, Any, str, str]


def _history(connection: Connection, wanted: list[tuple[SnapshotRequest, ThreadView | None,
                                                         set[str]]]) -> list[HistoryRow]:
    """The interactions any of the requests' thread histories may need, oldest first."""
    # A new message that references nothing and belongs to no thread has no history.
    wanted = [(r, t, p) for r, t, p in wanted if p and (t is not None or r.thread_ids)]
    thread_ids = _union(r.thread_ids for r, _, _ in wanted)
    threads = _union([t.id] if t is not None and t.id else () for _, t, _ in wanted)
    if not thread_ids and not threads:
        return []
    rows = connection.execute(sq.thread_history_query(bool(thread_ids), bool(threads)), {
        "thread_ids": thread_ids, "threads": threads,
        "project_ids": _union(p for _, _, p in wanted)}).all()
    return sorted((tuple(row) for row in rows), key=lambda row: (row[3], row[5]))


def _thread_history(request: SnapshotRequest, thread: ThreadView | None,
                    project_ids: set[str], rows: list[HistoryRow]
                    ) -> tuple[dict[str, set[str]], dict[str, str]]:
    """Return logged referenced ids per project and the credited user per project."""
    logged: dict[str, set[str]] = defaultdict(set)
    credited: dict[str, str] = {}
    thread_id = thread.id if thread is not None else None
    for project_id, user_id, message_id, _logged_at, in_thread, _id in rows:
        referenced = message_id in request.thread_ids
        if project_id not in project_ids or not (
                referenced or (thread_id is not None and in_thread == thread_id)):
            continue
        if referenced:
            logged[project_id].add(message_id)
        if user_id and project_id not in credited:
            credited[project_id] = user_id
    return logged, credited


ProjectRow = tuple[Any, ...]


def _project_rows(connection: Connection, project_ids: list[str]) -> list[ProjectRow]:
    if not project_ids:
        return []
    return [tuple(row) for row in connection.execute(
        sq.project_views_query(), {"project_ids": project_ids})]


def _project_views(rows: list[ProjectRow], project_ids: set[str],
                   members: dict[str, set[str]], lists: _Lists, addresses: frozenset[str],
                   logged: dict[str, set[str]], credited: dict[str, str]
                   ) -> tuple[ProjectView, ...]:
    return tuple(
        ProjectView(
            id=pid, name=name, interaction_type=interaction_type,
            logging_mode=LoggingMode(logging_mode), sender_auth=SenderAuthMode(sender_auth),
            create_contacts=CreateContacts(create_contacts),
            member_ids=frozenset(members[pid]), ignored=tuple(lists.ignored[pid]),
            never_log=frozenset(lists.never[pid] & addresses),
            logged_message_ids=frozenset(logged[pid]),
            thread_user_id=credited.get(pid), store_bodies=bool(store_bodies),
        )
        for pid, name, interaction_type, logging_mode, sender_auth, create_contacts, store_bodies
        in rows if pid in project_ids
    )


async def build_snapshot(session: AsyncSession, request: SnapshotRequest) -> DirectorySnapshot:
    """Return the directory snapshot for one message, read in the session's transaction."""
    return (await build_snapshots(session, [request]))[0]


async def build_snapshots(session: AsyncSession, requests: Sequence[SnapshotRequest]
                          ) -> list[DirectorySnapshot]:
    """Return the directory snapshots of several messages, read together in one go.

    Each is what reading it alone would give (in the session's transaction).
    """
    if not requests:
        return []
    return await session.run_sync(_snapshots_of_session, requests)


def _snapshots_of_session(session: Session, requests: Sequence[SnapshotRequest]
                          ) -> list[DirectorySnapshot]:
    # One greenlet for all the reads, on the session's connection (Core, not the ORM):
    # each `AsyncSession.execute` costs a greenlet and the ORM's per-statement set-up.
    return _snapshots(session.connection(), requests)


@dataclass(frozen=True, slots=True)
class _Found:
    """One request's users, mailboxes and candidate projects."""

    request: SnapshotRequest
    users: tuple[UserView, ...]
    mailboxes: dict[str, MailboxView]
    project_ids: set[str]


def _snapshots(connection: Connection, requests: Sequence[SnapshotRequest]
               ) -> list[DirectorySnapshot]:
    people = _people(connection, requests)
    found = []
    for request in requests:
        users = people.of(request)
        mailboxes = people.mailboxes_of(request, users)
        found.append(_Found(request, users, mailboxes,
                            _candidate_ids(request, users, mailboxes.values())))
    all_projects = _union(f.project_ids for f in found)
    all_addresses = _union(r.addresses for r in requests)
    lists = _lists(connection, all_projects, all_addresses)
    stored_threads = _threads(connection, requests)
    threads = [_thread_of(request, stored_threads) for request in requests]
    history = _history(connection, [(f.request, thread, f.project_ids)
                                    for f, thread in zip(found, threads, strict=True)])
    contacts = _contacts(connection, all_projects, all_addresses)
    owners = _owners(connection, _union(
        [c.view.owner_id] if c.view.owner_id else () for c in contacts))
    project_rows = _project_rows(connection, all_projects)
    return [_snapshot(f, thread, lists, history, contacts, owners, project_rows)
            for f, thread in zip(found, threads, strict=True)]


def _snapshot(found: _Found, thread: ThreadView | None, lists: _Lists,
              history: list[HistoryRow], contacts: list[_ContactRows],
              owners: dict[str, UserView], project_rows: list[ProjectRow]) -> DirectorySnapshot:
    """One request's snapshot, taken from the rows read for all of them."""
    request, project_ids = found.request, found.project_ids
    members: dict[str, set[str]] = defaultdict(set)
    for user in found.users:
        for pid in user.project_ids:
            members[pid].add(user.id)
    matched = tuple(c.view for c in contacts if c.found_by(project_ids, request.addresses))
    known = {user.id for user in found.users}
    owner_views = tuple(owners[owner_id] for owner_id in sorted(
        {c.owner_id for c in matched if c.owner_id} - known) if owner_id in owners)
    logged, credited = _thread_history(request, thread, project_ids, history)
    return DirectorySnapshot(
        users=found.users + owner_views,
        projects=_project_views(project_rows, project_ids, members, lists, request.addresses,
                                logged, credited),
        contacts=matched,
        mailboxes=tuple(found.mailboxes.values()),
        project_addresses=frozenset(lists.project_addresses & request.addresses),
        global_ignored=tuple(lists.ignored[None]),
        thread=thread or ThreadView(),
    )
