"""Thread queries: pending threads awaiting a user's choice of project(s), and assigning them.

A thread pending between projects has a row in each (SPEC §9: threads stay in their
project); rows of one conversation pending in several of a user's projects are its
siblings (the same root id), listed once: in the user's first project among them.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session, aliased

from store.errors import NotFound
from store.events import EventType, NewEvent, emit_many, thread_data
from store.models import Thread
from store.queries.pages import Page

PENDING, ASSIGNED = "pending", "assigned"


def get_thread(session: Session, thread_id: str) -> Thread:
    """Return the thread or raise NotFound."""
    thread = session.get(Thread, thread_id)
    if thread is None:
        raise NotFound(f"Thread {thread_id} does not exist.")
    return thread


def list_threads(
    session: Session, *, status: str, project_ids: Collection[str] | None,
    after_id: str | None, limit: int,
) -> Page[Thread]:
    """Return a page of threads with `status` in `project_ids` (all: None), by id.

    A conversation pending (or assigned, once it was pending) in several of the projects
    has a sibling row in each: it is listed once.
    """
    query = select(Thread).where(Thread.status == status).order_by(Thread.id)
    if project_ids is not None:
        query = query.where(Thread.project_id.in_(sorted(project_ids)))
    if status in (PENDING, ASSIGNED):
        sibling = aliased(Thread)
        earlier = [sibling.root_id == Thread.root_id, sibling.status == status,
                   sibling.project_id < Thread.project_id]
        if project_ids is not None:
            earlier.append(sibling.project_id.in_(sorted(project_ids)))
        query = query.where(~exists().where(and_(*earlier)))
    if after_id is not None:
        query = query.where(Thread.id > after_id)
    rows = session.scalars(query.limit(limit + 1)).all()
    return Page.from_rows(rows, limit)


def assign_thread(session: Session, thread: Thread, project_ids: list[str]) -> list[str]:
    """Assign the conversation to projects in every candidate project; return the received
    messages that depend on it (to be processed again; they stay listed, for a change of
    assignment). Each sibling's `thread.assigned` event is written with the change."""
    siblings = session.scalars(select(Thread).where(
        Thread.root_id == thread.root_id,
        Thread.project_id.in_(sorted({thread.project_id, *thread.candidate_project_ids})))
        .with_for_update()).all()
    waiting: list[str] = []
    for sibling in siblings:
        waiting += [r for r in sibling.pending_received_ids if r not in waiting]
        sibling.status = ASSIGNED
        sibling.assigned_project_ids = sorted(set(project_ids))
    emit_many(session, [NewEvent(EventType.THREAD_ASSIGNED, sibling.project_id,
                                 thread_data(sibling)) for sibling in siblings])
    return waiting
