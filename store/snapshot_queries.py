"""The statements a claim's snapshots are read with (store.snapshot), each built once.

Core statements on the tables' columns with bound parameters (lists expanded), so they are
compiled once. Every row carries the key it was found by (an address, a user id, a project
and an address, a Message-ID …): each message takes the rows of its own keys, and no
condition is written twice.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CompoundSelect,
    Select,
    String,
    bindparam,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from store.models import (
    Company,
    CompanyDomain,
    Contact,
    ContactAddress,
    Deal,
    DealContact,
    IgnoredEntry,
    Interaction,
    Mailbox,
    MailboxProject,
    Membership,
    Message,
    NeverLogEntry,
    PersonalNeverLogEntry,
    Project,
    ProjectAddress,
    Thread,
    User,
    UserAlias,
    table_of,
)

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
_PERSONAL_NEVER_LOG = table_of(PersonalNeverLogEntry)
_PROJECTS = table_of(Project)
_COMPANIES = table_of(Company)
_COMPANY_DOMAINS = table_of(CompanyDomain)
_DEALS = table_of(Deal)
_DEAL_CONTACTS = table_of(DealContact)

# The most open deals read for one contact (most recently updated first): `all_open` files
# an interaction under at most this many.
MAX_OPEN_DEALS = 100

# What a user row was found by.
BY_ADDRESS, BY_USER, BY_MAILBOX = "address", "user", "mailbox"
# Kinds of a user's details, and of list entries.
ALIAS, MEMBER, MAILBOX = "alias", "member", "mailbox"
IGNORED, NEVER_LOG, PROJECT_ADDRESS = "ignored", "never", "project-address"
# How a thread row was found: through a stored message, or by its root id.
BY_MESSAGE, BY_ROOT = "message", "root"


def _tag(value: str) -> ColumnElement[str]:
    return literal(value, String)


def _list(name: str) -> BindParameter[Any]:
    return bindparam(name, expanding=True)


def _user_columns() -> tuple[Any, ...]:
    users = _USERS.c
    return users.id, users.name, users.email, users.personal_email_access


@functools.cache
def users_query() -> CompoundSelect[Any]:
    """Users by account address, alias, mailbox address, id or mailbox id: (kind, key, user)."""
    users, aliases, mailboxes = _USERS.c, _USER_ALIASES.c, _MAILBOXES.c
    addresses = _list("addresses")
    return union_all(
        select(_tag(BY_ADDRESS), users.email, *_user_columns()).where(users.email.in_(addresses)),
        select(_tag(BY_ADDRESS), aliases.address, *_user_columns())
        .join(_USER_ALIASES, aliases.user_id == users.id).where(aliases.address.in_(addresses)),
        select(_tag(BY_ADDRESS), mailboxes.address, *_user_columns())
        .join(_MAILBOXES, mailboxes.user_id == users.id).where(mailboxes.address.in_(addresses)),
        select(_tag(BY_USER), users.id, *_user_columns()).where(users.id.in_(_list("user_ids"))),
        select(_tag(BY_MAILBOX), mailboxes.id, *_user_columns())
        .join(_MAILBOXES, mailboxes.user_id == users.id)
        .where(mailboxes.id.in_(_list("mailbox_ids"))),
    )


@functools.cache
def details_query() -> CompoundSelect[Any]:
    """Aliases, memberships and mailboxes (with their projects) of users, by user id."""
    user_ids = _list("user_ids")
    aliases, members, boxes, box_projects = (_USER_ALIASES.c, _MEMBERSHIPS.c, _MAILBOXES.c,
                                             _MAILBOX_PROJECTS.c)
    return union_all(
        select(_tag(ALIAS), aliases.user_id, aliases.address, null(), null())
        .where(aliases.user_id.in_(user_ids)),
        select(_tag(MEMBER), members.user_id, members.project_id, null(), null())
        .where(members.user_id.in_(user_ids)),
        select(_tag(MAILBOX), boxes.user_id, boxes.address, boxes.id, box_projects.project_id)
        .outerjoin(_MAILBOX_PROJECTS, box_projects.mailbox_id == boxes.id)
        .where(boxes.user_id.in_(user_ids)),
    )


@functools.cache
def lists_query() -> CompoundSelect[Any]:
    """Ignored patterns (of the projects, and global), never-log and project addresses."""
    project_ids, addresses = _list("project_ids"), _list("addresses")
    ignored, never, project_addresses = _IGNORED.c, _NEVER_LOG.c, _PROJECT_ADDRESSES.c
    return union_all(
        select(_tag(IGNORED), ignored.project_id, ignored.pattern).where(
            or_(ignored.project_id.in_(project_ids), ignored.project_id.is_(None))),
        select(_tag(NEVER_LOG), never.project_id, never.address).where(
            never.project_id.in_(project_ids), never.address.in_(addresses)),
        select(_tag(PROJECT_ADDRESS), null(), project_addresses.address).where(
            project_addresses.address.in_(addresses)),
    )


@functools.cache
def personal_never_log_query() -> Select[Any]:
    """Users' personal never-log entries among addresses: (user id, address) (SPEC §13)."""
    entries = _PERSONAL_NEVER_LOG.c
    return select(entries.user_id, entries.address).where(
        entries.user_id.in_(_list("user_ids")), entries.address.in_(_list("addresses")))


