"""Thread queries: pending threads awaiting a user's choice of project(s)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import Thread
from store.queries.errors import NotFound
from store.queries.json_lists import mentions_any
from store.queries.pages import Page
from store.sqlite_one_hop import IN_THREAD


async def get_thread(session: AsyncSession, thread_id: str) -> Thread:
    """Return the thread or raise NotFound."""
    thread = await session.get(Thread, thread_id)
    if thread is None:
        raise NotFound(f"Thread {thread_id} does not exist.")
    return thread


async def list_threads(
    session: AsyncSession, *, status: str, project_ids: Collection[str] | None,
    after_id: str | None, limit: int,
) -> Page[Thread]:
    """Return a page of threads with `status`, all or those touching `project_ids`, by id."""
    query = select(Thread).where(Thread.status == status).order_by(Thread.id)
    if project_ids is not None:
        # Reads JSON text row by row: on SQLite, off the event loop's thread.
        query = query.where(mentions_any(Thread.candidate_project_ids, project_ids)
                            ).execution_options(**{IN_THREAD: True})
    if after_id is not None:
        query = query.where(Thread.id > after_id)
    rows = (await session.scalars(query.limit(limit + 1))).all()
    return Page.from_rows(rows, limit)
