"""Record what a claim's decisions log: contacts, threads, messages and interactions.

A `Recording` collects the rows a claim adds, as typed values, and writes them at its end in
one `executemany` per table (`write`). What is stored already comes from the messages'
snapshots (store.snapshot), read before the claim's DNS look-ups; rows two messages of the
claim share (a conversation's thread, an email captured twice) are added once. A row another
worker inserted since the snapshot was read makes `write` raise `RecordingRace`: the claim is
retried (an attempt like any failure's) and its next snapshot sees that row. Everything here
stays inside one project. The events telling of the claim's changes are written with them.
Query functions never commit; the caller owns the transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from rules.facts import CaptureLevel
from store.errors import RecordingRace
from store.events import (
    EventType,
    contact_events,
    emit_many,
    interaction_events,
    thread_events,
)
from store.models import (
    AttachmentContent,
    Contact,
    ContactAddress,
    Decision,
    Interaction,
    InteractionCompany,
    InteractionDeal,
    Meeting,
    Message,
    Thread,
    new_id,
    table_of,
)
from store.snapshot import StoredEmail
from store.tombstones import scrubber


@dataclass(frozen=True, slots=True)
class MeetingRecord:
    """A meeting as one invitation describes it (SPEC §12); `method` request or cancel."""

    method: str
    uid: str
    sequence: int
    status: str
    summary: str
    start: str | None
    end: str | None
    timezone: str | None
    location: str
    organizer: str
    attendees: list[dict[str, str]]

    def after(self, later: MeetingRecord) -> MeetingRecord:
        """Return the meeting once `later` (an invitation of the same UID) is applied.

        A REQUEST with a higher SEQUENCE replaces it; a CANCEL of at least its SEQUENCE
        cancels it; anything else (a copy, an older update arriving late) changes nothing.
        """
        if later.method == "request" and later.sequence > self.sequence:
            return later
        if later.method == "cancel" and later.sequence >= self.sequence:
            return replace(self, method="cancel", sequence=later.sequence, status="cancelled")
        return self


@dataclass(frozen=True, slots=True)
class EmailRecord:
    """What is stored of a logged email (from the parser, chosen by processing)."""

    message_id: str
    fingerprint: str
    thread_ids: tuple[str, ...]
    root_id: str
    subject: str
    from_address: str
    from_name: str
    to: list[str]
    cc: list[str]
    date: datetime | None
    preview: str
    text: str | None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    original_verified: bool = False
    # The HTML body, already sanitised ('' when the email has none).
    html: str = ""
    # The header fields that matter to a reader: [{name, value}, …].
    headers: list[dict[str, Any]] = field(default_factory=list)
    # The attachments' bytes by sha256 (decoded once, by the parser; stored once per content).
    contents: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)
    # The calendar invitation the email carries (SPEC §12).
    meeting: MeetingRecord | None = None

    def kept_at(self, level: CaptureLevel) -> EmailRecord:
        """Return what a project capturing at `level` keeps of the email (SPEC §13).

        `subject`: participants, date and subject; `metadata`: participants and date.
        What is not kept is never written (message, thread, preview, attachments).
        """
        if level is CaptureLevel.FULL:
            return self
        subject = self.subject if level is CaptureLevel.SUBJECT else ""
        return replace(self, subject=subject, preview="", text=None, html="", headers=[],
                       attachments=[], contents={}, meeting=None)

    def with_stand_ins(self, tokens: dict[str, str]) -> EmailRecord:
        """Return the email with each erased participant replaced by its stand-in."""
        if not tokens:
            return self
        erased_author = self.from_address.lower() in tokens
        return replace(
            self, from_address=tokens.get(self.from_address.lower(), self.from_address),
            from_name="" if erased_author else self.from_name,
            to=[tokens.get(a.lower(), a) for a in self.to],
            cc=[tokens.get(a.lower(), a) for a in self.cc],
            headers=cast(list[dict[str, Any]], scrubber(tokens)(self.headers)))


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A recorded message's ids in one project: what interactions and threads refer to."""

    id: str
    thread_id: str


@dataclass(slots=True)
class NewThread:
    """A thread row to insert."""

    id: str
    project_id: str
    root_id: str
    subject: str
    participants: list[str]
    created_at: datetime
    status: str = "open"
    candidate_project_ids: list[str] = field(default_factory=list)
    assigned_project_ids: list[str] = field(default_factory=list)
    pending_received_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class NewMessage:
    """A message row to insert (one email in one project)."""

    id: str
    project_id: str
    message_id: str
    fingerprint: str
    thread_id: str
    received_id: str
    subject: str
    from_address: str
    from_name: str
    to: list[str]
    cc: list[str]
    date: datetime | None
    preview: str
    text: str | None
    attachments: list[dict[str, Any]]
    original_verified: bool
    created_at: datetime
    html: str | None
    headers: list[dict[str, Any]]
    meeting_uid: str | None = None


