"""Pending-thread handlers: list the caller's pending threads, assign one to projects."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session

from api.access import caller_project_ids, check_project_references
from api.caller import Caller
from api.pagination import id_cursor, page_body, page_limit
from api.redaction import hides_thread
from api.request_context import (
    caller,
    in_unit_of_work,
    json_response,
    processing,
    read_json,
    reading,
)
from api.schemas import read_assignment
from store.errors import FieldError, Invalid, NotFound
from store.queries.interactions import private_credits
from store.queries.threads import get_thread, list_threads
from store.representations import thread_json

THREAD_STATUSES = ("open", "pending", "assigned")


async def list_pending_threads(request: web.Request) -> web.Response:
    """GET /v1/threads?status=pending → {items, next} in the caller's projects."""
    status = request.query.get("status", "pending")
    if status not in THREAD_STATUSES:
        raise Invalid.field("status", "must be one of " + ", ".join(THREAD_STATUSES))
    limit, after = page_limit(request), id_cursor(request)
    who = caller(request)

    def listed(session: Session) -> dict[str, Any]:
        mine = caller_project_ids(session, who)
        page = list_threads(session, status=status, project_ids=mine, after_id=after,
                            limit=limit)
        private = private_credits(session, [t.id for t in page.items])
        items = [thread_json(t, mine, hides_thread(who, private.get(t.id, ())))
                 for t in page.items]
        return page_body(page, items, (page.items[-1].id if page.items else "",))

    return json_response(await in_unit_of_work(request, listed))


async def assign_thread(request: web.Request) -> web.Response:
    """POST /v1/threads/{id}/assign `{project_ids}` → the decision with the new outcomes."""
    who = caller(request)
    thread_id = request.match_info["id"]
    project_ids = read_assignment(await read_json(request))

    await reading(request, lambda session: check_assignment(session, who, thread_id,
                                                            project_ids))
    decision = await processing(request).assign_thread(thread_id, project_ids,
                                                       user_id=who.user_id)
    return json_response(decision)


def check_assignment(session: Session, who: Caller, thread_id: str,
                     project_ids: list[str]) -> None:
    """Raise unless the caller may assign the thread to these projects (its candidates)."""
    thread = get_thread(session, thread_id)
    mine = caller_project_ids(session, who)
    if mine is not None and thread.project_id not in mine:
        raise NotFound(f"Thread {thread_id} does not exist.")
    check_project_references(session, who, "project_ids", project_ids)
    # Only a candidate can take the thread: the rules log nowhere else, so assigning
    # it to another project would close the thread without logging anything.
    strangers = [FieldError(f"project_ids[{i}]", f"Project {pid} is not a candidate "
                            f"project of thread {thread_id}.")
                 for i, pid in enumerate(project_ids)
                 if pid not in thread.candidate_project_ids]
    if strangers:
        raise Invalid(strangers)
