"""Ignored-address and never-log-address queries for one project."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import IgnoredEntry, NeverLogEntry
from store.queries.errors import Conflict, NotFound


async def list_ignored(session: AsyncSession, project_id: str) -> list[IgnoredEntry]:
    """Return the project's ignored addresses and domains by creation order."""
    query = (select(IgnoredEntry).where(IgnoredEntry.project_id == project_id)
             .order_by(IgnoredEntry.created_at, IgnoredEntry.id))
    return list((await session.scalars(query)).all())


async def add_ignored(session: AsyncSession, project_id: str, pattern: str) -> IgnoredEntry:
    """Add an ignored address or domain; raise Conflict if the project already has it."""
    query = select(IgnoredEntry.id).where(IgnoredEntry.project_id == project_id,
                                          IgnoredEntry.pattern == pattern)
    if await session.scalar(query) is not None:
        raise Conflict(f"{pattern} is already ignored in this project.")
    entry = IgnoredEntry(project_id=project_id, pattern=pattern)
    session.add(entry)
    await session.flush()
    return entry


async def delete_ignored(session: AsyncSession, project_id: str, entry_id: str) -> None:
    """Remove an ignored entry of the project or raise NotFound."""
    entry = await session.get(IgnoredEntry, entry_id)
    if entry is None or entry.project_id != project_id:
        raise NotFound(f"Ignored entry {entry_id} does not exist.")
    await session.delete(entry)


async def list_never_log(session: AsyncSession, project_id: str) -> list[NeverLogEntry]:
    """Return the project's never-log addresses by creation order."""
    query = (select(NeverLogEntry).where(NeverLogEntry.project_id == project_id)
             .order_by(NeverLogEntry.created_at, NeverLogEntry.id))
    return list((await session.scalars(query)).all())


async def add_never_log(session: AsyncSession, project_id: str, address: str) -> NeverLogEntry:
    """Add a never-log address; raise Conflict if the project already has it."""
    query = select(NeverLogEntry.id).where(NeverLogEntry.project_id == project_id,
                                           NeverLogEntry.address == address)
    if await session.scalar(query) is not None:
        raise Conflict(f"{address} is already a never-log address in this project.")
    entry = NeverLogEntry(project_id=project_id, address=address)
    session.add(entry)
    await session.flush()
    return entry


async def delete_never_log(session: AsyncSession, project_id: str, entry_id: str) -> None:
    """Remove a never-log entry of the project or raise NotFound."""
    entry = await session.get(NeverLogEntry, entry_id)
    if entry is None or entry.project_id != project_id:
        raise NotFound(f"Never-log entry {entry_id} does not exist.")
    await session.delete(entry)