@dataclass(slots=True)
class NewInteraction:
    """An interaction row to insert: one email logged on one contact in one project."""

    id: str
    project_id: str
    contact_id: str
    message_ref: str
    thread_id: str
    user_id: str | None
    type: str
    channels: list[str]
    logged_at: datetime


@dataclass(slots=True)
class NewContact:
    """A contact created for an unmatched address (create_contacts = recipients)."""

    id: str
    project_id: str
    external_id: str
    name: str
    owner_id: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(slots=True)
class Filing:
    """What one interaction is also filed under (SPEC §12): its project's companies, deals."""

    project_id: str
    company_ids: set[str] = field(default_factory=set)
    deal_ids: set[str] = field(default_factory=set)


def _row(value: Any) -> dict[str, Any]:
    return {f.name: getattr(value, f.name) for f in fields(value)}


_CONTACTS, _CONTACT_ADDRESSES = table_of(Contact), table_of(ContactAddress)
_THREADS, _MESSAGES, _INTERACTIONS = table_of(Thread), table_of(Message), table_of(Interaction)
_INTERACTION_COMPANIES = table_of(InteractionCompany)
_INTERACTION_DEALS = table_of(InteractionDeal)
_CONTENTS, _MEETINGS = table_of(AttachmentContent), table_of(Meeting)
_MAX_EXTERNAL_ID = _CONTACTS.c.external_id.type.length  # type: ignore[attr-defined]
_MAX_NAME = _CONTACTS.c.name.type.length  # type: ignore[attr-defined]


def _created_contact_external_id(address: str) -> str:
    # The external id must fit its column on every backend (PostgreSQL refuses a longer
    # value, which would fail the message on every retry); a long address gets its digest.
    external_id = f"blindcopy:{address}"
    if len(external_id) <= _MAX_EXTERNAL_ID:
        return external_id
    return "blindcopy:sha256:" + hashlib.sha256(address.encode()).hexdigest()


