"""Portable filters on JSON list columns holding ids (SQLite and PostgreSQL alike).

Ids are 32 lower-case hex characters, so searching the JSON text for `"<id>"` is exact
and needs no escaping; this keeps one query for both backends.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, String, cast, false, or_


def mentions_any(column: Any, ids: Collection[str]) -> ColumnElement[bool]:
    """Return a condition true when the JSON `column` contains any of `ids` as a string."""
    if not ids:
        return false()
    text = cast(column, String)
    return or_(*(text.like(f'%"{value}"%') for value in sorted(ids)))
