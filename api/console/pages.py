"""The console's pages and forms: each reads and changes through the API's own checks.

Every page handler takes the signed-in browser (`SignedIn`) and the posted form; `page()`
wraps it: no session → the sign-in page; a POST → origin and CSRF checked first; an
expected error (store.errors) → an error page with its status, never a traceback.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from typing import Any
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.access import caller_project_ids, require_admin, viewer, visible_project
from api.console.session import (
    SignedIn,
    check_csrf,
    check_origin,
    clear_cookie,
    close_session,
    open_session,
    set_cookie,
    signed_in,
)
from api.handlers.messages import decision_json
from api.handlers.quarantine import quarantined_json
from api.handlers.threads import check_assignment
from api.keys import CLOCK, STORE
from api.request_context import processing
from api.scopes import Scope
from store import spool
from store.errors import BlindcopyError, Conflict, Forbidden, Invalid, NotFound, Unauthorized
from store.models import Project, ReceivedMessage, ReceivedRaw
from store.queries.contacts import get_contact, list_contacts
from store.queries.interactions import contact_timeline
from store.queries.received import (
    Viewer,
    get_quarantined,
    get_received,
    list_quarantined,
    list_received,
    newest_decisions,
)
from store.queries.threads import list_threads
from store.representations import contact_json, interaction_json, thread_json

Form = Mapping[str, str]
PageHandler = Callable[[web.Request, SignedIn, Form], Awaitable[web.StreamResponse]]
LISTED = 50
CONTACT_CHOICES = 200
# Enough of a message's start for its Subject (headers only, never the body).
HEADER_BYTES = 64 * 1024
SIGN_OUT = "/console/sign-out"
STATUS_WORDS = {"logged": "logged", "pending": "pending", "not_logged": "not logged"}
ERROR_STATUS: dict[type[BlindcopyError], int] = {
    NotFound: 404, Forbidden: 403, Unauthorized: 401, Conflict: 409, Invalid: 422}


def page(handler: PageHandler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Wrap a page: sign-in, origin and CSRF checks, error pages."""
    async def wrapped(request: web.Request) -> web.StreamResponse:
        signed = await signed_in(request)
        if signed is None:
            raise web.HTTPSeeOther("/console/sign-in")
        try:
            form: Form = {}
            if request.method == "POST":
                check_origin(request)
                posted = await request.post()
                form = {k: v for k, v in posted.items() if isinstance(v, str)}
                check_csrf(signed, form.get("csrf"))
            _require_scope(request, signed)
            return await handler(request, signed, form)
        except BlindcopyError as error:
            return _error_page(request, signed, error)
    return wrapped


def _require_scope(request: web.Request, signed: SignedIn) -> None:
    """A page needs its token's `read` scope and a form its `write` scope, as the API's
    routes do (api/scopes.py); signing out needs neither."""
    if request.path == SIGN_OUT:
        return
    needed = Scope.WRITE if request.method == "POST" else Scope.READ
    if needed not in signed.caller.scopes:
        have = " ".join(sorted(signed.caller.scopes))
        raise Forbidden(f"This token's scopes ({have}) do not allow this; it needs {needed}.")


def _error_page(request: web.Request, signed: SignedIn | None,
                error: BlindcopyError) -> web.Response:
    status = ERROR_STATUS.get(type(error), 503)
    detail = error.detail
    if isinstance(error, Invalid):
        detail = " ".join(e.message for e in error.errors) or detail
    return render(request, "error.html", signed, "Not possible", status=status, detail=detail)