@dataclass(slots=True)
class Recording:
    """The rows a claim adds, kept until `write`; two messages sharing a row share it."""

    now: datetime
    # Largest attachment whose bytes are stored (max_attachment_bytes).
    max_attachment_bytes: int = 25 * 1024 * 1024
    contacts: dict[tuple[str, str], NewContact] = field(default_factory=dict)
    threads: dict[tuple[str, str], NewThread] = field(default_factory=dict)
    messages: dict[tuple[str, str, str], NewMessage] = field(default_factory=dict)
    interactions: dict[tuple[str, str, str], NewInteraction] = field(default_factory=dict)
    # Stored rows this claim changes: fingerprints of legacy messages, pending threads.
    fingerprints: dict[str, str] = field(default_factory=dict)
    pending: dict[str, tuple[set[str], list[str]]] = field(default_factory=dict)
    # Earlier captures whose decision learns that their Message-ID was reused (§9).
    reused: set[str] = field(default_factory=set)
    # What each interaction (by the id the claim gave it) is also filed under (§12).
    filed: dict[str, Filing] = field(default_factory=dict)
    # Attachment bytes the claim's new messages store, by sha256 (§12).
    contents: dict[str, bytes] = field(default_factory=dict)
    # The meetings the claim's invitations describe, by (project, UID), in arrival order.
    meetings: dict[tuple[str, str], MeetingRecord] = field(default_factory=dict)

    def message(self, project_id: str, email: EmailRecord, stored: tuple[StoredEmail, ...],
                thread_id: str | None, received_id: str, keep_text: bool) -> StoredMessage:
        """Return the project's message for this email, adding it (and a thread) if new.

        `stored`: what the project holds under its Message-ID; `thread_id`: the thread the
        snapshot found for its conversation there; `keep_text`: the project keeps bodies.
        """
        if email.meeting is not None:
            self._meeting(project_id, email.meeting)
        same = next((s for s in stored if s.fingerprint == email.fingerprint),
                    next((s for s in stored if s.fingerprint is None), None))
        if same is not None:
            if same.fingerprint is None:
                self.fingerprints[same.ref] = email.fingerprint
            return StoredMessage(same.ref, same.thread_id)
        self.reused.update(s.received_id for s in stored if s.received_id)
        key = (project_id, email.message_id, email.fingerprint)
        added = self.messages.get(key)
        if added is None:
            thread = thread_id or self._thread(project_id, email).id
            added = self.messages[key] = NewMessage(
                new_id(), project_id, email.message_id, email.fingerprint, thread, received_id,
                email.subject, email.from_address, email.from_name, email.to, email.cc,
                email.date, email.preview, email.text if keep_text else None,
                self._attachments(email, keep_text), email.original_verified, self.now,
                (email.html or None) if keep_text else None, email.headers,
                email.meeting.uid if email.meeting else None)
        return StoredMessage(added.id, added.thread_id)

    def _meeting(self, project_id: str, invitation: MeetingRecord) -> None:
        key = (project_id, invitation.uid)
        earlier = self.meetings.get(key)
        self.meetings[key] = earlier.after(invitation) if earlier else invitation

    def _attachments(self, email: EmailRecord, keep_content: bool) -> list[dict[str, Any]]:
        """Return the attachments' metadata as this project stores it; keep their bytes.

        Bytes are kept for a project that stores bodies, up to max_attachment_bytes each;
        any other attachment says why only its metadata is there.
        """
        listed = []
        for attachment in email.attachments:
            content = email.contents.get(attachment["sha256"])
            if not keep_content:
                why = "the project does not store bodies (store_bodies is false)"
            elif attachment["size"] > self.max_attachment_bytes:
                why = (f"larger than max_attachment_bytes ({self.max_attachment_bytes} "
                       "bytes): only its metadata is kept")
            elif content is None:
                why = "its content could not be read"
            else:
                self.contents[attachment["sha256"]] = content
                listed.append({**attachment, "stored": True})
                continue
            listed.append({**attachment, "stored": False, "not_stored": why})
        return listed

    def _thread(self, project_id: str, email: EmailRecord) -> NewThread:
        """The thread the claim adds for the email's conversation (shared by the claim)."""
        for root in (email.root_id, *email.thread_ids):
            added = self.threads.get((project_id, root))
            if added is not None:
                return added
        added = self.threads[(project_id, email.root_id)] = NewThread(
            new_id(), project_id, email.root_id, email.subject,
            sorted({email.from_address, *email.to, *email.cc}), self.now)
        return added

    def contact(self, project_id: str, address: str, owner_id: str | None,
                name: str | None = None) -> str:
        """Return the id of the contact created for `address` (once per claim), named
        `name` or, by default, its address."""
        key = (project_id, address)
        if key not in self.contacts:
            self.contacts[key] = NewContact(
                new_id(), project_id, _created_contact_external_id(address),
                (name or address)[:_MAX_NAME], owner_id, self.now, self.now)
        return self.contacts[key].id

    def interaction(self, project_id: str, contact_id: str, message: StoredMessage,
                    user_id: str | None, type_: str, channel: str) -> str:
        """Log the message on the contact (or add the channel); return the interaction id."""
        key = (project_id, contact_id, message.id)
        added = self.interactions.setdefault(key, NewInteraction(
            new_id(), project_id, contact_id, message.id, message.thread_id, user_id, type_,
            [], self.now))
        if channel not in added.channels:
            added.channels.append(channel)
        return added.id

    def file_under(self, interaction_id: str, project_id: str, company_ids: tuple[str, ...],
                   deal_ids: tuple[str, ...]) -> None:
        """File the interaction the claim logged under these companies and deals too."""
        filing = self.filed.setdefault(interaction_id, Filing(project_id))
        filing.company_ids.update(company_ids)
        filing.deal_ids.update(deal_ids)

    def mark_pending(self, thread_id: str, candidates: list[str], received_id: str) -> None:
        """Make the thread pending until a user assigns it (assigned threads stay so)."""
        added = next((t for t in self.threads.values() if t.id == thread_id), None)
        if added is not None:
            added.status = "pending"
            added.candidate_project_ids = sorted({*added.candidate_project_ids, *candidates})
            added.pending_received_ids.append(received_id)
            return
        wanted, waiting = self.pending.setdefault(thread_id, (set(), []))
        wanted.update(candidates)
        waiting.append(received_id)

    def write(self, session: Session) -> dict[str, str]:
        """Insert the claim's rows (parents first), apply its changes to stored rows, and
        emit the events telling of them (store/events.py), in the caller's transaction.

        Return the id each interaction the claim logged ended up with: its own, or the
        stored one's when the contact already had the message (its channel is added).
        """
        db = session.connection()
        self._insert_new(db, _CONTACTS, self.contacts.values())
        if self.contacts:
            db.execute(_CONTACT_ADDRESSES.insert(), [
                {"id": new_id(), "contact_id": c.id, "project_id": c.project_id, "address": a}
                for (_p, a), c in self.contacts.items()])
        self._insert_new(db, _THREADS, self.threads.values())
        self._insert_new(db, _MESSAGES, self.messages.values())
        _insert_contents(db, self.contents, self.now)
        _apply_meetings(session, self.meetings, self.now)
        interactions = _insert_interactions(session, list(self.interactions.values()))
        _insert_filings(db, self.filed, interactions.ids)
        _apply_fingerprints(db, self.fingerprints)
        pending = [t.id for t in self.threads.values() if t.status == "pending"]
        pending += _apply_pending(session, self.pending)
        emit_many(session, [
            *contact_events(session, EventType.CONTACT_CREATED,
                            [c.id for c in self.contacts.values()]),
            *interaction_events(session, EventType.INTERACTION_LOGGED, interactions.logged),
            *interaction_events(session, EventType.INTERACTION_UPDATED, interactions.updated),
            *thread_events(session, EventType.THREAD_PENDING, pending)])
        return {claimed: stored_id for claimed, (stored_id, _at) in interactions.ids.items()}

    @staticmethod
    def _insert_new(db: Connection, table: Table, rows: Any) -> None:
        """Insert rows that must be new; raise RecordingRace if one appeared meanwhile."""
        values = [_row(value) for value in rows]
        if not values:
            return
        inserted = db.execute(_insert_new_statement(db, table), values).scalars()
        if len(set(inserted)) != len(values):
            raise RecordingRace(f"another worker recorded a row of {table.name} meanwhile")


