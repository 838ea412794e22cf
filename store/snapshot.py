"""Build the DirectorySnapshot for one message with indexed look-ups of only its addresses.

One read-only query set: users, projects, contacts, lists and thread state that concern
the message's participants and candidate projects — never a scan of a whole directory.
Plain column rows (no ORM objects or relationship loads), and rows of the same shape come
back together in one UNION ALL: about seven statements per message. The statements are
built once (per variant) with bound parameters: building them for every message cost about
as much as running them.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CompoundSelect,
    Executable,
    Row,
    Select,
    String,
    bindparam,
    literal,
    null,
    or_,
    select,
    union_all,
)
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
from store.models import (
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
    table_of,
)

# The tables, for Core statements (see store.models.table_of).
_USERS = table_of(User)
_USER_ALIASES = table_of(UserAlias)
_MAILBOXES = table_of(Mailbox)
_MAILBOX_PROJECTS = table_of(MailboxProject)
_MEMBERSHIPS = table_of(Membership)
_IGNORED = table_of(IgnoredEntry)
_NEVER_LOG = table_of(NeverLogEntry)
_PROJECT_ADDRESSES = table_of(ProjectAddress)
_CONTACTS = table_of(Contact)
_CONTACT_ADDRESSES = table_of(ContactAddress)
_THREADS = table_of(Thread)
_MESSAGES = table_of(Message)
_INTERACTIONS = table_of(Interaction)
_PROJECTS = table_of(Project)

ALIAS, MEMBER, MAILBOX = "alias", "member", "mailbox"
IGNORED, NEVER_LOG, PROJECT_ADDRESS = "ignored", "never", "project-address"


@dataclass(frozen=True, slots=True)
class SnapshotRequest:
    """What the snapshot is for: the message's addresses, ids and capture context."""

    addresses: frozenset[str]
    project_ids: tuple[str, ...] = ()
    user_id: str | None = None
    mailbox_id: str | None = None
    message_id: str = ""
    thread_ids: tuple[str, ...] = ()


@dataclass(slots=True)
class _People:
    """Users with their aliases, memberships and mailboxes, as read from the rows."""

    views: tuple[UserView, ...] = ()
    memberships: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    mailboxes: dict[str, MailboxView] = field(default_factory=dict)


def _text(value: str) -> ColumnElement[str]:
    return literal(value, String)


UserRows = Sequence[Row[str, str, str, bool]]


def _list_param(name: str) -> BindParameter[Any]:
    return bindparam(name, expanding=True)


@functools.cache
def _user_rows_query(by_user: bool, by_mailbox: bool) -> Executable:
    addresses = _list_param("addresses")
    users, aliases, mailboxes = _USERS.c, _USER_ALIASES.c, _MAILBOXES.c
    conditions: list[ColumnElement[bool]] = [
        users.email.in_(addresses),
        users.id.in_(select(aliases.user_id).where(aliases.address.in_(addresses))),
        users.id.in_(select(mailboxes.user_id).where(mailboxes.address.in_(addresses)))]
    if by_user:
        conditions.append(users.id == bindparam("user_id"))
    if by_mailbox:
        conditions.append(users.id.in_(
            select(mailboxes.user_id).where(mailboxes.id == bindparam("mailbox_id"))))
    return select(users.id, users.name, users.email, users.personal_email_access).where(
        or_(*conditions))


def _user_rows(connection: Connection, request: SnapshotRequest) -> UserRows:
    query = _user_rows_query(bool(request.user_id), bool(request.mailbox_id))
    return connection.execute(query, {
        "addresses": list(request.addresses), "user_id": request.user_id,
        "mailbox_id": request.mailbox_id}).all()