def render(request: web.Request, template: str, signed: SignedIn | None, title: str, *,
           status: int = 200, **context: Any) -> web.Response:
    """Render a page with the navigation of the signed-in browser."""
    response = aiohttp_jinja2.render_template(template, request, {
        "signed": signed, "title": title, "done": request.query.get("done"), **context},
        status=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'")
    return response


def _shown_time(at: datetime) -> str:
    """Return a time as the pages show it (minutes, UTC)."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _read(request: web.Request, work: Callable[[Session], Any]) -> Awaitable[Any]:
    return request.app[STORE].run_read(work)


def _after(path: str, done: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"{path}?{urlencode({'done': done})}")


# Signing in and out.

async def index(request: web.Request) -> web.StreamResponse:
    """GET /console/: the pending threads, or the sign-in page."""
    target = "/console/pending" if await signed_in(request) else "/console/sign-in"
    raise web.HTTPSeeOther(target)


async def sign_in_page(request: web.Request) -> web.StreamResponse:
    """GET /console/sign-in."""
    return render(request, "sign_in.html", None, "Sign in")


async def sign_in(request: web.Request) -> web.StreamResponse:
    """POST /console/sign-in `token=…`: open a session for a valid API token."""
    try:
        check_origin(request)
    except Forbidden as error:
        return _error_page(request, None, error)
    token = str((await request.post()).get("token", ""))
    opened = await open_session(request, token) if token.strip() else None
    if opened is None:
        return render(request, "sign_in.html", None, "Sign in", status=401,
                      error="That API token is not valid.")
    response = web.HTTPSeeOther("/console/pending")
    set_cookie(request, response, *opened)
    raise response


@page
async def sign_out(request: web.Request, signed: SignedIn, form: Form) -> web.StreamResponse:
    """POST /console/sign-out: end the session."""
    await close_session(request, signed.session_id)
    response = web.HTTPSeeOther("/console/sign-in")
    clear_cookie(response)
    raise response


# Pending threads.

def _project_names(session: Session, ids: set[str]) -> dict[str, str]:
    rows = session.execute(select(Project.id, Project.name).where(Project.id.in_(sorted(ids))))
    return {pid: name for pid, name in rows.all()}


@page
async def pending(request: web.Request, signed: SignedIn, form: Form) -> web.StreamResponse:
    """GET /console/pending: the caller's pending threads, an Assign button per candidate."""
    def read(session: Session) -> list[dict[str, Any]]:
        mine = caller_project_ids(session, signed.caller)
        threads = [thread_json(t, mine) for t in list_threads(
            session, status="pending", project_ids=mine, after_id=None, limit=LISTED).items]
        names = _project_names(session, {p for t in threads for p in t["candidate_project_ids"]})
        for thread in threads:
            thread["candidates"] = sorted(({"id": p, "name": names.get(p, p)}
                                           for p in thread["candidate_project_ids"]),
                                          key=lambda project: project["name"])
        return threads

    return render(request, "pending.html", signed, "Pending threads", page="pending",
                  threads=await _read(request, read))


@page
async def assign(request: web.Request, signed: SignedIn, form: Form) -> web.StreamResponse:
    """POST /console/threads/{id}/assign `project_id`: the API's assignment."""
    thread_id, project_ids = request.match_info["id"], [form.get("project_id", "")]
    await _read(request, lambda s: check_assignment(s, signed.caller, thread_id, project_ids))
    decision = await processing(request).assign_thread(thread_id, project_ids,
                                                       user_id=signed.caller.user_id)
    logged = sum(o["status"] == "logged" for o in decision.get("outcomes", []))
    raise _after(f"/console/messages/{decision['received_id']}",
                 f"Thread assigned: {logged} address(es) logged.")


# Unmatched addresses.

def _subjects(session: Session, received_ids: list[str]) -> dict[str, str]:
    """Return the Subject of each received message (parsed from its first bytes)."""
    rows = session.execute(select(ReceivedRaw.received_message_id, ReceivedRaw.raw)
                           .where(ReceivedRaw.received_message_id.in_(received_ids)))
    parser = BytesHeaderParser(policy=default_policy)
    return {rid: str(parser.parsebytes(raw[:HEADER_BYTES]).get("Subject", ""))
            for rid, raw in rows.all()}


def _unmatched(session: Session, signed: SignedIn) -> list[dict[str, Any]]:
    mine = caller_project_ids(session, signed.caller)
    received = list_received(session, viewer(session, signed.caller), message_id=None,
                             status=str(spool.DONE), before=None, limit=LISTED).items
    decisions = newest_decisions(session, [r.id for r in received])
    rows = [{"received_id": r.id, "received_at": _shown_time(r.received_at),
             "address": o["address"], "project_id": o["project_id"],
             "suggested_name": o["address"].split("@")[0]}
            for r in received if r.id in decisions
            for o in decisions[r.id].body.get("outcomes", [])
            if o["status"] == "not_logged" and o["reason"] == "no_contact"
            and o.get("project_id") and (mine is None or o["project_id"] in mine)]
    subjects = _subjects(session, sorted({row["received_id"] for row in rows}))
    names = _project_names(session, {row["project_id"] for row in rows})
    contacts = {pid: [contact_json(c) for c in list_contacts(
        session, pid, email=None, after_id=None, limit=CONTACT_CHOICES).items]
        for pid in names}
    for row in rows:
        row.update(subject=subjects.get(row["received_id"], ""),
                   project_name=names.get(row["project_id"], row["project_id"]),
                   contacts=sorted(contacts[row["project_id"]], key=lambda c: c["name"]))
    return rows


@page
async def unmatched(request: web.Request, signed: SignedIn, form: Form) -> web.StreamResponse:
    """GET /console/unmatched: not-logged addresses without a contact, to match or create."""
    rows = await _read(request, lambda session: _unmatched(session, signed))
    return render(request, "unmatched.html", signed, "Unmatched addresses", page="unmatched",
                  rows=rows)


@page
async def match(request: web.Request, signed: SignedIn, form: Form) -> web.StreamResponse:
    """POST /console/messages/{id}/match: the API's manual match (contact_id or name)."""
    received_id = request.match_info["id"]
    contact_id, name = form.get("contact_id") or None, form.get("name", "").strip() or None
    if (contact_id is None) == (name is None):
        raise Invalid.field("contact_id", "Choose a contact, or name a new one.")

    def visible(session: Session) -> frozenset[str] | None:
        get_received(session, received_id, viewer(session, signed.caller))
        mine = caller_project_ids(session, signed.caller)
        return None if mine is None else frozenset(mine)

    project_ids = await _read(request, visible)
    await processing(request).match_address(
        received_id, form.get("address", ""), contact_id=contact_id, create_name=name,
        project_id=form.get("project_id") or None, user_id=signed.caller.user_id,
        project_ids=project_ids)
    raise _after(f"/console/messages/{received_id}", f"{form.get('address')} is logged.")


# Quarantine and failed messages (admins).

@page
async def quarantine(request: web.Request, signed: SignedIn, form: Form) -> web.StreamResponse:
    """GET /console/quarantine (admin): release or delete."""
    require_admin(signed.caller)

    def read(session: Session) -> list[dict[str, Any]]:
        items = list_quarantined(session, before=None, limit=LISTED).items
        decisions = newest_decisions(session, [r.id for r in items])
        subjects = _subjects(session, [r.id for r in items])
        return [{**quarantined_json(r), "subject": subjects.get(r.id, ""),
                 "received_at": _shown_time(r.received_at),
                 "sentence": _quarantine_sentence(decisions[r.id].body if r.id in decisions
                                                  else {})} for r in items]

    return render(request, "quarantine.html", signed, "Quarantine", page="quarantine",
                  messages=await _read(request, read))


def _quarantine_sentence(body: dict[str, Any]) -> str:
    return next((f["detail"] for f in body.get("trace", [])
                 if f.get("rule") == "sender-authenticated" and f.get("verdict") == "fail"),
                "The sender could not be proved.")


@page
async def release(request: web.Request, signed: SignedIn, form: Form) -> web.StreamResponse:
    """POST /console/quarantine/{id}/release (admin): processed as if proved."""
    require_admin(signed.caller)
    received_id = request.match_info["id"]
    await processing(request).release_quarantined(received_id)
    raise _after(f"/console/messages/{received_id}", "Released and processed.")


@page
async def delete(request: web.Request, signed: SignedIn, form: Form) -> web.StreamResponse:
    """POST /console/quarantine/{id}/delete (admin)."""
    require_admin(signed.caller)
    received_id = request.match_info["id"]
    await request.app[STORE].run_write(
        lambda session: session.delete(get_quarantined(session, received_id)))
    raise _after("/console/quarantine", "Deleted.")


@page
async def failed(request: web.Request, signed: SignedIn, form: Form) -> web.StreamResponse:
    """GET /console/failed (admin): replay."""
    require_admin(signed.caller)

    def read(session: Session) -> list[dict[str, Any]]:
        items = list_received(session, Viewer(None, None), message_id=None,
                              status=str(spool.FAILED), before=None, limit=LISTED).items
        subjects = _subjects(session, [r.id for r in items])
        return [{"id": r.id, "channel": r.channel, "attempts": r.attempts,
                 "last_error": r.last_error, "subject": subjects.get(r.id, ""),
                 "received_at": _shown_time(r.received_at)} for r in items]

    return render(request, "failed.html", signed, "Failed messages", page="failed",
                  messages=await _read(request, read))


@page
async def replay(request: web.Request, signed: SignedIn, form: Form) -> web.StreamResponse:
    """POST /console/messages/{id}/replay (admin): queued again for the workers."""
    require_admin(signed.caller)
    received_id, now = request.match_info["id"], request.app[CLOCK]()

    def requeue(session: Session) -> None:
        received = session.get(ReceivedMessage, received_id)
        if received is None or received.status != spool.FAILED:
            raise Conflict(f"Message {received_id} is not failed.")
        spool.requeue(session, [received_id], now)

    await request.app[STORE].run_write(requeue)
    raise _after("/console/failed", "Queued again for the workers.")


# A decision and a timeline.

def _summary(decision: dict[str, Any]) -> str:
    statuses = [o["status"] for o in decision.get("outcomes", [])]
    if decision["status"] == "quarantined":
        return "Quarantined: its sender could not be proved."
    if "pending" in statuses:
        return "Waiting for someone to choose the project of its thread."
    if "logged" in statuses:
        return f"Logged for {statuses.count('logged')} address(es)."
    return "Nothing was logged; the rules below say why."


@page
async def message(request: web.Request, signed: SignedIn, form: Form) -> web.StreamResponse:
    """GET /console/messages/{id}: every rule, verdict and sentence; the outcome per address."""
    received_id = request.match_info["id"]

    def read(session: Session) -> dict[str, Any]:
        received = get_received(session, received_id, viewer(session, signed.caller))
        decision = decision_json(received, newest_decisions(session, [received.id])
                                 .get(received.id))
        mine = caller_project_ids(session, signed.caller)
        # A user sees the outcomes and findings of their projects (and those of none).
        def shown(item: dict[str, Any]) -> bool:
            return mine is None or not item.get("project_id") or item["project_id"] in mine
        outcomes = [dict(o) for o in decision["outcomes"] if shown(o)]
        names = _project_names(session, {o["project_id"] for o in outcomes
                                         if o.get("project_id")})
        for outcome in outcomes:
            outcome.update(status_words=STATUS_WORDS.get(outcome["status"], outcome["status"]),
                           project_name=names.get(outcome.get("project_id") or "", ""))
        return {"decision": decision, "outcomes": outcomes,
                "trace": [f for f in decision["trace"] if shown(f)],
                "subject": _subjects(session, [received.id]).get(received.id, ""),
                "summary": _summary(decision)}

    return render(request, "decision.html", signed, "Decision", page="message",
                  **await _read(request, read))


@page
async def timeline(request: web.Request, signed: SignedIn, form: Form) -> web.StreamResponse:
    """GET /console/projects/{pid}/contacts/{cid}: the contact's interactions, newest first."""
    project_id, contact_id = request.match_info["pid"], request.match_info["cid"]

    def read(session: Session) -> dict[str, Any]:
        project = visible_project(session, signed.caller, project_id)
        contact = get_contact(session, project.id, contact_id)
        items = contact_timeline(session, contact.id, before=None, limit=LISTED).items
        return {"contact": contact_json(contact), "project_name": project.name,
                "items": [{**interaction_json(i, m), "shown_at": _shown_time(m.date or i.logged_at)}
                          for i, m in items]}

    data = await _read(request, read)
    return render(request, "timeline.html", signed, data["contact"]["name"] or "Contact",
                  page="timeline", **data)
