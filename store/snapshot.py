"""Build the DirectorySnapshot for one message with indexed look-ups of only its addresses.

One read-only query set: users, projects, contacts, lists and thread state that concern
the message's participants and candidate projects — never a scan of a whole directory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from rules.facts import ContactView, CreateContacts, DirectorySnapshot, LoggingMode
from rules.facts import MailboxView, ProjectView, SenderAuthMode, ThreadView, UserView
from store.models import Contact, ContactAddress, IgnoredEntry, Interaction, Mailbox
from store.models import Membership, Message, NeverLogEntry, Project
from store.models import ProjectAddress, Thread, User, UserAlias


@dataclass(frozen=True, slots=True)
class SnapshotRequest:
    """What the snapshot is for: the message's addresses, ids and capture context."""

    addresses: frozenset[str]
    project_ids: tuple[str, ...] = ()
    user_id: str | None = None
    mailbox_id: str | None = None
    message_id: str = ""
    thread_ids: tuple[str, ...] = ()


async def _users(session: AsyncSession, request: SnapshotRequest) -> list[User]:
    addresses = list(request.addresses)
    alias_users = select(UserAlias.user_id).where(UserAlias.address.in_(addresses))
    mailbox_users = select(Mailbox.user_id).where(Mailbox.address.in_(addresses))
    conditions: list[ColumnElement[bool]] = [
        User.email.in_(addresses), User.id.in_(alias_users), User.id.in_(mailbox_users)]
    if request.user_id:
        conditions.append(User.id == request.user_id)
    if request.mailbox_id:
        conditions.append(User.id.in_(
            select(Mailbox.user_id).where(Mailbox.id == request.mailbox_id)))
    return list((await session.execute(select(User).where(or_(*conditions)))).scalars())


async def _mailboxes(session: AsyncSession, user_ids: list[str]) -> list[Mailbox]:
    query = select(Mailbox).where(Mailbox.user_id.in_(user_ids))
    return list((await session.execute(query)).scalars())


async def _memberships(session: AsyncSession, user_ids: list[str]) -> dict[str, list[str]]:
    rows = await session.execute(
        select(Membership.user_id, Membership.project_id).where(Membership.user_id.in_(user_ids)))
    result: dict[str, list[str]] = defaultdict(list)
    for user_id, project_id in rows.all():
        result[user_id].append(project_id)
    return result


def _user_views(users: list[User], mailboxes: list[Mailbox],
                memberships: dict[str, list[str]]) -> tuple[UserView, ...]:
    return tuple(
        UserView(
            id=u.id, name=u.name, email=u.email.lower(),
            aliases=tuple(a.address for a in u.aliases),
            mailboxes=tuple(m.address for m in mailboxes if m.user_id == u.id),
            project_ids=tuple(sorted(memberships.get(u.id, ()))),
            personal_email_access=u.personal_email_access,
        )
        for u in users
    )


def _candidate_ids(request: SnapshotRequest, users: tuple[UserView, ...],
                   mailboxes: list[Mailbox]) -> set[str]:
    ids = set(request.project_ids)
    ids.update(pid for m in mailboxes if m.id == request.mailbox_id for pid in m.project_ids)
    if not request.project_ids and request.user_id:
        ids.update(pid for u in users if u.id == request.user_id for pid in u.project_ids)
    return ids


async def _lists(session: AsyncSession, project_ids: set[str], addresses: Iterable[str]
                 ) -> tuple[dict[str | None, list[str]], dict[str, set[str]]]:
    ignored: dict[str | None, list[str]] = defaultdict(list)
    query = select(IgnoredEntry).where(
        or_(IgnoredEntry.project_id.in_(project_ids), IgnoredEntry.project_id.is_(None)))
    for entry in (await session.execute(query)).scalars():
        ignored[entry.project_id].append(entry.pattern)
    never: dict[str, set[str]] = defaultdict(set)
    query2 = select(NeverLogEntry).where(NeverLogEntry.project_id.in_(project_ids),
                                         NeverLogEntry.address.in_(list(addresses)))
    for never_entry in (await session.execute(query2)).scalars():
        never[never_entry.project_id].add(never_entry.address)
    return ignored, never


async def _contacts(session: AsyncSession, project_ids: set[str],
                    addresses: frozenset[str]) -> tuple[ContactView, ...]:
    matching = select(ContactAddress.contact_id).where(
        ContactAddress.project_id.in_(project_ids), ContactAddress.address.in_(list(addresses)))
    query = select(Contact).where(Contact.id.in_(matching)).order_by(Contact.id)
    return tuple(
        ContactView(id=c.id, project_id=c.project_id, name=c.name,
                    addresses=tuple(a.address for a in c.addresses), owner_id=c.owner_id)
        for c in (await session.execute(query)).scalars()
    )