@functools.cache
def _details_query(by_mailbox: bool) -> CompoundSelect[Any]:
    """Aliases, memberships and mailboxes (with their projects) of users, as one query."""
    user_ids = _list_param("user_ids")
    mailbox_wanted: ColumnElement[bool] = _MAILBOXES.c.user_id.in_(user_ids)
    if by_mailbox:
        mailbox_wanted = or_(mailbox_wanted, _MAILBOXES.c.id == bindparam("mailbox_id"))
    return union_all(
        select(_text(ALIAS), _USER_ALIASES.c.user_id, _USER_ALIASES.c.address, null(), null())
        .where(_USER_ALIASES.c.user_id.in_(user_ids)),
        select(_text(MEMBER), _MEMBERSHIPS.c.user_id, _MEMBERSHIPS.c.project_id, null(), null())
        .where(_MEMBERSHIPS.c.user_id.in_(user_ids)),
        select(_text(MAILBOX), _MAILBOXES.c.user_id, _MAILBOXES.c.address, _MAILBOXES.c.id,
               _MAILBOX_PROJECTS.c.project_id)
        .outerjoin(_MAILBOX_PROJECTS, _MAILBOX_PROJECTS.c.mailbox_id == _MAILBOXES.c.id)
        .where(mailbox_wanted),
    )


def _people(connection: Connection, users: UserRows,
                  mailbox_id: str | None = None) -> _People:
    people = _People()
    if not users and not mailbox_id:
        return people
    aliases: dict[str, list[str]] = defaultdict(list)
    boxes: dict[str, tuple[str, str, list[str]]] = {}
    rows = connection.execute(_details_query(bool(mailbox_id)), {
        "user_ids": [u[0] for u in users], "mailbox_id": mailbox_id}).all()
    for kind, user_id, value, box_id, project_id in rows:
        if kind == ALIAS:
            aliases[user_id].append(value)
        elif kind == MEMBER:
            people.memberships[user_id].append(value)
        else:
            box = boxes.setdefault(box_id, (user_id, value, []))
            if project_id is not None:
                box[2].append(project_id)
    people.mailboxes = {box_id: MailboxView(box_id, user_id, address, tuple(sorted(projects)))
                        for box_id, (user_id, address, projects) in boxes.items()}
    people.views = tuple(
        UserView(
            id=user_id, name=name, email=email.lower(), aliases=tuple(aliases[user_id]),
            mailboxes=tuple(m.address for m in people.mailboxes.values()
                            if m.user_id == user_id),
            project_ids=tuple(sorted(people.memberships.get(user_id, ()))),
            personal_email_access=personal,
        )
        for user_id, name, email, personal in users
    )
    return people


def _candidate_ids(request: SnapshotRequest, users: tuple[UserView, ...],
                   mailboxes: Iterable[MailboxView]) -> set[str]:
    ids = set(request.project_ids)
    ids.update(pid for m in mailboxes if m.id == request.mailbox_id for pid in m.project_ids)
    if not request.project_ids and request.user_id:
        ids.update(pid for u in users if u.id == request.user_id for pid in u.project_ids)
    return ids


@functools.cache
def _lists_query() -> CompoundSelect[Any]:
    project_ids, addresses = _list_param("project_ids"), _list_param("addresses")
    return union_all(
        select(_text(IGNORED), _IGNORED.c.project_id, _IGNORED.c.pattern).where(
            or_(_IGNORED.c.project_id.in_(project_ids), _IGNORED.c.project_id.is_(None))),
        select(_text(NEVER_LOG), _NEVER_LOG.c.project_id, _NEVER_LOG.c.address).where(
            _NEVER_LOG.c.project_id.in_(project_ids), _NEVER_LOG.c.address.in_(addresses)),
        select(_text(PROJECT_ADDRESS), null(), _PROJECT_ADDRESSES.c.address).where(
            _PROJECT_ADDRESSES.c.address.in_(addresses)),
    )


def _lists(connection: Connection, project_ids: set[str], addresses: Iterable[str]
                 ) -> tuple[dict[str | None, list[str]], dict[str, set[str]], set[str]]:
    """Return ignored patterns and never-log addresses per project, and project addresses."""
    ignored: dict[str | None, list[str]] = defaultdict(list)
    never: dict[str, set[str]] = defaultdict(set)
    project_addresses: set[str] = set()
    rows = connection.execute(_lists_query(), {
        "project_ids": list(project_ids), "addresses": list(addresses)}).all()
    for kind, project_id, value in rows:
        if kind == IGNORED:
            ignored[project_id].append(value)
        elif kind == NEVER_LOG:
            never[project_id].add(value)
        else:
            project_addresses.add(value)
    return ignored, never, project_addresses