def _dialect_insert(db: Connection, table: Table) -> Any:
    dialect = db.dialect.name
    return (postgresql_insert if dialect == "postgresql" else sqlite_insert)(table)


def _insert_new_statement(db: Connection, table: Table) -> Any:
    return _dialect_insert(db, table).on_conflict_do_nothing().returning(table.c.id)


def _insert_contents(db: Connection, contents: dict[str, bytes], now: datetime) -> None:
    """Store attachment bytes not stored yet, once per sha256.

    The hashes are looked up first, so bytes already stored (another email, another
    project) are not sent to the database again; one stored meanwhile by another worker
    is the same bytes, and its conflict is ignored.
    """
    if not contents:
        return
    stored = set(db.execute(select(_CONTENTS.c.sha256)
                            .where(_CONTENTS.c.sha256.in_(sorted(contents)))).scalars())
    missing = [{"sha256": sha256, "size": len(content), "content": content,
                "created_at": now}
               for sha256, content in contents.items() if sha256 not in stored]
    if missing:
        db.execute(_dialect_insert(db, _CONTENTS).on_conflict_do_nothing(
            index_elements=["sha256"]), missing)


_MEETING_FIELDS = ("sequence", "status", "summary", "start", "end", "timezone", "location",
                   "organizer", "attendees")


def _apply_meetings(session: Session, meetings: dict[tuple[str, str], MeetingRecord],
                    now: datetime) -> None:
    """Record each meeting in its project: a new UID added, a known one updated in place.

    The stored meeting is read locked, so two workers recording invitations of one meeting
    apply them one after the other; a meeting another worker inserted meanwhile raises
    RecordingRace (the claim is retried and finds it).
    """
    for (project_id, uid), invitation in meetings.items():
        stored = session.execute(select(Meeting).where(
            Meeting.project_id == project_id, Meeting.uid == uid).with_for_update()).scalar()
        if stored is None:
            _insert_meeting(session, project_id, invitation, now)
            continue
        known = _meeting_record(stored)
        current = known.after(invitation)
        if current == known:
            continue
        for name in _MEETING_FIELDS:
            setattr(stored, name, getattr(current, name))
        stored.updated_at = now


def _insert_meeting(session: Session, project_id: str, invitation: MeetingRecord,
                    now: datetime) -> None:
    db = session.connection()
    values = {"id": new_id(), "project_id": project_id, "uid": invitation.uid,
              "updated_at": now, **{name: getattr(invitation, name) for name in _MEETING_FIELDS}}
    inserted = db.execute(_dialect_insert(db, _MEETINGS).values(values)
                          .on_conflict_do_nothing().returning(_MEETINGS.c.id)).scalars().all()
    if not inserted:
        raise RecordingRace("another worker recorded a meeting of this UID meanwhile")


