"""Record a decision: the message and its thread, interactions, contacts to create, the decision.

Interactions are upserted on (project, contact, message): a second capture adds its channel
and never duplicates. Query functions here never commit; the caller owns the transaction.
They take a synchronous Session: the caller runs a message's whole recording in one greenlet
(`AsyncSession.run_sync`), not one per statement.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    String,
    bindparam,
    cast,
    insert,
    literal,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from store.models import (
    Contact,
    ContactAddress,
    Decision,
    Interaction,
    Message,
    Thread,
    new_id,
    table_of,
)


@dataclass(frozen=True, slots=True)
class MessageRecord:
    """What is stored of a logged email (from the parser, chosen by processing)."""

    message_id: str
    thread_ids: tuple[str, ...]
    # The conversation's first Message-ID: messages of one conversation meet on it even when
    # they are recorded at the same moment by two workers, before either sees the other.
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


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A recorded message's ids: what interactions and thread state refer to."""

    id: str
    thread_id: str


# Core statements on the tables (see store.models.table_of); INSERTs fill the columns'
# Python-side defaults for what is not given.
_THREADS = table_of(Thread)
_MESSAGES = table_of(Message)
_INSERT_THREAD = insert(_THREADS)
_INSERT_MESSAGE = insert(_MESSAGES)
_INSERT_DECISION = insert(table_of(Decision))
_INSERT_INTERACTION = insert(table_of(Interaction))
_KEEP_TEXT = update(_MESSAGES).where(_MESSAGES.c.id == bindparam("ref")).values(
    text=bindparam("new_text"))


@functools.cache
def _lookups_query() -> Any:
    """The threads of referenced messages and of root ids, and the stored messages, at once.

    A thread branch first: the union's columns take its types (a created_at is read back
    as a datetime).
    """
    messages, threads = _MESSAGES.c, _THREADS.c
    # Typed NULLs: PostgreSQL resolves a union's column from its first branch.
    no_text, no_time = cast(null(), Boolean), cast(null(), threads.created_at.type)
    return union_all(
        select(literal(_REFERENCED, String), messages.message_id, null(), threads.id, no_text,
               threads.created_at)
        .join(_THREADS, threads.id == messages.thread_id)
        .where(messages.message_id.in_(bindparam("referenced", expanding=True))),
        select(literal(_ROOT, String), threads.root_id, null(), threads.id, no_text,
               threads.created_at)
        .where(threads.root_id.in_(bindparam("roots", expanding=True))),
        select(literal(_STORED, String), messages.message_id, messages.id, messages.thread_id,
               messages.text.is_(None), no_time)
        .where(messages.message_id.in_(bindparam("message_ids", expanding=True))))


_REFERENCED, _ROOT, _STORED = "referenced", "root", "stored"


