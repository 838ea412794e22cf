"""Mailbox handlers: connect, change, list and read mailboxes, and ingest synced messages.

An admin manages every mailbox; a user manages their own, synced to their own projects.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session

from api.access import check_project_references, require_self_or_admin
from api.caller import Caller
from api.handlers.capture import read_raw_body
from api.request_context import (
    caller,
    in_unit_of_work,
    json_response,
    processing,
    read_json,
    reading,
)
from api.schemas import MailboxFields, read_mailbox
from store.errors import Conflict, NotFound
from store.models import Mailbox
from store.queries.mailboxes import get_mailbox, list_mailboxes, set_synced_projects
from store.queries.users import addresses_in_use, get_user


def mailbox_json(mailbox: Mailbox) -> dict[str, Any]:
    """Return the API representation of a mailbox."""
    return {"id": mailbox.id, "user_id": mailbox.user_id, "address": mailbox.address,
            "project_ids": mailbox.project_ids, "created_at": mailbox.created_at.isoformat()}


def _own_mailbox(session: Session, who: Caller, mailbox_id: str) -> Mailbox:
    mailbox = get_mailbox(session, mailbox_id)
    if not who.is_admin and mailbox.user_id != who.user_id:
        raise NotFound(f"Mailbox {mailbox_id} does not exist.")
    return mailbox


def _check(session: Session, who: Caller, fields: MailboxFields, user_id: str) -> None:
    require_self_or_admin(who, user_id)
    get_user(session, user_id)
    if fields.project_ids is not None:
        check_project_references(session, who, "project_ids", fields.project_ids)
    if fields.address is not None:
        taken = addresses_in_use(session, [fields.address], except_user_id=user_id)
        if taken:
            raise Conflict(f"{fields.address} already belongs to another user or mailbox.")


async def create_mailbox(request: web.Request) -> web.Response:
    """POST /v1/mailboxes: `{user_id, address, project_ids}` → 201."""
    fields = read_mailbox(await read_json(request), creating=True)
    user_id, address, who = fields.user_id, fields.address, caller(request)
    assert user_id is not None and address is not None

    def create(session: Session) -> dict[str, Any]:
        _check(session, who, fields, user_id)
        mailbox = Mailbox(user_id=user_id, address=address, projects=[])
        set_synced_projects(mailbox, fields.project_ids or [])
        session.add(mailbox)
        session.flush()
        return mailbox_json(mailbox)

    return json_response(await in_unit_of_work(request, create), status=201)


async def patch_mailbox(request: web.Request) -> web.Response:
    """PATCH /v1/mailboxes/{id}: change the owner, address or synced projects."""
    fields = read_mailbox(await read_json(request), creating=False)
    who, mailbox_id = caller(request), request.match_info["id"]

    def change(session: Session) -> dict[str, Any]:
        mailbox = _own_mailbox(session, who, mailbox_id)
        _check(session, who, fields, fields.user_id or mailbox.user_id)
        mailbox.user_id = fields.user_id or mailbox.user_id
        mailbox.address = fields.address or mailbox.address
        if fields.project_ids is not None:
            set_synced_projects(mailbox, fields.project_ids)
        session.flush()
        return mailbox_json(mailbox)

    return json_response(await in_unit_of_work(request, change))


async def list_all_mailboxes(request: web.Request) -> web.Response:
    """GET /v1/mailboxes: every mailbox for an admin, a user's own otherwise."""
    who = caller(request)
    owner = None if who.is_admin else who.user_id
    mailboxes = await in_unit_of_work(
        request, lambda session: [mailbox_json(m) for m in list_mailboxes(session, owner)])
    return json_response({"items": mailboxes})


async def get_one_mailbox(request: web.Request) -> web.Response:
    """GET /v1/mailboxes/{id}."""
    who, mailbox_id = caller(request), request.match_info["id"]
    return json_response(await in_unit_of_work(
        request, lambda session: mailbox_json(_own_mailbox(session, who, mailbox_id))))


async def ingest_message(request: web.Request) -> web.Response:
    """POST /v1/mailboxes/{id}/messages: a raw message synced from the mailbox → decision."""
    who, mailbox_id = caller(request), request.match_info["id"]
    mailbox = await reading(request, lambda session: _own_mailbox(session, who, mailbox_id))
    raw = await read_raw_body(request)
    decision = await processing(request).ingest_mailbox_message(raw, mailbox_id=mailbox.id)
    return json_response(decision)