def _meeting_record(stored: Meeting) -> MeetingRecord:
    method = "cancel" if stored.status == "cancelled" else "request"
    return MeetingRecord(method, stored.uid, **{name: getattr(stored, name)
                                                 for name in _MEETING_FIELDS})


@dataclass(frozen=True, slots=True)
class InteractionChanges:
    """What inserting a claim's interactions did: the id and logged_at each row ended up with
    (its own, or the stored one's) by the id the claim gave it, and which stored interactions
    were logged now or got a channel added."""

    ids: dict[str, tuple[str, datetime]]
    logged: list[str]
    updated: list[str]


def _insert_interactions(session: Session, rows: list[NewInteraction]) -> InteractionChanges:
    """Insert the interactions; one the contact already has gets the new channels instead."""
    if not rows:
        return InteractionChanges({}, [], [])
    db = session.connection()
    statement = _dialect_insert(db, _INTERACTIONS).on_conflict_do_nothing(
        index_elements=["project_id", "contact_id", "message_ref"]).returning(_INTERACTIONS.c.id)
    inserted = set(db.execute(statement, [_row(r) for r in rows]).scalars())
    ids = {row.id: (row.id, row.logged_at) for row in rows}
    updated: list[str] = []
    for row in (r for r in rows if r.id not in inserted):
        stored = session.execute(select(Interaction).where(
            Interaction.project_id == row.project_id, Interaction.contact_id == row.contact_id,
            Interaction.message_ref == row.message_ref)).scalar_one()
        added = [c for c in row.channels if c not in stored.channels]
        if added:
            stored.channels = [*stored.channels, *added]
            updated.append(stored.id)
        ids[row.id] = (stored.id, stored.logged_at)
    return InteractionChanges(ids, sorted(inserted), updated)


def _insert_filings(db: Connection, filed: dict[str, Filing],
                    logged: dict[str, tuple[str, datetime]]) -> None:
    """Insert the interactions' companies and deals; a row already there is kept as it is."""
    for table, column, kind in ((_INTERACTION_COMPANIES, "company_id", "company_ids"),
                                (_INTERACTION_DEALS, "deal_id", "deal_ids")):
        rows = [{"interaction_id": logged[claimed][0], column: other,
                 "project_id": filing.project_id, "logged_at": logged[claimed][1]}
                for claimed, filing in filed.items() if claimed in logged
                for other in sorted(getattr(filing, kind))]
        if rows:
            db.execute(_dialect_insert(db, table).on_conflict_do_nothing(), rows)


def _apply_fingerprints(db: Connection, fingerprints: dict[str, str]) -> None:
    if fingerprints:
        db.execute(update(_MESSAGES).where(_MESSAGES.c.id == bindparam("ref"))
                        .values(fingerprint=bindparam("new_fingerprint")),
                        [{"ref": ref, "new_fingerprint": fp} for ref, fp in fingerprints.items()])


def _apply_pending(session: Session, pending: dict[str, tuple[set[str], list[str]]]
                   ) -> list[str]:
    """Make stored threads pending (assigned ones stay so); return those that became so."""
    became: list[str] = []
    for thread_id, (candidates, waiting) in pending.items():
        thread = session.get(Thread, thread_id, with_for_update=True)
        if thread is None or thread.status == "assigned":
            continue
        if thread.status != "pending":
            became.append(thread.id)
        thread.status = "pending"
        thread.candidate_project_ids = sorted({*thread.candidate_project_ids, *candidates})
        thread.pending_received_ids = [*thread.pending_received_ids,
                                       *(r for r in waiting if r not in thread.pending_received_ids)]
    return became


def store_decisions(session: Session, decisions: list[tuple[str, str, dict[str, Any]]]) -> None:
    """Store the decisions taken for received messages: (received id, rules version, body)."""
    if decisions:
        session.connection().execute(table_of(Decision).insert(), [
            {"id": new_id(), "received_message_id": received_id, "rules_version": version,
             "body": body}
            for received_id, version, body in decisions])


def tell_reused(session: Session, received_ids: set[str], warning: str) -> None:
    """Add `warning` to the newest decision of each of these received messages."""
    for received_id in sorted(received_ids):
        decision = session.execute(
            select(Decision).where(Decision.received_message_id == received_id)
            .order_by(Decision.created_at.desc(), Decision.id.desc()).limit(1)).scalar()
        if decision is not None and warning not in decision.body.get("warnings", []):
            decision.body = {**decision.body,
                             "warnings": [*decision.body.get("warnings", []), warning]}
