"""Ignored-address and never-log-address queries for one project.

Both lists are the same shape (an entry per project and value), so one set of functions
serves them, told apart by an AddressList describing the model and its wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from store.errors import Conflict, NotFound
from store.models import IgnoredEntry, NeverLogEntry

Entry = TypeVar("Entry", IgnoredEntry, NeverLogEntry)


@dataclass(frozen=True)
class AddressList(Generic[Entry]):
    """One per-project address list: its model, value column and the words for errors."""

    model: type[Entry]
    value: InstrumentedAttribute[str]
    duplicate: str
    entry_name: str


IGNORED = AddressList(IgnoredEntry, IgnoredEntry.pattern, "{value} is already ignored here.",
                      "Ignored entry")
NEVER_LOG = AddressList(NeverLogEntry, NeverLogEntry.address, "{value} is already a never-log "
                        "address in this project.", "Never-log entry")


def _in_project(model: type[Entry], project_id: str | None) -> ColumnElement[bool]:
    # None stands for the global list (ignored entries only); `== None` renders IS NULL.
    return model.project_id.is_(None) if project_id is None else model.project_id == project_id


def list_entries(session: Session, kind: AddressList[Entry],
                       project_id: str | None) -> list[Entry]:
    """Return the project's entries of this list (global ones for None) by creation order."""
    model = kind.model
    query = (select(model).where(_in_project(model, project_id))
             .order_by(model.created_at, model.id))
    return list((session.scalars(query)).all())


def add_entry(session: Session, kind: AddressList[Entry], project_id: str | None,
                    value: str) -> Entry:
    """Add an entry; raise Conflict if the project's list already has the value."""
    query = select(kind.model.id).where(_in_project(kind.model, project_id), kind.value == value)
    if session.scalar(query) is not None:
        raise Conflict(kind.duplicate.format(value=value))
    entry = kind.model(project_id=project_id, **{kind.value.key: value})
    session.add(entry)
    session.flush()
    return entry


def delete_entry(session: Session, kind: AddressList[Entry],
                       project_id: str | None, entry_id: str) -> None:
    """Remove an entry of the project's list or raise NotFound."""
    entry = session.get(kind.model, entry_id)
    if entry is None or entry.project_id != project_id:
        raise NotFound(f"{kind.entry_name} {entry_id} does not exist.")
    session.delete(entry)