async def _contact_owners(session: AsyncSession, contacts: tuple[ContactView, ...],
                          known: set[str]) -> tuple[UserView, ...]:
    """Return the owners of the matched contacts who are not in the snapshot yet."""
    owner_ids = sorted({c.owner_id for c in contacts if c.owner_id} - known)
    if not owner_ids:
        return ()
    owners = list((await session.execute(select(User).where(User.id.in_(owner_ids)))).scalars())
    return _user_views(owners, await _mailboxes(session, owner_ids),
                       await _memberships(session, owner_ids))


async def _thread(session: AsyncSession, request: SnapshotRequest) -> Thread | None:
    ids = [request.message_id, *request.thread_ids]
    query = (select(Thread).join(Message, Message.thread_id == Thread.id)
             .where(Message.message_id.in_(ids)).order_by(Thread.created_at).limit(1))
    return (await session.execute(query)).scalar_one_or_none()


async def _thread_history(session: AsyncSession, request: SnapshotRequest, thread: Thread | None,
                          project_ids: set[str]) -> tuple[dict[str, set[str]], dict[str, str]]:
    """Return logged referenced ids per project and the credited user per project."""
    logged: dict[str, set[str]] = defaultdict(set)
    credited: dict[str, str] = {}
    conditions: list[ColumnElement[bool]] = [Message.message_id.in_(list(request.thread_ids))]
    if thread is not None:
        conditions.append(Interaction.thread_id == thread.id)
    query = (select(Interaction.project_id, Interaction.user_id, Message.message_id,
                    Interaction.thread_id)
             .join(Message, Message.id == Interaction.message_ref)
             .where(Interaction.project_id.in_(project_ids), Interaction.unlogged_at.is_(None),
                    or_(*conditions))
             .order_by(Interaction.logged_at))
    for project_id, user_id, message_id, _thread_id in (await session.execute(query)).all():
        if message_id in request.thread_ids:
            logged[project_id].add(message_id)
        if user_id and project_id not in credited:
            credited[project_id] = user_id
    return logged, credited


def _project_view(project: Project, members: set[str], ignored: list[str], never: set[str],
                  logged: set[str], credited: str | None) -> ProjectView:
    return ProjectView(
        id=project.id, name=project.name, interaction_type=project.interaction_type,
        logging_mode=LoggingMode(project.logging_mode),
        sender_auth=SenderAuthMode(project.sender_auth),
        create_contacts=CreateContacts(project.create_contacts),
        member_ids=frozenset(members), ignored=tuple(ignored), never_log=frozenset(never),
        logged_message_ids=frozenset(logged), thread_user_id=credited,
    )


async def build_snapshot(session: AsyncSession, request: SnapshotRequest) -> DirectorySnapshot:
    """Return the directory snapshot for one message."""
    users = await _users(session, request)
    user_ids = [u.id for u in users]
    all_mailboxes = await _mailboxes(session, user_ids)
    if request.mailbox_id and all(m.id != request.mailbox_id for m in all_mailboxes):
        all_mailboxes += [m for m in [await session.get(Mailbox, request.mailbox_id)] if m]
    memberships = await _memberships(session, user_ids)
    user_views = _user_views(users, all_mailboxes, memberships)
    project_ids = _candidate_ids(request, user_views, all_mailboxes)
    projects = list((await session.execute(
        select(Project).where(Project.id.in_(project_ids)).order_by(Project.id))).scalars())
    ignored, never = await _lists(session, project_ids, request.addresses)
    thread = await _thread(session, request)
    logged, credited = await _thread_history(session, request, thread, project_ids)
    members: dict[str, set[str]] = defaultdict(set)
    for user_id, pids in memberships.items():
        for pid in pids:
            members[pid].add(user_id)
    project_addresses = (await session.execute(select(ProjectAddress.address).where(
        ProjectAddress.address.in_(list(request.addresses))))).scalars()
    contacts = await _contacts(session, project_ids, request.addresses)
    user_views += await _contact_owners(session, contacts, {u.id for u in user_views})
    return DirectorySnapshot(
        users=user_views,
        projects=tuple(_project_view(p, members[p.id], ignored[p.id], never[p.id], logged[p.id],
                                     credited.get(p.id)) for p in projects),
        contacts=contacts,
        mailboxes=tuple(MailboxView(m.id, m.user_id, m.address, tuple(m.project_ids))
                        for m in all_mailboxes),
        project_addresses=frozenset(project_addresses),
        global_ignored=tuple(ignored[None]),
        thread=ThreadView(thread.id, thread.status, tuple(thread.assigned_project_ids))
        if thread else ThreadView(),
    )
