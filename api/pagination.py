"""Keyset pagination over HTTP: `?limit=` and opaque `?cursor=` tokens, `{items, next}` pages.

A cursor is the url-safe base64 of the JSON list of the last row's sort key; clients must
treat it as opaque.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from aiohttp import web

from store.errors import Invalid
from store.queries.pages import Page

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def page_limit(request: web.Request) -> int:
    """Return `?limit=` (1 to MAX_LIMIT, default DEFAULT_LIMIT)."""
    text = request.query.get("limit", str(DEFAULT_LIMIT))
    # str.isdigit() also accepts digits int() refuses ("²"), hence the ASCII test.
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_LIMIT:
        raise Invalid.field("limit", f"must be an integer from 1 to {MAX_LIMIT}")
    return int(text)


def encode_cursor(*key: str) -> str:
    """Return the opaque cursor for a sort key."""
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def _decode(request: web.Request, arity: int, name: str = "cursor") -> list[str] | None:
    text = request.query.get(name)
    if not text:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError, RecursionError):
        # RecursionError: a cursor nested deeper than the JSON reader's recursion limit.
        key = None
    if not isinstance(key, list) or len(key) != arity or not all(isinstance(k, str) for k in key):
        raise Invalid.field(name, "is not a cursor this API returned")
    return key


def position_cursor(request: web.Request, name: str) -> tuple[int, int] | None:
    """Return the two integers of a feed position cursor in `?{name}=`, if any."""
    key = _decode(request, 2, name)
    if key is None:
        return None
    if not all(k.isascii() and k.isdigit() for k in key):
        raise Invalid.field(name, "is not a cursor this API returned")
    return int(key[0]), int(key[1])


def id_cursor(request: web.Request) -> str | None:
    """Return the id after which the requested page starts, if any."""
    key = _decode(request, 1)
    return None if key is None else key[0]


def time_id_cursor(request: web.Request) -> tuple[datetime, str] | None:
    """Return the (time, id) before which a newest-first page starts, if any."""
    key = _decode(request, 2)
    if key is None:
        return None
    try:
        return datetime.fromisoformat(key[0]), key[1]
    except ValueError:
        raise Invalid.field("cursor", "is not a cursor this API returned") from None


def page_body(
    page: Page[Any], items: list[dict[str, Any]], next_key: tuple[str, ...]
) -> dict[str, Any]:
    """Return `{items, next}` where next is the cursor of the following page or None."""
    return {"items": items, "next": encode_cursor(*next_key) if page.has_more else None}