@dataclass(slots=True)
class RecordingBatch:
    """A claim's recording: what it reads, once for all its messages, and the rows it adds.

    Read: stored messages by Message-ID (id, thread, whether its text is missing); the
    thread of each referenced message and of each root id; when each of those threads was
    created. The threads, messages and interactions the claim adds are kept here, so a
    message sees those recorded before it in the same transaction as reading again would,
    and are inserted together by `insert_new` (one `executemany` per table).
    """

    messages: dict[str, tuple[str, str, bool]] = field(default_factory=dict)
    by_message: dict[str, str] = field(default_factory=dict)
    by_root: dict[str, str] = field(default_factory=dict)
    created: dict[str, Any] = field(default_factory=dict)
    new_threads: dict[str, dict[str, Any]] = field(default_factory=dict)
    new_messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    new_interactions: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def read(cls, session: Session, records: list[MessageRecord]) -> RecordingBatch:
        """Read what recording `records` needs, in one statement."""
        batch = cls()
        if not records:
            return batch
        rows = session.connection().execute(_lookups_query(), {
            "message_ids": sorted({r.message_id for r in records}),
            "referenced": sorted({i for r in records for i in r.thread_ids}),
            "roots": sorted({i for r in records for i in (r.root_id, r.message_id)})})
        for kind, key, ref, thread_id, no_text, created_at in rows:
            if kind == _STORED:
                batch.messages[key] = (ref, thread_id, bool(no_text))
                continue
            (batch.by_message if kind == _REFERENCED else batch.by_root)[key] = thread_id
            batch.created[thread_id] = created_at
        return batch

    def thread_of(self, record: MessageRecord) -> str | None:
        """The thread of a message `record` refers to, else the one with its root id.

        The earliest created of them (then the least id), as `ORDER BY created_at` picks.
        """
        for ids, found in ((record.thread_ids, self.by_message),
                           ((record.root_id, record.message_id), self.by_root)):
            threads = {found[i] for i in ids if i in found}
            if threads:
                return min(threads, key=lambda thread: (self.created[thread], thread))
        return None

    def insert_new(self, session: Session) -> None:
        """Insert the threads, messages and interactions added so far (parents first)."""
        connection = session.connection()
        for statement, rows in ((_INSERT_THREAD, self.new_threads),
                                (_INSERT_MESSAGE, self.new_messages),
                                (_INSERT_INTERACTION, self.new_interactions)):
            if rows:
                connection.execute(statement, list(rows.values()))
            rows.clear()


def _new_thread(batch: RecordingBatch, record: MessageRecord, now: datetime) -> str:
    thread_id = new_id()
    # Every column a later capture may change is given, so the claim's threads share their
    # keys (one `executemany`): a new thread is open until a capture makes it pending.
    batch.new_threads[thread_id] = {
        "id": thread_id, "subject": record.subject, "root_id": record.root_id,
        "participants": sorted({record.from_address, *record.to, *record.cc}),
        "status": "open", "candidate_project_ids": [], "pending_message_ref": None,
        "created_at": now}
    batch.by_root[record.root_id] = thread_id
    batch.created[thread_id] = now
    return thread_id


def upsert_message(session: Session, record: MessageRecord, batch: RecordingBatch,
                   now: datetime) -> StoredMessage:
    """Return the stored message for this email, adding it (and its thread) if new.

    What is stored already comes from `batch` (read once for the claim); a new message and
    thread are added to it, inserted with the claim's other new rows.
    """
    existing = batch.messages.get(record.message_id)
    if existing is not None:
        ref, thread_id, no_text = existing
        # A later capture into a project that keeps bodies keeps this one's body too.
        if no_text and record.text is not None:
            if ref in batch.new_messages:
                batch.new_messages[ref]["text"] = record.text
            else:
                session.execute(_KEEP_TEXT, {"ref": ref, "new_text": record.text})
            batch.messages[record.message_id] = (ref, thread_id, False)
        return StoredMessage(ref, thread_id)
    thread_id = batch.thread_of(record) or _new_thread(batch, record, now)
    message_ref = new_id()
    batch.new_messages[message_ref] = {
        "id": message_ref, "message_id": record.message_id, "thread_id": thread_id,
        "subject": record.subject, "from_address": record.from_address,
        "from_name": record.from_name, "to": record.to, "cc": record.cc, "date": record.date,
        "preview": record.preview, "text": record.text, "attachments": record.attachments,
        "created_at": now}
    batch.messages[record.message_id] = (message_ref, thread_id, record.text is None)
    batch.by_message[record.message_id] = thread_id
    return StoredMessage(message_ref, thread_id)


def _contact_column_length(name: str) -> int:
    length = getattr(Contact.__table__.c[name].type, "length", None)
    assert isinstance(length, int)
    return length


def _created_contact_external_id(address: str) -> str:
    # The external id must fit its column on every backend (PostgreSQL refuses a longer
    # value, which would fail the message on every retry); a long address gets its digest.
    external_id = f"blindcopy:{address}"
    if len(external_id) <= _contact_column_length("external_id"):
        return external_id
    return "blindcopy:sha256:" + hashlib.sha256(address.encode()).hexdigest()