@functools.cache
def _contacts_query() -> Executable:
    matching = select(_CONTACT_ADDRESSES.c.contact_id).where(
        _CONTACT_ADDRESSES.c.project_id.in_(_list_param("project_ids")),
        _CONTACT_ADDRESSES.c.address.in_(_list_param("addresses")))
    return (select(_CONTACTS.c.id, _CONTACTS.c.project_id, _CONTACTS.c.name, _CONTACTS.c.owner_id,
                   _CONTACT_ADDRESSES.c.address)
            .join(_CONTACT_ADDRESSES, _CONTACT_ADDRESSES.c.contact_id == _CONTACTS.c.id)
            .where(_CONTACTS.c.id.in_(matching)).order_by(_CONTACTS.c.id))


def _contacts(connection: Connection, project_ids: set[str],
                    addresses: frozenset[str]) -> tuple[ContactView, ...]:
    if not project_ids:
        return ()
    contacts: dict[str, tuple[str, str, str | None, list[str]]] = {}
    rows = connection.execute(_contacts_query(), {
        "project_ids": list(project_ids), "addresses": list(addresses)}).all()
    for contact_id, project_id, name, owner_id, address in rows:
        contacts.setdefault(contact_id, (project_id, name, owner_id, []))[3].append(address)
    return tuple(ContactView(id=contact_id, project_id=project_id, name=name,
                             addresses=tuple(addresses), owner_id=owner_id)
                 for contact_id, (project_id, name, owner_id, addresses) in contacts.items())


def _contact_owners(connection: Connection, contacts: tuple[ContactView, ...],
                          known: set[str]) -> tuple[UserView, ...]:
    """Return the owners of the matched contacts who are not in the snapshot yet."""
    owner_ids = sorted({c.owner_id for c in contacts if c.owner_id} - known)
    if not owner_ids:
        return ()
    owners = connection.execute(
        select(_USERS.c.id, _USERS.c.name, _USERS.c.email, _USERS.c.personal_email_access)
        .where(_USERS.c.id.in_(owner_ids))).all()
    return _people(connection, owners).views


@functools.cache
def _thread_query() -> Executable:
    return (select(_THREADS.c.id, _THREADS.c.status, _THREADS.c.assigned_project_ids)
            .join(_MESSAGES, _MESSAGES.c.thread_id == _THREADS.c.id)
            .where(_MESSAGES.c.message_id.in_(_list_param("ids")))
            .order_by(_THREADS.c.created_at).limit(1))


def _thread(connection: Connection, request: SnapshotRequest) -> ThreadView | None:
    ids = [request.message_id, *request.thread_ids]
    row = connection.execute(_thread_query(), {"ids": ids}).first()
    return ThreadView(row[0], row[1], tuple(row[2])) if row else None


def _history_branch(condition: ColumnElement[bool]) -> Select[Any]:
    interactions = _INTERACTIONS.c
    return (select(interactions.project_id, interactions.user_id, _MESSAGES.c.message_id,
                   interactions.logged_at)
            .join(_MESSAGES, _MESSAGES.c.id == interactions.message_ref)
            .where(interactions.project_id.in_(_list_param("project_ids")),
                   interactions.unlogged_at.is_(None), condition))


@functools.cache
def _thread_history_query(by_ids: bool, by_thread: bool) -> Executable:
    """The candidate projects' interactions with the referenced messages or in the thread.

    One branch per way in, each read by its own index (the referenced messages by
    Message-ID, then their interactions by project and message; the thread's interactions
    by thread): one `message_id IN … OR thread_id = …` condition could only be read by
    project, every interaction the project ever logged.
    """
    branches = []
    if by_ids:
        branches.append(_history_branch(_MESSAGES.c.message_id.in_(_list_param("thread_ids"))))
    if by_thread:
        branches.append(_history_branch(_INTERACTIONS.c.thread_id == bindparam("thread_id")))
    if len(branches) == 1:
        return branches[0].order_by(_INTERACTIONS.c.logged_at)
    return union_all(*branches).order_by("logged_at")


