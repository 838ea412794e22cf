"""The statements a set of snapshots is read with (store.snapshot), each built once.

Core statements on the tables' columns with bound parameters (lists expanded), one per
shape of request: building them for every message cost about as much as running them.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CompoundSelect,
    Executable,
    Select,
    String,
    bindparam,
    literal,
    null,
    or_,
    select,
    union_all,
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


def text_literal(value: str) -> ColumnElement[str]:
    return literal(value, String)


def list_param(name: str) -> BindParameter[Any]:
    return bindparam(name, expanding=True)


@functools.cache
def user_rows_query(by_user: bool, by_mailbox: bool) -> Executable:
    addresses = list_param("addresses")
    users, aliases, mailboxes = _USERS.c, _USER_ALIASES.c, _MAILBOXES.c
    conditions: list[ColumnElement[bool]] = [
        users.email.in_(addresses),
        users.id.in_(select(aliases.user_id).where(aliases.address.in_(addresses))),
        users.id.in_(select(mailboxes.user_id).where(mailboxes.address.in_(addresses)))]
    if by_user:
        conditions.append(users.id.in_(list_param("user_ids")))
    if by_mailbox:
        conditions.append(users.id.in_(
            select(mailboxes.user_id).where(mailboxes.id.in_(list_param("mailbox_ids")))))
    return select(users.id, users.name, users.email, users.personal_email_access).where(
        or_(*conditions))


@functools.cache
def details_query(by_mailbox: bool) -> CompoundSelect[Any]:
    """Aliases, memberships and mailboxes (with their projects) of users, as one query."""
    user_ids = list_param("user_ids")
    mailbox_wanted: ColumnElement[bool] = _MAILBOXES.c.user_id.in_(user_ids)
    if by_mailbox:
        mailbox_wanted = or_(mailbox_wanted, _MAILBOXES.c.id.in_(list_param("mailbox_ids")))
    return union_all(
        select(text_literal(ALIAS), _USER_ALIASES.c.user_id, _USER_ALIASES.c.address, null(), null())
        .where(_USER_ALIASES.c.user_id.in_(user_ids)),
        select(text_literal(MEMBER), _MEMBERSHIPS.c.user_id, _MEMBERSHIPS.c.project_id, null(), null())
        .where(_MEMBERSHIPS.c.user_id.in_(user_ids)),
        select(text_literal(MAILBOX), _MAILBOXES.c.user_id, _MAILBOXES.c.address, _MAILBOXES.c.id,
               _MAILBOX_PROJECTS.c.project_id)
        .outerjoin(_MAILBOX_PROJECTS, _MAILBOX_PROJECTS.c.mailbox_id == _MAILBOXES.c.id)
        .where(mailbox_wanted),
    )


@functools.cache
def lists_query() -> CompoundSelect[Any]:
    project_ids, addresses = list_param("project_ids"), list_param("addresses")
    return union_all(
        select(text_literal(IGNORED), _IGNORED.c.project_id, _IGNORED.c.pattern).where(
            or_(_IGNORED.c.project_id.in_(project_ids), _IGNORED.c.project_id.is_(None))),
        select(text_literal(NEVER_LOG), _NEVER_LOG.c.project_id, _NEVER_LOG.c.address).where(
            _NEVER_LOG.c.project_id.in_(project_ids), _NEVER_LOG.c.address.in_(addresses)),
        select(text_literal(PROJECT_ADDRESS), null(), _PROJECT_ADDRESSES.c.address).where(
            _PROJECT_ADDRESSES.c.address.in_(addresses)),
    )


@functools.cache
def contacts_query() -> Executable:
    matching = select(_CONTACT_ADDRESSES.c.contact_id).where(
        _CONTACT_ADDRESSES.c.project_id.in_(list_param("project_ids")),
        _CONTACT_ADDRESSES.c.address.in_(list_param("addresses")))
    return (select(_CONTACTS.c.id, _CONTACTS.c.project_id, _CONTACTS.c.name, _CONTACTS.c.owner_id,
                   _CONTACT_ADDRESSES.c.address, _CONTACT_ADDRESSES.c.project_id)
            .join(_CONTACT_ADDRESSES, _CONTACT_ADDRESSES.c.contact_id == _CONTACTS.c.id)
            .where(_CONTACTS.c.id.in_(matching))
            .order_by(_CONTACTS.c.id, _CONTACT_ADDRESSES.c.address))


@functools.cache
def thread_query() -> Executable:
    return (select(_MESSAGES.c.message_id, _THREADS.c.id, _THREADS.c.status,
                   _THREADS.c.assigned_project_ids, _THREADS.c.created_at)
            .join(_MESSAGES, _MESSAGES.c.thread_id == _THREADS.c.id)
            .where(_MESSAGES.c.message_id.in_(list_param("ids"))))


def _history_branch(condition: ColumnElement[bool]) -> Select[Any]:
    interactions = _INTERACTIONS.c
    return (select(interactions.project_id, interactions.user_id, _MESSAGES.c.message_id,
                   interactions.logged_at, interactions.thread_id, interactions.id)
            .join(_MESSAGES, _MESSAGES.c.id == interactions.message_ref)
            .where(interactions.project_id.in_(list_param("project_ids")),
                   interactions.unlogged_at.is_(None), condition))


@functools.cache
def thread_history_query(by_ids: bool, by_thread: bool) -> Executable:
    """The candidate projects' interactions with the referenced messages or in the threads.

    One branch per way in, each read by its own index (the referenced messages by
    Message-ID, then their interactions by project and message; the threads' interactions
    by thread): one `message_id IN … OR thread_id IN …` condition could only be read by
    project, every interaction the project ever logged.
    """
    branches = []
    if by_ids:
        branches.append(_history_branch(_MESSAGES.c.message_id.in_(list_param("thread_ids"))))
    if by_thread:
        branches.append(_history_branch(_INTERACTIONS.c.thread_id.in_(list_param("threads"))))
    if len(branches) == 1:
        return branches[0]
    return union_all(*branches)


@functools.cache
def project_views_query() -> Executable:
    projects = _PROJECTS.c
    return (select(projects.id, projects.name, projects.interaction_type, projects.logging_mode,
                   projects.sender_auth, projects.create_contacts, projects.store_bodies)
            .where(projects.id.in_(list_param("project_ids"))).order_by(projects.id))


@functools.cache
def owners_query() -> Executable:
    """Users by id (the owners of matched contacts)."""
    return select(_USERS.c.id, _USERS.c.name, _USERS.c.email, _USERS.c.personal_email_access
                  ).where(_USERS.c.id.in_(list_param("user_ids")))
