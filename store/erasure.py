"""Erase an address on request (SPEC §13): everything stored of it, in bounded batches.

An erasure first writes the address's tombstone (its keyed hash), so captures processed from
then on neither log it nor create it. Then, each step a series of short write transactions
of at most `batch` rows (on SQLite the one write lock is taken once per batch, and the
spool's 250 answers wait for a batch, never for the erasure):

1. the interactions on the contacts with that address are deleted, then those contacts;
2. the project messages that involve it lose their content (subject, preview, text,
   attachments) and show the address as its stand-in `erased:<hash>`; a message no
   interaction refers to any more is deleted; their threads lose subject and address;
   attachment bytes no message refers to any more are deleted;
3. the received messages that involve it (envelope, Authentication-Results, decision or
   raw bytes) lose their raw bytes, and the address is replaced by its stand-in in their
   envelope and in every stored decision;
4. the events that name it (their data) show the stand-in instead; each erased contact
   gets a `contact.erased` event (its id, project and external id, never the address);
   the meetings it organises or attends, and the notices that name it, are deleted (a
   notice names its message's addresses; it is deleted whatever the erasure's project);
5. never-log entries of the address (the project's and users' own) are deleted: the
   tombstone does what they did.

Rows are found by scanning each table in windows of its primary key (`_windows`): each
read is bounded too, and none holds a lock. Re-running an erasure is harmless.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    bindparam,
    cast,
    delete,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from store.database import Store
from store.events import EventType, NewEvent, emit_many
from store.models import (
    AttachmentContent,
    Contact,
    ContactAddress,
    Decision,
    ErasedAddress,
    Event,
    Interaction,
    Meeting,
    Message,
    NeverLogEntry,
    Notice,
    PersonalNeverLogEntry,
    ReceivedMessage,
    ReceivedRaw,
    Thread,
    table_of,
)
from store.queries.json_lists import mentions_any
from store.tombstones import AddressHash, scrubber, token

BATCH = 500
# Keys of a table read per window when looking for the rows that involve the address.
WINDOW = 5_000
MIN_PAUSE_SECONDS, MAX_PAUSE_SECONDS = 0.02, 0.25
# Raw bytes read at once when looking for the address in them.
RAW_BYTES_PER_READ = 16 << 20

_CONTACT_ADDRESSES, _CONTACTS = table_of(ContactAddress), table_of(Contact)
_INTERACTIONS, _MESSAGES, _THREADS = table_of(Interaction), table_of(Message), table_of(Thread)
_RECEIVED, _RAWS, _DECISIONS = table_of(ReceivedMessage), table_of(ReceivedRaw), table_of(Decision)
_EVENTS = table_of(Event)
_CONTENTS, _MEETINGS, _NOTICES = table_of(AttachmentContent), table_of(Meeting), table_of(Notice)


@dataclass(slots=True)
class ErasureCounts:
    """What an erasure removed (the answer of POST /v1/erasures)."""

    interactions: int = 0
    messages: int = 0
    raws: int = 0
    attachments: int = 0

    def to_json(self) -> dict[str, int]:
        """Return the counts as the API shows them."""
        return {"interactions": self.interactions, "messages": self.messages,
                "raws": self.raws, "attachments": self.attachments}


@dataclass(frozen=True, slots=True)
class _Target:
    """The address being erased, its stand-in and where (None: every project)."""

    address: str
    stand_in: str
    project_id: str | None

    def scrub(self, value: Any) -> Any:
        """Return the value with the address replaced by its stand-in, everywhere in it."""
        return scrubber({self.address: self.stand_in})(value)

    def in_json(self, column: Any) -> ColumnElement[bool]:
        """The JSON (or text) column mentions the address (any case)."""
        return func.lower(cast(column, String)).contains(self.address, autoescape=True)

    def in_scope(self, column: ColumnElement[str | None]) -> ColumnElement[bool]:
        """The row's project column is in the erasure's scope."""
        return column.is_not(None) if self.project_id is None else column == self.project_id


def erase_address(store: Store, address: str, project_id: str | None,
                  address_hash: AddressHash, batch: int = BATCH) -> ErasureCounts:
    """Erase the address (from one project, or every project); return what was removed."""
    key = address.strip().lower()
    target = _Target(key, token(address_hash(key)), project_id)
    with _turn(store) as session:
        _add_tombstone(session, address_hash(key), project_id or "")
    counts = ErasureCounts()
    contact_ids = _contacts_with(store, target)
    counts.interactions = _delete_interactions(store, contact_ids, batch)
    _delete_contacts(store, target, contact_ids, batch)
    for ids in _windows(store, _MESSAGES.c.id, _involves_message(target), batch):
        with _turn(store) as session:
            _erase_messages(session, target, ids, counts)
    for ids in _windows(store, _RECEIVED.c.id, _involves_received(target), batch):
        with _turn(store) as session:
            _erase_received(session, target, ids, counts)
    for ids in _windows(store, _EVENTS.c.id, _involves_event(target), batch):
        with _turn(store) as session:
            _scrub_events(session, target, ids)
    for table, involves in ((_MEETINGS, _involves_meeting), (_NOTICES, _involves_notice)):
        for ids in _windows(store, table.c.id, involves(target), batch):
            with _turn(store) as session:
                session.connection().execute(delete(table).where(table.c.id.in_(ids)))
    if project_id is None:
        for ids in _raws_mentioning(store, target, batch):
            with _turn(store) as session:
                _erase_received(session, target, ids, counts)
    with _turn(store) as session:
        _delete_list_entries(session, target)
    return counts


@contextmanager
def _turn(store: Store) -> Iterator[Session]:
    """One write batch of the erasure, then a pause as long as it took (on SQLite).

    SQLite has one write lock for the whole store: a writer waiting for it (the spool,
    before its 250) retries at growing intervals of up to 100 ms, and would seldom find it
    free between back-to-back batches. Pausing as long as each batch held the lock (at
    least 20 ms, at most 250 ms) leaves the lock free at least half the time.
    """
    started = time.perf_counter()
    with store.write() as session:
        yield session
    if store.is_sqlite:
        held = time.perf_counter() - started
        time.sleep(min(max(held, MIN_PAUSE_SECONDS), MAX_PAUSE_SECONDS))


def _add_tombstone(session: Session, hashed: str, project_id: str) -> None:
    present = session.scalar(select(ErasedAddress.id).where(
        ErasedAddress.address_hash == hashed, ErasedAddress.project_id == project_id))
    if present is None:
        session.add(ErasedAddress(address_hash=hashed, project_id=project_id))


def _contacts_with(store: Store, target: _Target) -> list[str]:
    with store.read() as session:
        return list(session.scalars(
            select(_CONTACT_ADDRESSES.c.contact_id).distinct().where(
                _CONTACT_ADDRESSES.c.address == target.address,
                target.in_scope(_CONTACT_ADDRESSES.c.project_id))).all())


def _chunks(values: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _delete_interactions(store: Store, contact_ids: list[str], batch: int) -> int:
    """Delete the contacts' interactions, `batch` at a time; return how many."""
    deleted = 0
    for contacts in _chunks(contact_ids, batch):
        while True:
            with _turn(store) as session:
                db = session.connection()
                ids = list(db.scalars(select(_INTERACTIONS.c.id).where(
                    _INTERACTIONS.c.contact_id.in_(contacts)).limit(batch)).all())
                if ids:
                    db.execute(delete(_INTERACTIONS).where(_INTERACTIONS.c.id.in_(ids)))
            deleted += len(ids)
            if len(ids) < batch:
                break
    return deleted