def _thread_history(connection: Connection, request: SnapshotRequest,
                          thread: ThreadView | None, project_ids: set[str]
                          ) -> tuple[dict[str, set[str]], dict[str, str]]:
    """Return logged referenced ids per project and the credited user per project."""
    logged: dict[str, set[str]] = defaultdict(set)
    credited: dict[str, str] = {}
    # A new message that references nothing and belongs to no thread has no history.
    if not project_ids or (thread is None and not request.thread_ids):
        return logged, credited
    query = _thread_history_query(bool(request.thread_ids), thread is not None)
    rows = connection.execute(query, {
        "thread_ids": list(request.thread_ids), "thread_id": thread.id if thread else None,
        "project_ids": list(project_ids)}).all()
    for project_id, user_id, message_id, _logged_at in rows:
        if message_id in request.thread_ids:
            logged[project_id].add(message_id)
        if user_id and project_id not in credited:
            credited[project_id] = user_id
    return logged, credited


@functools.cache
def _project_views_query() -> Executable:
    projects = _PROJECTS.c
    return (select(projects.id, projects.name, projects.interaction_type, projects.logging_mode,
                   projects.sender_auth, projects.create_contacts, projects.store_bodies)
            .where(projects.id.in_(_list_param("project_ids"))).order_by(projects.id))


def _project_views(connection: Connection, project_ids: set[str],
                         members: dict[str, set[str]], ignored: dict[str | None, list[str]],
                         never: dict[str, set[str]], logged: dict[str, set[str]],
                         credited: dict[str, str]) -> tuple[ProjectView, ...]:
    if not project_ids:
        return ()
    rows = connection.execute(_project_views_query(), {"project_ids": list(project_ids)}).all()
    return tuple(
        ProjectView(
            id=pid, name=name, interaction_type=interaction_type,
            logging_mode=LoggingMode(logging_mode), sender_auth=SenderAuthMode(sender_auth),
            create_contacts=CreateContacts(create_contacts),
            member_ids=frozenset(members[pid]), ignored=tuple(ignored[pid]),
            never_log=frozenset(never[pid]), logged_message_ids=frozenset(logged[pid]),
            thread_user_id=credited.get(pid), store_bodies=bool(store_bodies),
        )
        for pid, name, interaction_type, logging_mode, sender_auth, create_contacts, store_bodies
        in rows
    )


async def build_snapshot(session: AsyncSession, request: SnapshotRequest) -> DirectorySnapshot:
    """Return the directory snapshot for one message, read in the session's transaction."""
    return await session.run_sync(_snapshot_of_session, request)


def _snapshot_of_session(session: Session, request: SnapshotRequest) -> DirectorySnapshot:
    # One greenlet for all the reads, on the session's connection (Core, not the ORM):
    # each `AsyncSession.execute` costs a greenlet and the ORM's per-statement set-up.
    return _snapshot(session.connection(), request)


def _snapshot(connection: Connection, request: SnapshotRequest) -> DirectorySnapshot:
    people = _people(connection, _user_rows(connection, request), request.mailbox_id)
    project_ids = _candidate_ids(request, people.views, people.mailboxes.values())
    ignored, never, project_addresses = _lists(connection, project_ids, request.addresses)
    thread = _thread(connection, request)
    logged, credited = _thread_history(connection, request, thread, project_ids)
    members: dict[str, set[str]] = defaultdict(set)
    for user_id, pids in people.memberships.items():
        for pid in pids:
            members[pid].add(user_id)
    contacts = _contacts(connection, project_ids, request.addresses)
    users = people.views + _contact_owners(connection, contacts, {u.id for u in people.views})
    return DirectorySnapshot(
        users=users,
        projects=_project_views(connection, project_ids, members, ignored, never, logged,
                                credited),
        contacts=contacts,
        mailboxes=tuple(people.mailboxes.values()),
        project_addresses=frozenset(project_addresses),
        global_ignored=tuple(ignored[None]),
        thread=thread or ThreadView(),
    )
