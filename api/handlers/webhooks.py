"""Webhook handlers (admin): endpoints events are delivered to, and their deliveries.

A webhook's secret (`whsec_` + base64 of 32 random bytes) is shown once, when it is created.
Its URL must use http(s) and, unless `webhook_allow_private`, reach only global addresses:
a host that is, or resolves to, loopback, private, link-local (the cloud metadata address)
or another non-global address is refused with 422 (and again at every delivery).
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session
from yarl import URL

from api.access import check_project_references, require_admin
from api.keys import CLOCK, SETTINGS
from api.pagination import id_cursor, page_body, page_limit
from api.request_context import caller, in_unit_of_work, json_response, read_json
from api.schemas import WebhookFields, read_webhook
from processing.webhooks import private_addresses, resolve
from store.errors import Invalid
from store.models import Webhook, WebhookDelivery
from store.queries.webhooks import (
    DeliveryStatus,
    get_webhook,
    list_deliveries,
    list_webhooks,
    retry_delivery,
)

SECRET_BYTES = 32


def webhook_json(webhook: Webhook) -> dict[str, Any]:
    """Return the API representation of a webhook (never its secret)."""
    return {"id": webhook.id, "url": webhook.url, "types": webhook.types,
            "project_ids": webhook.project_ids, "description": webhook.description,
            "created_at": webhook.created_at.isoformat()}


def delivery_json(delivery: WebhookDelivery, event_type: str) -> dict[str, Any]:
    """Return a delivery with each of its attempts (time, status code, error)."""
    return {"id": delivery.id, "webhook_id": delivery.webhook_id,
            "event_id": delivery.event_id, "event_type": event_type,
            "status": delivery.status, "attempts": delivery.attempts_log,
            "next_attempt_at": (delivery.next_attempt_at.isoformat()
                                if delivery.status == DeliveryStatus.PENDING else None),
            "delivered_at": delivery.delivered_at.isoformat() if delivery.delivered_at else None,
            "created_at": delivery.created_at.isoformat()}


async def _check_reachable(url: str, allow_private: bool) -> None:
    """Refuse a URL without a host, or (unless allowed) one reaching a non-global address."""
    try:
        parsed = URL(url)
        host, port = parsed.host, parsed.port
    except ValueError:
        raise Invalid.field("url", "is not a valid URL") from None
    if not host or port is None:
        raise Invalid.field("url", "must name a host")
    if allow_private:
        return
    try:
        addresses = await resolve(host, port)
    except (OSError, UnicodeError):
        raise Invalid.field("url", f"{host} does not resolve") from None
    refused = private_addresses(addresses)
    if refused:
        raise Invalid.field("url", f"{host} resolves to {', '.join(refused)}: loopback, "
                            "private, link-local and metadata addresses are refused")


def _new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


async def create_webhook(request: web.Request) -> web.Response:
    """POST /v1/webhooks → 201 `{id, url, types, project_ids, description, secret}`."""
    who = caller(request)
    require_admin(who)
    fields: WebhookFields = read_webhook(await read_json(request))
    await _check_reachable(fields.url, request.app[SETTINGS].webhook_allow_private)

    def create(session: Session) -> dict[str, Any]:
        check_project_references(session, who, "project_ids", fields.project_ids)
        webhook = Webhook(url=fields.url, types=fields.types, project_ids=fields.project_ids,
                          description=fields.description, secret=_new_secret())
        session.add(webhook)
        session.flush()
        return {**webhook_json(webhook), "secret": webhook.secret}

    return json_response(await in_unit_of_work(request, create), status=201)


async def list_all_webhooks(request: web.Request) -> web.Response:
    """GET /v1/webhooks → {items, next} by id."""
    require_admin(caller(request))
    limit, after = page_limit(request), id_cursor(request)

    def listed(session: Session) -> dict[str, Any]:
        page = list_webhooks(session, after_id=after, limit=limit)
        last = page.items[-1].id if page.items else ""
        return page_body(page, [webhook_json(w) for w in page.items], (last,))

    return json_response(await in_unit_of_work(request, listed))


async def get_one_webhook(request: web.Request) -> web.Response:
    """GET /v1/webhooks/{id}."""
    require_admin(caller(request))
    webhook_id = request.match_info["id"]
    return json_response(await in_unit_of_work(
        request, lambda session: webhook_json(get_webhook(session, webhook_id))))


async def delete_webhook(request: web.Request) -> web.Response:
    """DELETE /v1/webhooks/{id} → 204; its deliveries go with it."""
    require_admin(caller(request))
    webhook_id = request.match_info["id"]
    await in_unit_of_work(
        request, lambda session: session.delete(get_webhook(session, webhook_id)))
    return web.Response(status=204)


async def get_deliveries(request: web.Request) -> web.Response:
    """GET /v1/webhooks/{id}/deliveries?status=&cursor=&limit= → {items, next} by id."""
    require_admin(caller(request))
    status = request.query.get("status")
    if status is not None and status not in set(DeliveryStatus):
        raise Invalid.field("status", "must be one of " + ", ".join(DeliveryStatus))
    limit, after = page_limit(request), id_cursor(request)
    webhook_id = request.match_info["id"]

    def listed(session: Session) -> dict[str, Any]:
        get_webhook(session, webhook_id)
        page = list_deliveries(session, webhook_id, status=status, after_id=after, limit=limit)
        last = page.items[-1][0].id if page.items else ""
        return page_body(page, [delivery_json(d, t) for d, t in page.items], (last,))

    return json_response(await in_unit_of_work(request, listed))


async def retry(request: web.Request) -> web.Response:
    """POST /v1/webhooks/{id}/deliveries/{did}/retry → the delivery, due now (409 while
    an attempt is under way)."""
    require_admin(caller(request))
    webhook_id, delivery_id = request.match_info["id"], request.match_info["did"]
    now = request.app[CLOCK]()

    def retried(session: Session) -> dict[str, Any]:
        return delivery_json(*retry_delivery(session, webhook_id, delivery_id, now))

    return json_response(await in_unit_of_work(request, retried))