def _delete_contacts(store: Store, target: _Target, contact_ids: list[str],
                     batch: int) -> None:
    """Delete the contacts, each with its `contact.erased` event (which names no address)."""
    for contacts in _chunks(contact_ids, batch):
        with _turn(store) as session:
            db = session.connection()
            erased = db.execute(select(_CONTACTS.c.id, _CONTACTS.c.project_id,
                                       _CONTACTS.c.external_id)
                                .where(_CONTACTS.c.id.in_(contacts))).all()
            db.execute(delete(_CONTACT_ADDRESSES).where(
                _CONTACT_ADDRESSES.c.contact_id.in_(contacts)))
            db.execute(delete(_CONTACTS).where(_CONTACTS.c.id.in_(contacts)))
            emit_many(session, [NewEvent(EventType.CONTACT_ERASED, row.project_id, {
                "id": row.id, "project_id": row.project_id,
                "external_id": target.scrub(row.external_id)}) for row in erased])


def _windows(store: Store, key: Any, condition: ColumnElement[bool],
             batch: int) -> Iterator[list[str]]:
    """Yield the keys of the rows meeting `condition`, at most `batch` at a time.

    The table is read in windows of WINDOW keys of its primary key, each in a short
    read-only session (no lock); the rows of a window that meet the condition are yielded
    in chunks of `batch`.
    """
    after = ""
    while True:
        with store.read() as session:
            window = select(key.label("key")).where(key > after).order_by(key).limit(WINDOW)
            last = session.scalar(select(func.max(window.subquery().c.key)))
            if last is None:
                return
            found = list(session.scalars(select(key).where(key > after, key <= last, condition)
                                         .order_by(key)).all())
        yield from _chunks(found, batch)
        after = last


