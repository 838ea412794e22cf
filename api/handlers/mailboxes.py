"""Mailbox handlers: connect, change, list and read mailboxes, and ingest synced messages.

An admin manages every mailbox; a user manages their own, synced to their own projects.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import check_project_references, require_self_or_admin
from api.caller import Caller
from api.handlers.capture import read_raw_body
from api.request_context import caller, json_response, processing, read_json, unit_of_work
from api.schemas import MailboxFields, read_mailbox
from store.models import Mailbox
from store.queries.errors import Conflict, NotFound
from store.queries.mailboxes import get_mailbox, list_mailboxes, set_synced_projects
from store.queries.users import addresses_in_use, get_user


def mailbox_json(mailbox: Mailbox) -> dict[str, Any]:
    """Return the API representation of a mailbox."""
    return {"id": mailbox.id, "user_id": mailbox.user_id, "address": mailbox.address,
            "project_ids": mailbox.project_ids, "created_at": mailbox.created_at.isoformat()}


async def _own_mailbox(session: AsyncSession, who: Caller, mailbox_id: str) -> Mailbox:
    mailbox = await get_mailbox(session, mailbox_id)
    if not who.is_admin and mailbox.user_id != who.user_id:
        raise NotFound(f"Mailbox {mailbox_id} does not exist.")
    return mailbox


async def _check(session: AsyncSession, who: Caller, fields: MailboxFields, user_id: str) -> None:
    require_self_or_admin(who, user_id)
    await get_user(session, user_id)
    if fields.project_ids is not None:
        await check_project_references(session, who, "project_ids", fields.project_ids)
    if fields.address is not None:
        taken = await addresses_in_use(session, [fields.address], except_user_id=user_id)
        if taken:
            raise Conflict(f"{fields.address} already belongs to another user or mailbox.")


async def create_mailbox(request: web.Request) -> web.Response:
    """POST /v1/mailboxes: `{user_id, address, project_ids}` → 201."""
    fields = read_mailbox(await read_json(request), creating=True)
    assert fields.user_id is not None and fields.address is not None
    async with unit_of_work(request) as session:
        await _check(session, caller(request), fields, fields.user_id)
        mailbox = Mailbox(user_id=fields.user_id, address=fields.address, projects=[])
        set_synced_projects(mailbox, fields.project_ids or [])
        session.add(mailbox)
        await session.flush()
    return json_response(mailbox_json(mailbox), status=201)


async def patch_mailbox(request: web.Request) -> web.Response:
    """PATCH /v1/mailboxes/{id}: change the owner, address or synced projects."""
    fields = read_mailbox(await read_json(request), creating=False)
    who = caller(request)
    async with unit_of_work(request) as session:
        mailbox = await _own_mailbox(session, who, request.match_info["id"])
        await _check(session, who, fields, fields.user_id or mailbox.user_id)
        mailbox.user_id = fields.user_id or mailbox.user_id
        mailbox.address = fields.address or mailbox.address
        if fields.project_ids is not None:
            set_synced_projects(mailbox, fields.project_ids)
    return json_response(mailbox_json(mailbox))


async def list_all_mailboxes(request: web.Request) -> web.Response:
    """GET /v1/mailboxes: every mailbox for an admin, a user's own otherwise."""
    who = caller(request)
    async with unit_of_work(request) as session:
        mailboxes = await list_mailboxes(session, None if who.is_admin else who.user_id)
        return json_response({"items": [mailbox_json(m) for m in mailboxes]})


async def get_one_mailbox(request: web.Request) -> web.Response:
    """GET /v1/mailboxes/{id}."""
    async with unit_of_work(request) as session:
        mailbox = await _own_mailbox(session, caller(request), request.match_info["id"])
        return json_response(mailbox_json(mailbox))


async def ingest_message(request: web.Request) -> web.Response:
    """POST /v1/mailboxes/{id}/messages: a raw message synced from the mailbox → decision."""
    async with unit_of_work(request) as session:
        mailbox = await _own_mailbox(session, caller(request), request.match_info["id"])
    raw = await read_raw_body(request)
    decision = await processing(request).ingest_mailbox_message(raw, mailbox_id=mailbox.id)
    return json_response(decision)
