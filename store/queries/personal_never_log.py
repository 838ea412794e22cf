"""A user's personal never-log list (SPEC §13): addresses their captures never log."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.errors import Conflict, NotFound
from store.models import PersonalNeverLogEntry


def list_personal_never_log(session: Session, user_id: str) -> list[PersonalNeverLogEntry]:
    """Return the user's entries by creation order."""
    return list(session.scalars(select(PersonalNeverLogEntry)
                                .where(PersonalNeverLogEntry.user_id == user_id)
                                .order_by(PersonalNeverLogEntry.created_at,
                                          PersonalNeverLogEntry.id)).all())


def add_personal_never_log(session: Session, user_id: str,
                           address: str) -> PersonalNeverLogEntry:
    """Add an address (lower-cased) to the user's list; Conflict if it is there already."""
    address = address.lower()
    if session.scalar(select(PersonalNeverLogEntry.id).where(
            PersonalNeverLogEntry.user_id == user_id,
            PersonalNeverLogEntry.address == address)) is not None:
        raise Conflict(f"{address} is already on this user's never-log list.")
    entry = PersonalNeverLogEntry(user_id=user_id, address=address)
    session.add(entry)
    session.flush()
    return entry


def delete_personal_never_log(session: Session, user_id: str, entry_id: str) -> None:
    """Remove an entry of the user's list or raise NotFound."""
    entry = session.get(PersonalNeverLogEntry, entry_id)
    if entry is None or entry.user_id != user_id:
        raise NotFound(f"Never-log entry {entry_id} does not exist.")
    session.delete(entry)