def _involves_message(target: _Target) -> ColumnElement[bool]:
    columns = _MESSAGES.c
    return and_(target.in_scope(columns.project_id), or_(
        func.lower(columns.from_address) == target.address,
        target.in_json(columns.to), target.in_json(columns.cc)))


def _erase_messages(session: Session, target: _Target, ids: list[str],
                    counts: ErasureCounts) -> None:
    """Take the content and the address out of these messages; delete those no interaction
    refers to any more."""
    db = session.connection()
    columns = _MESSAGES.c
    rows = db.execute(select(columns.id, columns.thread_id, columns.from_address,
                             columns.from_name, columns.to, columns.cc, columns.attachments)
                      .where(columns.id.in_(ids))).all()
    referred = set(db.scalars(select(_INTERACTIONS.c.message_ref).distinct().where(
        _INTERACTIONS.c.message_ref.in_(ids))).all())
    shas = {a.get("sha256") for row in rows for a in row.attachments or [] if a.get("sha256")}
    unreferred = [row.id for row in rows if row.id not in referred]
    if unreferred:
        db.execute(delete(_MESSAGES).where(columns.id.in_(unreferred)))
    kept = [row for row in rows if row.id in referred]
    if kept:
        db.execute(update(_MESSAGES).where(columns.id == bindparam("ref")).values(
            subject="", preview="", text=None, html=None, headers=[], attachments=[],
            from_address=bindparam("new_from"), from_name=bindparam("new_name"),
            to=bindparam("new_to"), cc=bindparam("new_cc")), [
            {"ref": row.id, "new_to": target.scrub(row.to), "new_cc": target.scrub(row.cc),
             **_author(target, row.from_address, row.from_name)} for row in kept])
    counts.messages += len(rows)
    # An attachment is removed when no message (of any project) refers to it now.
    orphans = [sha for sha in sorted(shas) if not db.scalar(select(exists().where(
        cast(columns.attachments, String).contains(sha, autoescape=True))))]
    if orphans:
        db.execute(delete(_CONTENTS).where(_CONTENTS.c.sha256.in_(orphans)))
    counts.attachments += len(orphans)
    _erase_threads(session, target, sorted({row.thread_id for row in rows}))


def _author(target: _Target, address: str, name: str) -> dict[str, str]:
    erased = address.lower() == target.address
    return {"new_from": target.stand_in if erased else address,
            "new_name": "" if erased else name}


def _erase_threads(session: Session, target: _Target, thread_ids: list[str]) -> None:
    db = session.connection()
    columns = _THREADS.c
    rows = db.execute(select(columns.id, columns.participants)
                      .where(columns.id.in_(thread_ids))).all()
    if rows:
        db.execute(update(_THREADS).where(columns.id == bindparam("ref")).values(
            subject="", participants=bindparam("new_participants")), [
            {"ref": row.id, "new_participants": target.scrub(row.participants)}
            for row in rows])


def _involves_event(target: _Target) -> ColumnElement[bool]:
    return and_(target.in_scope(_EVENTS.c.project_id), target.in_json(_EVENTS.c.data))


def _involves_meeting(target: _Target) -> ColumnElement[bool]:
    columns = _MEETINGS.c
    return and_(target.in_scope(columns.project_id), or_(
        target.in_json(columns.organizer), target.in_json(columns.attendees)))


def _involves_notice(target: _Target) -> ColumnElement[bool]:
    columns = _NOTICES.c
    return or_(target.in_json(columns.to_address), target.in_json(columns.subject),
               target.in_json(columns.body))


