"""Capture handlers: the Log button (POST /v1/log) and the dry run (POST /v1/explain).

Both hand the message to the processing port; the API only authenticates, validates and
decides whose capture it is: a user's token logs as that user, the bootstrap admin token
must name the `user_id` it logs for (an admin user may name another user).

Both read their body by one rule (docs/api.md): `application/json`, or no Content-Type at
all, is JSON; `message/rfc822` is a raw message (/v1/log only); any other type is 415.
"""

from __future__ import annotations

from aiohttp import hdrs, web
from sqlalchemy.orm import Session

from api.access import check_project_references, checked_without_store
from api.caller import Caller
from api.capture_schemas import CaptureRequest, read_explain, read_log
from api.request_context import caller, json_response, processing, read_json, reading
from rules import Channel
from store.errors import Forbidden, Invalid
from store.queries.users import existing_user_ids

RFC822 = "message/rfc822"
JSON = "application/json"


def body_type(request: web.Request) -> str:
    """Return the body's media type; a body that names none is JSON."""
    if hdrs.CONTENT_TYPE not in request.headers:
        return JSON
    return request.content_type


def _unsupported(request: web.Request, *accepted: str) -> web.HTTPUnsupportedMediaType:
    return web.HTTPUnsupportedMediaType(
        text=f"Send {' or '.join(accepted)}, not {request.content_type}.")


async def read_raw_body(request: web.Request) -> bytes:
    """Return a raw message body; an empty one is invalid."""
    raw = await request.read()
    if not raw.strip():
        raise Invalid.field("body", "must be a raw RFC 822 message")
    return raw


async def _read_log_request(request: web.Request) -> CaptureRequest:
    kind = body_type(request)
    if kind == RFC822:
        project_ids = list(dict.fromkeys(request.query.getall("project_id", [])))
        return CaptureRequest(raw=await read_raw_body(request), project_ids=project_ids,
                              user_id=request.query.get("user_id"))
    if kind == JSON:
        return read_log(await read_json(request))
    raise _unsupported(request, RFC822, JSON)


async def _capturing_user(request: web.Request, who: Caller, capture: CaptureRequest) -> str:
    user_id = capture.user_id or who.user_id
    if user_id is None:
        raise Invalid.field("user_id", "is required with the admin token")
    if user_id != who.user_id and not who.is_admin:
        raise Forbidden("Only an admin may capture a message for another user.")
    if user_id == who.user_id and checked_without_store(who, "project_ids", capture.project_ids):
        return user_id  # the token's owner and their projects, read by authentication
    def check(session: Session) -> None:
        if user_id != who.user_id and not existing_user_ids(session, [user_id]):
            raise Invalid.field("user_id", f"User {user_id} does not exist.")
        check_project_references(session, who, "project_ids", capture.project_ids)

    await reading(request, check)
    return user_id


async def log(request: web.Request) -> web.Response:
    """POST /v1/log: log a message as the caller (idempotent) and return the decision."""
    who = caller(request)
    capture = await _read_log_request(request)
    user_id = await _capturing_user(request, who, capture)
    port = processing(request)
    if capture.message is not None:
        decision = await port.log_structured(capture.message, user_id=user_id,
                                             project_ids=capture.project_ids)
    else:
        assert capture.raw is not None
        decision = await port.log_message(capture.raw, user_id=user_id,
                                          project_ids=capture.project_ids)
    return json_response(decision)


async def explain(request: web.Request) -> web.Response:
    """POST /v1/explain: the decision for a raw message, channel and user; nothing recorded."""
    who = caller(request)
    if body_type(request) != JSON:
        raise _unsupported(request, JSON)
    capture = read_explain(await read_json(request))
    # The bootstrap admin may explain bcc and forward without a user (they find their own
    # in the From); a Log click and a mailbox sync are always some user's, as in /v1/log.
    user_id = None
    if capture.user_id or who.user_id or capture.channel in (Channel.LOG, Channel.SYNC):
        user_id = await _capturing_user(request, who, capture)
    assert capture.raw is not None
    decision = await processing(request).explain(
        capture.raw, channel=capture.channel, user_id=user_id, project_ids=capture.project_ids)
    return json_response(decision)
