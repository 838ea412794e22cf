"""Read the directory snapshots of a claim's messages: indexed look-ups of only their keys.

One read-only query set for the whole claim (about ten statements, store.snapshot_queries):
users, projects, contacts, lists, what each candidate project holds of the messages'
conversations, and the companies and open deals interactions may be filed under (SPEC §12)
— never a scan of a whole directory. Every row comes back with the key it was
found by, and each message takes the rows of its own keys (`_Rows.of`): the look-up is
written once, in SQL. It must not decide anything; the rules do.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from rules.facts import (
    CaptureLevel,
    CompanyView,
    ContactView,
    CreateContacts,
    DealAssociationMode,
    DealView,
    DirectorySnapshot,
    LoggingMode,
    MailboxView,
    ProjectView,
    SenderAuthMode,
    ThreadView,
    UserView,
    domain_and_parents,
    domain_of,
)
from store import snapshot_queries as sq
from store.tombstones import AddressHash, erased_among, token


@dataclass(frozen=True, slots=True)
class EmailKey:
    """An email the rules may log (a message, or a forward's original), by its ids."""

    message_id: str
    # In-Reply-To, then References.
    thread_ids: tuple[str, ...] = ()
    # The conversation's first Message-ID (References' first, else the parent, else its own).
    root_id: str = ""


@dataclass(frozen=True, slots=True)
class SnapshotRequest:
    """What a message's snapshot is for: its addresses, capture context and emails."""

    addresses: frozenset[str]
    project_ids: tuple[str, ...] = ()
    user_id: str | None = None
    mailbox_id: str | None = None
    emails: tuple[EmailKey, ...] = ()


@dataclass(frozen=True, slots=True)
class StoredEmail:
    """An email a project holds under a Message-ID (what recording reuses or tells apart)."""

    project_id: str
    message_id: str
    fingerprint: str | None
    ref: str
    thread_id: str
    received_id: str | None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A message's directory snapshot, and the emails its candidate projects hold."""

    directory: DirectorySnapshot
    stored: tuple[StoredEmail, ...] = ()
    # What stands for each erased participant in what is stored of the message (SPEC §13).
    erased_tokens: tuple[tuple[str, str], ...] = ()

    def stored_for(self, project_id: str, message_id: str) -> tuple[StoredEmail, ...]:
        """Return the emails the project holds under this Message-ID."""
        return tuple(s for s in self.stored
                     if s.project_id == project_id and s.message_id == message_id)


class _Rows:
    """Rows grouped by the key they were found by."""

    def __init__(self, rows: Iterable[tuple[Any, Any]]) -> None:
        self.by_key: dict[Any, list[Any]] = defaultdict(list)
        for key, row in rows:
            self.by_key[key].append(row)

    def of(self, keys: Iterable[Any]) -> list[Any]:
        """Return the rows of these keys, in key order (a row found twice, twice)."""
        return [row for key in keys for row in self.by_key.get(key, ())]


def _union(sets: Iterable[Iterable[str]]) -> list[str]:
    return sorted({value for values in sets for value in values})


@dataclass(slots=True)
class _People:
    """Users and their details, read for a claim's messages."""

    found: _Rows
    views: dict[str, UserView] = field(default_factory=dict)
    mailboxes: dict[str, MailboxView] = field(default_factory=dict)

    def of(self, request: SnapshotRequest) -> tuple[UserView, ...]:
        """The users the request's keys find: addresses, its user, its mailbox's owner."""
        keys = [*((sq.BY_ADDRESS, a) for a in sorted(request.addresses)),
                (sq.BY_USER, request.user_id), (sq.BY_MAILBOX, request.mailbox_id)]
        ids = dict.fromkeys(self.found.of(keys))
        return tuple(self.views[user_id] for user_id in sorted(ids))

    def mailboxes_of(self, users: tuple[UserView, ...]) -> dict[str, MailboxView]:
        """The mailboxes of the users (the request's own mailbox is its owner's)."""
        ids = {user.id for user in users}
        return {box_id: box for box_id, box in self.mailboxes.items() if box.user_id in ids}


def _read_people(db: Connection, requests: Sequence[SnapshotRequest]) -> _People:
    rows = db.execute(sq.users_query(), {
        "addresses": _union(r.addresses for r in requests),
        "user_ids": _union([r.user_id] if r.user_id else () for r in requests),
        "mailbox_ids": _union([r.mailbox_id] if r.mailbox_id else () for r in requests)}).all()
    people = _People(_Rows(((kind, key), user[0]) for kind, key, *user in rows))
    _add_details(db, people, {tuple(user) for _kind, _key, *user in rows})
    return people


def _add_details(db: Connection, people: _People, users: set[tuple[Any, ...]]) -> None:
    """Read the users' aliases, memberships and mailboxes, and make their views."""
    if not users:
        return
    details: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    boxes: dict[str, tuple[str, str, list[str]]] = {}
    for kind, user_id, value, box_id, project_id in db.execute(
            sq.details_query(), {"user_ids": sorted(u[0] for u in users)}):
        if kind == sq.MAILBOX:
            box = boxes.setdefault(box_id, (user_id, value, []))
            box[2].extend([project_id] if project_id is not None else [])
        else:
            details[user_id][kind].append(value)
    people.mailboxes.update({
        box_id: MailboxView(box_id, user_id, address, tuple(sorted(projects)))
        for box_id, (user_id, address, projects) in sorted(boxes.items())})
    for user_id, name, email, personal in sorted(users):
        people.views[user_id] = UserView(
            id=user_id, name=name, email=email.lower(),
            aliases=tuple(sorted(details[user_id][sq.ALIAS])),
            mailboxes=tuple(m.address for m in people.mailboxes.values() if m.user_id == user_id),
            project_ids=tuple(sorted(details[user_id][sq.MEMBER])),
            personal_email_access=personal)


def _candidate_ids(request: SnapshotRequest, users: tuple[UserView, ...],
                   mailboxes: Iterable[MailboxView]) -> set[str]:
    """Every project the rules may take as a candidate (SPEC §4.1): a superset of theirs."""
    ids = set(request.project_ids)
    ids.update(pid for m in mailboxes if m.id == request.mailbox_id for pid in m.project_ids)
    if not request.project_ids and request.user_id:
        ids.update(pid for u in users if u.id == request.user_id for pid in u.project_ids)
    return ids


@dataclass(frozen=True, slots=True)
class _Found:
    """One request's users, mailboxes and candidate projects."""

    request: SnapshotRequest
    users: tuple[UserView, ...]
    mailboxes: dict[str, MailboxView]
    project_ids: tuple[str, ...]

    @property
    def contact_keys(self) -> list[tuple[str, str]]:
        """(project, address) of every candidate project and address."""
        return [(p, a) for p in self.project_ids for a in sorted(self.request.addresses)]


def build_snapshots(session: Session, requests: Sequence[SnapshotRequest],
                    address_hash: AddressHash | None = None) -> list[Snapshot]:
    """Return the snapshots of several messages, read together in the session's transaction.

    Each is what reading it alone would give. With `address_hash` (the keyed hash of
    erased addresses) the participants erased on request are looked up too (SPEC §13).
    """
    if not requests:
        return []
    # Core statements on the session's connection: the ORM's per-statement set-up is not
    # needed for rows that are not objects.
    db = session.connection()
    people = _read_people(db, requests)
    found = []
    for request in requests:
        users = people.of(request)
        mailboxes = people.mailboxes_of(users)
        found.append(_Found(request, users, mailboxes,
                            tuple(sorted(_candidate_ids(request, users, mailboxes.values())))))
    projects = _union(f.project_ids for f in found)
    addresses = _union(r.addresses for r in requests)
    lists = _read_lists(db, projects, addresses)
    contacts = _read_contacts(db, projects, addresses)
    _add_owners(db, people, contacts)
    settings = {row[0]: row for row in db.execute(
        sq.projects_query(), {"project_ids": projects})}
    conversations = _Conversations.read(db, projects, requests)
    filed = _Filing(_read_companies(db, projects, addresses),
                    _read_open_deals(db, contacts, settings))
    privacy = _read_privacy(session, people, addresses, address_hash)
    return [_snapshot(f, people, lists, contacts, settings, conversations, filed, privacy)
            for f in found]


def build_snapshot(session: Session, request: SnapshotRequest,
                   address_hash: AddressHash | None = None) -> Snapshot:
    """Return the snapshot of one message."""
    return build_snapshots(session, [request], address_hash)[0]


@dataclass(frozen=True, slots=True)
class _Privacy:
    """Personal never-log entries (user, address) and tombstones (project or "", address)."""

    personal: frozenset[tuple[str, str]]
    erased: frozenset[tuple[str, str]]
    tokens: dict[str, str]


def _read_privacy(session: Session, people: _People, addresses: list[str],
                  address_hash: AddressHash | None) -> _Privacy:
    personal = frozenset((user_id, address) for user_id, address in session.connection().execute(
        sq.personal_never_log_query(),
        {"user_ids": sorted(people.views), "addresses": addresses})) if people.views else frozenset()
    if address_hash is None:
        return _Privacy(personal, frozenset(), {})
    erased = frozenset(erased_among(session, addresses, address_hash))
    return _Privacy(personal, erased,
                    {address: token(address_hash(address)) for _p, address in erased})


@dataclass(frozen=True, slots=True)
class _Lists:
    """Ignored patterns by project (None: global), never-log by (project, address), and
    project addresses by address."""

    ignored: _Rows
    never: _Rows
    project_addresses: frozenset[str]


def _read_lists(db: Connection, projects: list[str], addresses: list[str]) -> _Lists:
    rows = db.execute(sq.lists_query(), {"project_ids": projects,
                                              "addresses": addresses}).all()
    ordered = sorted(rows, key=lambda row: (row[0], row[2]))
    return _Lists(
        _Rows((project_id, value) for kind, project_id, value in ordered if kind == sq.IGNORED),
        _Rows(((project_id, value), value) for kind, project_id, value in ordered
              if kind == sq.NEVER_LOG),
        frozenset(value for kind, _p, value in rows if kind == sq.PROJECT_ADDRESS))


@dataclass(frozen=True, slots=True)
class _Contacts:
    """Contact ids by (project, address), each contact's view, and their companies."""

    ids: _Rows
    views: dict[str, ContactView]
    companies: dict[str, CompanyView]


def _read_contacts(db: Connection, projects: list[str], addresses: list[str]) -> _Contacts:
    keys: dict[tuple[str, str], dict[str, None]] = defaultdict(dict)
    found: dict[str, tuple[str, str, str | None, str | None, dict[str, None]]] = {}
    companies: dict[str, CompanyView] = {}
    for project_id, address, contact_id, name, owner_id, every, company_id, company_name \
            in db.execute(sq.contacts_query(), {"project_ids": projects, "addresses": addresses}):
        keys[(project_id, address)][contact_id] = None
        found.setdefault(contact_id, (project_id, name, owner_id, company_id, {}))[4][every] = None
        if company_id is not None:
            companies[company_id] = CompanyView(company_id, project_id, company_name)
    views = {contact_id: ContactView(contact_id, project_id, name, tuple(every), owner_id,
                                     company_id)
             for contact_id, (project_id, name, owner_id, company_id, every) in found.items()}
    return _Contacts(_Rows((key, c) for key, ids in keys.items() for c in ids), views,
                     companies)


def _domains(addresses: Iterable[str]) -> list[str]:
    """The domains of the addresses and their parents: where a company may be found."""
    return sorted({d for a in addresses for d in domain_and_parents(domain_of(a))})


def _read_companies(db: Connection, projects: list[str], addresses: list[str]) -> _Rows:
    """Companies by (project, domain) for the addresses' domains and their parents."""
    domains = _domains(addresses)
    if not projects or not domains:
        return _Rows(())
    return _Rows(((project_id, domain), (company_id, project_id, name, domain))
                 for project_id, domain, company_id, name in db.execute(
                     sq.companies_query(), {"project_ids": projects, "domains": domains}))


def _read_open_deals(db: Connection, contacts: _Contacts, settings: dict[str, Any]) -> _Rows:
    """The open deals of the contacts found in projects that file interactions under deals."""
    filing = {pid for pid, row in settings.items()
              if row.deal_association != DealAssociationMode.NONE}
    contact_ids = sorted(c.id for c in contacts.views.values() if c.project_id in filing)
    if not contact_ids:
        return _Rows(())
    return _Rows((contact_id, (deal_id, project_id, name, updated_at))
                 for contact_id, deal_id, project_id, name, updated_at in db.execute(
                     sq.open_deals_query(), {"contact_ids": contact_ids}))


def _add_owners(db: Connection, people: _People, contacts: _Contacts) -> None:
    """Read the owners of the contacts found, when no message's own users include them."""
    owners = sorted({c.owner_id for c in contacts.views.values() if c.owner_id}
                    - people.views.keys())
    if owners:
        rows = db.execute(sq.users_query(), {
            "addresses": [], "user_ids": owners, "mailbox_ids": []}).all()
        _add_details(db, people, {tuple(user) for _kind, _key, *user in rows})


@dataclass(slots=True)
class _Conversations:
    """What the candidate projects hold of the requests' emails and their conversations."""

    stored: _Rows   # (project, Message-ID) -> StoredEmail, with its thread's state
    roots: _Rows    # (project, root id) -> thread state
    history: _Rows  # (project, Message-ID) and (project, thread id) -> interaction row

    @classmethod
    def read(cls, db: Connection, projects: list[str],
             requests: Sequence[SnapshotRequest]) -> _Conversations:
        emails = [e for r in requests for e in r.emails]
        ids = _union([e.message_id, *e.thread_ids] for e in emails)
        roots = _union((e.root_id, e.message_id) for e in emails)
        stored, by_root = [], []
        rows = db.execute(sq.threads_query(), {"project_ids": projects, "ids": ids,
                                               "roots": roots}).all()
        # In a stable order (SQL leaves it to the plan): the emails a project holds under a
        # Message-ID, exact fingerprints before those recorded without one.
        for kind, project_id, key, thread_id, status, assigned, created, ref, fingerprint, \
                received in sorted(rows, key=lambda r: (r[0], r[1], r[2], r[8] is None,
                                                         r[8] or "", r[7] or "", r[3])):
            state = (created, thread_id, status, tuple(assigned))
            if kind == sq.BY_MESSAGE:
                email = StoredEmail(project_id, key, fingerprint, ref, thread_id, received)
                stored.append(((project_id, key), (email, state)))
            else:
                by_root.append(((project_id, key), state))
        thread_ids = sorted({state[1] for _key, (_email, state) in stored}
                            | {state[1] for _key, state in by_root})
        return cls(_Rows(stored), _Rows(by_root),
                   _read_history(db, projects, ids, thread_ids))

    def thread(self, project_id: str, email: EmailKey) -> ThreadView:
        """What the project holds of the email's conversation."""
        own = self.stored.of([(project_id, email.message_id)])
        states = [state for _stored, state in own] or [
            state for _stored, state in self.stored.of(
                (project_id, i) for i in email.thread_ids)] or self.roots.of(
            [(project_id, email.root_id), (project_id, email.message_id)])
        _created, thread_id, status, assigned = min(states) if states else (
            None, None, "open", ())
        history = self.history.of([*((project_id, i) for i in email.thread_ids),
                                   (project_id, thread_id)])
        logged = frozenset(row[2] for row in history if row[2] in email.thread_ids)
        credited = next((row[1] for row in sorted(history, key=lambda r: (r[3], r[5]))
                         if row[1]), None)
        return ThreadView(thread_id, status, assigned, email.message_id, logged, credited,
                          frozenset(s.fingerprint or "" for s, _state in own))


def _read_history(db: Connection, projects: list[str], referenced: list[str],
                  thread_ids: list[str]) -> _Rows:
    values = {"project_ids": projects, "referenced": referenced}
    rows = db.execute(sq.history_query(by_thread=bool(thread_ids)),
                      {**values, "thread_ids": thread_ids} if thread_ids else values).all()
    keyed = []
    for row in dict.fromkeys(tuple(r) for r in rows):
        keyed += [((row[0], row[2]), row), ((row[0], row[4]), row)]
    return _Rows(keyed)


@dataclass(frozen=True, slots=True)
class _Filing:
    """What interactions may be filed under (SPEC §12): companies by (project, domain),
    open deals by contact."""

    companies: _Rows
    deals: _Rows

    def companies_for(self, found: _Found, contacts: tuple[ContactView, ...],
                      own: dict[str, CompanyView]) -> tuple[CompanyView, ...]:
        """The contacts' own companies and those with a domain of the request's addresses."""
        domains: dict[str, dict[str, None]] = defaultdict(dict)
        names: dict[str, tuple[str, str]] = {}
        keys = [(p, d) for p in found.project_ids for d in _domains(found.request.addresses)]
        for company_id, project_id, name, domain in self.companies.of(keys):
            domains[company_id][domain] = None
            names[company_id] = (project_id, name)
        views = {c.company_id: own[c.company_id] for c in contacts
                 if c.company_id and c.company_id in own}
        for company_id, (project_id, name) in names.items():
            views[company_id] = CompanyView(company_id, project_id, name,
                                            tuple(domains[company_id]))
        return tuple(views[company_id] for company_id in sorted(views))

    def deals_for(self, contacts: tuple[ContactView, ...]) -> tuple[DealView, ...]:
        """The contacts' open deals, each with those of the contacts it involves."""
        linked: dict[str, list[str]] = defaultdict(list)
        rows: dict[str, tuple[str, str, Any]] = {}
        for contact in contacts:
            for deal_id, project_id, name, updated_at in self.deals.of([contact.id]):
                linked[deal_id].append(contact.id)
                rows[deal_id] = (project_id, name, updated_at)
        return tuple(DealView(deal_id, *rows[deal_id], contact_ids=tuple(linked[deal_id]))
                     for deal_id in sorted(rows))


def _snapshot(found: _Found, people: _People, lists: _Lists, contacts: _Contacts,
              settings: dict[str, Any], conversations: _Conversations,
              filed: _Filing, privacy: _Privacy) -> Snapshot:
    """One request's snapshot, taken from the rows read for all of them."""
    request = found.request
    matched = tuple(contacts.views[c] for c in dict.fromkeys(contacts.ids.of(found.contact_keys)))
    known = {user.id for user in found.users}
    owners = tuple(people.views[o] for o in sorted({c.owner_id for c in matched if c.owner_id}
                                                   - known) if o in people.views)
    projects = tuple(_project_view(settings[pid], found, lists, conversations)
                     for pid in found.project_ids if pid in settings)
    stored = tuple(s for p in found.project_ids for e in request.emails
                   for s, _state in conversations.stored.of([(p, e.message_id)]))
    return Snapshot(DirectorySnapshot(
        users=found.users + owners, projects=projects, contacts=matched,
        mailboxes=tuple(found.mailboxes.values()),
        project_addresses=lists.project_addresses & request.addresses,
        global_ignored=tuple(lists.ignored.of([None])),
        companies=filed.companies_for(found, matched, contacts.companies),
        deals=filed.deals_for(matched),
        erased=frozenset(e for e in privacy.erased if e[1] in request.addresses),
        personal_never_log=frozenset(
            (user_id, address) for user_id, address in privacy.personal
            if address in request.addresses and user_id in known)), stored,
        tuple(sorted((a, t) for a, t in privacy.tokens.items() if a in request.addresses)))


def _project_view(row: Any, found: _Found, lists: _Lists,
                  conversations: _Conversations) -> ProjectView:
    (pid, name, interaction_type, logging_mode, sender_auth, create_contacts, store_bodies,
     deal_association, capture_level) = row
    request = found.request
    return ProjectView(
        id=pid, name=name, interaction_type=interaction_type,
        logging_mode=LoggingMode(logging_mode), sender_auth=SenderAuthMode(sender_auth),
        create_contacts=CreateContacts(create_contacts),
        member_ids=frozenset(u.id for u in found.users if pid in u.project_ids),
        ignored=tuple(lists.ignored.of([pid])),
        never_log=frozenset(lists.never.of((pid, a) for a in request.addresses)),
        threads=tuple(conversations.thread(pid, e) for e in request.emails),
        store_bodies=bool(store_bodies),
        deal_association=DealAssociationMode(deal_association),
        capture_level=CaptureLevel(capture_level))