@functools.cache
def contacts_query() -> Select[Any]:
    """Contacts by (project, address), with every address of each and their company:
    (project, address, id, name, owner, every address, company id, company name)."""
    matched = aliased(_CONTACT_ADDRESSES, name="matched")
    every = _CONTACT_ADDRESSES.c
    contacts, companies = _CONTACTS.c, _COMPANIES.c
    return (select(matched.c.project_id, matched.c.address, contacts.id, contacts.name,
                   contacts.owner_id, every.address, companies.id, companies.name)
            .join(_CONTACTS, contacts.id == matched.c.contact_id)
            .join(_CONTACT_ADDRESSES, every.contact_id == contacts.id)
            .outerjoin(_COMPANIES, companies.id == contacts.company_id)
            .where(matched.c.project_id.in_(_list("project_ids")),
                   matched.c.address.in_(_list("addresses")))
            .order_by(contacts.id, every.address))


@functools.cache
def projects_query() -> Select[Any]:
    """The settings of projects, by id."""
    projects = _PROJECTS.c
    return (select(projects.id, projects.name, projects.interaction_type, projects.logging_mode,
                   projects.sender_auth, projects.create_contacts, projects.store_bodies,
                   projects.deal_association, projects.capture_level)
            .where(projects.id.in_(_list("project_ids"))).order_by(projects.id))


@functools.cache
def threads_query() -> CompoundSelect[Any]:
    """The projects' emails stored under Message-IDs, with their threads; threads by root.

    (kind, project, key, thread id, status, assigned, created_at, message ref, fingerprint,
    received id): `key` is the Message-ID for a stored email, the root id for a thread found
    by its root. A thread branch last: the union's column types come from the first branch.
    """
    messages, threads = _MESSAGES.c, _THREADS.c
    project_ids = _list("project_ids")
    by_message = (
        select(_tag(BY_MESSAGE), messages.project_id, messages.message_id, threads.id,
               threads.status, threads.assigned_project_ids, threads.created_at, messages.id,
               messages.fingerprint, messages.received_id)
        .join(_THREADS, threads.id == messages.thread_id)
        .where(messages.project_id.in_(project_ids), messages.message_id.in_(_list("ids"))))
    no_text = cast(null(), String)
    by_root = (
        select(_tag(BY_ROOT), threads.project_id, threads.root_id, threads.id, threads.status,
               threads.assigned_project_ids, threads.created_at, no_text, no_text, no_text)
        .where(threads.project_id.in_(project_ids), threads.root_id.in_(_list("roots"))))
    return union_all(by_message, by_root)


@functools.cache
def history_query(by_thread: bool = True) -> Select[Any] | CompoundSelect[Any]:
    """The projects' interactions with referenced emails or in threads, oldest first.

    (project, user, Message-ID, logged at, thread, id). One branch per way in, each read by
    its own index: one `message_id IN … OR thread_id IN …` could only be read by project,
    every interaction the project ever logged. Without threads to look in (a new
    conversation), `by_thread` False leaves that branch out: SQLite reads an empty
    `thread_id IN ()` by project, every interaction the project holds.
    """
    interactions, messages = _INTERACTIONS.c, _MESSAGES.c

    def branch(condition: ColumnElement[bool]) -> Select[Any]:
        return (select(interactions.project_id, interactions.user_id, messages.message_id,
                       interactions.logged_at, interactions.thread_id, interactions.id)
                .join(_MESSAGES, messages.id == interactions.message_ref)
                .where(interactions.project_id.in_(_list("project_ids")),
                       interactions.unlogged_at.is_(None), condition))

    # The referenced emails by (project, Message-ID), then their interactions by
    # (project, message): the planner would otherwise start from the project's interactions.
    referenced = select(messages.id).where(messages.project_id.in_(_list("project_ids")),
                                           messages.message_id.in_(_list("referenced")))
    by_reference = branch(interactions.message_ref.in_(referenced))
    if not by_thread:
        return by_reference
    return union_all(by_reference, branch(interactions.thread_id.in_(_list("thread_ids"))))


@functools.cache
def companies_query() -> Select[Any]:
    """Companies by (project, domain): (project, domain, company id, name)."""
    domains, companies = _COMPANY_DOMAINS.c, _COMPANIES.c
    return (select(domains.project_id, domains.domain, companies.id, companies.name)
            .join(_COMPANIES, companies.id == domains.company_id)
            .where(domains.project_id.in_(_list("project_ids")),
                   domains.domain.in_(_list("domains"))))


@functools.cache
def open_deals_query() -> Select[Any]:
    """The contacts' open deals, at most MAX_OPEN_DEALS each, most recently updated first:
    (contact id, deal id, project, name, updated_at).

    One range of the contact's (status, updated_at) index per contact, however many deals
    the project holds.
    """
    links = _DEAL_CONTACTS.c
    ranked = (select(links.contact_id, links.deal_id, links.updated_at,
                     func.row_number().over(partition_by=links.contact_id,
                                            order_by=(links.updated_at.desc(),
                                                      links.deal_id.desc())).label("rank"))
              .where(links.contact_id.in_(_list("contact_ids")), links.status == "open")
              .subquery("ranked"))
    deals = _DEALS.c
    return (select(ranked.c.contact_id, deals.id, deals.project_id, deals.name,
                   ranked.c.updated_at)
            .join(_DEALS, deals.id == ranked.c.deal_id)
            .where(ranked.c.rank <= MAX_OPEN_DEALS))