def _scrub_events(session: Session, target: _Target, ids: list[str]) -> None:
    """Put the stand-in for the address in these events (a delivery still due sends that)."""
    db = session.connection()
    rows = db.execute(select(_EVENTS.c.id, _EVENTS.c.data).where(_EVENTS.c.id.in_(ids))).all()
    if rows:
        db.execute(update(_EVENTS).where(_EVENTS.c.id == bindparam("ref")).values(
            data=bindparam("new_data")),
            [{"ref": row.id, "new_data": target.scrub(row.data)} for row in rows])


def _involves_received(target: _Target) -> ColumnElement[bool]:
    columns = _RECEIVED.c
    mentioned = or_(
        func.lower(columns.mail_from) == target.address, target.in_json(columns.rcpt_to),
        target.in_json(columns.authentication_results),
        exists().where(_DECISIONS.c.received_message_id == columns.id,
                       target.in_json(_DECISIONS.c.body)))
    if target.project_id is None:
        return mentioned
    in_project = or_(mentions_any(columns.project_ids, [target.project_id]), exists().where(
        _DECISIONS.c.received_message_id == columns.id,
        mentions_any(_DECISIONS.c.body, [target.project_id])))
    return and_(mentioned, in_project)


def _raws_mentioning(store: Store, target: _Target, batch: int) -> Iterator[list[str]]:
    """Yield the ids of received messages whose raw bytes hold the address (any case).

    Read `RAW_BYTES_PER_READ` bytes at a time at most (a raw larger than that alone).
    """
    needle = target.address.encode()
    after = ""
    while True:
        with store.read() as session:
            sizes = session.execute(
                select(_RAWS.c.received_message_id, func.length(_RAWS.c.raw))
                .where(_RAWS.c.received_message_id > after)
                .order_by(_RAWS.c.received_message_id).limit(batch)).all()
        if not sizes:
            return
        found: list[str] = []
        for group in _by_bytes([(row[0], int(row[1] or 0)) for row in sizes if row[1]]):
            with store.read() as session:
                found += [received_id for received_id, raw in session.execute(
                    select(_RAWS.c.received_message_id, _RAWS.c.raw)
                    .where(_RAWS.c.received_message_id.in_(group)))
                    if needle in bytes(raw).lower()]
        if found:
            yield sorted(found)
        after = sizes[-1][0]


def _by_bytes(sizes: list[tuple[str, int]]) -> Iterator[list[str]]:
    group: list[str] = []
    total = 0
    for received_id, size in sizes:
        if group and total + size > RAW_BYTES_PER_READ:
            yield group
            group, total = [], 0
        group.append(received_id)
        total += size
    if group:
        yield group


def _erase_received(session: Session, target: _Target, ids: list[str],
                    counts: ErasureCounts) -> None:
    """Delete the raw bytes of these received messages; put the stand-in for the address
    in their envelope, Authentication-Results, last error and decisions."""
    db = session.connection()
    counts.raws += int(db.execute(update(_RAWS).where(
        _RAWS.c.received_message_id.in_(ids), func.length(_RAWS.c.raw) > 0)
        .values(raw=b"")).rowcount or 0)
    columns = _RECEIVED.c
    for row in db.execute(select(columns.id, columns.mail_from, columns.rcpt_to,
                                 columns.authentication_results, columns.last_error)
                          .where(columns.id.in_(ids))).all():
        db.execute(update(_RECEIVED).where(columns.id == row.id).values(
            mail_from=target.scrub(row.mail_from), rcpt_to=target.scrub(row.rcpt_to),
            authentication_results=target.scrub(row.authentication_results),
            last_error=target.scrub(row.last_error)))
    for decision_id, body in db.execute(select(_DECISIONS.c.id, _DECISIONS.c.body).where(
            _DECISIONS.c.received_message_id.in_(ids))).all():
        scrubbed = target.scrub(body)
        if json.dumps(scrubbed) != json.dumps(body):
            db.execute(update(_DECISIONS).where(_DECISIONS.c.id == decision_id)
                       .values(body=scrubbed))


def _delete_list_entries(session: Session, target: _Target) -> None:
    db = session.connection()
    never = table_of(NeverLogEntry)
    db.execute(delete(never).where(never.c.address == target.address,
                                   target.in_scope(never.c.project_id)))
    if target.project_id is None:
        personal = table_of(PersonalNeverLogEntry)
        db.execute(delete(personal).where(personal.c.address == target.address))