def create_contact(session: Session, project_id: str, address: str,
                   owner_id: str | None) -> Contact:
    """Create a contact for an unmatched address (create_contacts = recipients)."""
    contact = Contact(project_id=project_id, external_id=_created_contact_external_id(address),
                      name=address[:_contact_column_length("name")], owner_id=owner_id)
    contact.addresses.append(ContactAddress(project_id=project_id, address=address))
    session.add(contact)
    session.flush()
    return contact


_INTERACTION_VALUES = ("id", "project_id", "contact_id", "message_ref", "thread_id", "user_id",
                       "type", "channels", "logged_at")


@functools.cache
def _interaction_upsert(dialect: str) -> Any:
    """Return the INSERT … ON CONFLICT DO NOTHING of an interaction, built once per dialect."""
    dialect_insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    table = table_of(Interaction)
    return (dialect_insert(table)
            .values({name: bindparam(f"new_{name}") for name in _INTERACTION_VALUES})
            .on_conflict_do_nothing(index_elements=["project_id", "contact_id", "message_ref"])
            .returning(table.c.id))


def upsert_interaction(session: Session, batch: RecordingBatch, *, project_id: str,
                       contact_id: str, message: StoredMessage, user_id: str | None,
                       type_: str, channel: str, now: datetime) -> str:
    """Log the message on the contact, or add the channel to the existing interaction.

    Return the interaction's id. On a message the claim adds, the interaction is added to
    `batch` (no stored one can exist); on a stored message, one INSERT … ON CONFLICT DO
    NOTHING, and the existing row is read only when there is one.
    """
    values = {"id": new_id(), "project_id": project_id, "contact_id": contact_id,
              "message_ref": message.id, "thread_id": message.thread_id, "user_id": user_id,
              "type": type_, "channels": [channel], "logged_at": now}
    if message.id in batch.new_messages:
        added = batch.new_interactions.setdefault((project_id, contact_id, message.id), values)
        if channel not in added["channels"]:
            added["channels"] = [*added["channels"], channel]
        return str(added["id"])
    inserted = session.execute(
        _interaction_upsert(session.get_bind().dialect.name),
        {f"new_{name}": value for name, value in values.items()})
    new = inserted.scalar_one_or_none()
    if new is not None:
        return str(new)
    interaction = session.execute(select(Interaction).where(
        Interaction.project_id == project_id, Interaction.contact_id == contact_id,
        Interaction.message_ref == message.id)).scalar_one()
    if channel not in interaction.channels:
        interaction.channels = [*interaction.channels, channel]
    return interaction.id


def mark_thread_pending(session: Session, batch: RecordingBatch, message: StoredMessage,
                        candidate_project_ids: list[str]) -> None:
    """Make the message's thread pending until a user assigns it to project(s)."""
    added = batch.new_threads.get(message.thread_id)
    if added is not None:  # a thread the claim adds is open
        added.update(status="pending", pending_message_ref=message.id,
                     candidate_project_ids=sorted(set(added["candidate_project_ids"])
                                                  | set(candidate_project_ids)))
        return
    thread = session.get(Thread, message.thread_id)
    if thread is not None and thread.status != "assigned":
        thread.status = "pending"
        thread.candidate_project_ids = sorted(set(thread.candidate_project_ids)
                                              | set(candidate_project_ids))
        thread.pending_message_ref = message.id


def store_decisions(session: Session, decisions: list[tuple[str, str, dict[str, Any]]]) -> None:
    """Store the decisions taken for received messages: (received id, rules version, body).

    One `executemany` for all of them.
    """
    session.execute(_INSERT_DECISION, [
        {"id": new_id(), "received_message_id": received_id, "rules_version": rules_version,
         "body": body} for received_id, rules_version, body in decisions])
