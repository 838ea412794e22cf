"""Request schemas of the capture routes: POST /v1/log and POST /v1/explain.

A raw message comes as base64 in JSON (or as a message/rfc822 body, read by the handler);
a structured message is passed to the processing layer after a shallow type check.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

from api.fields import FieldReader
from api.schemas import MAX_PROJECT_IDS
from rules import Channel

MESSAGE_STRING_FIELDS = ("from", "subject", "date", "message_id", "in_reply_to", "text", "html")
MESSAGE_LIST_FIELDS = ("to", "cc", "references")


@dataclass(frozen=True, slots=True)
class CaptureRequest:
    """What to log or explain: a raw message or a structured one, for whom, where."""

    raw: bytes | None = None
    message: dict[str, Any] | None = None
    channel: str = Channel.LOG
    user_id: str | None = None
    project_ids: list[str] = field(default_factory=list)


def _read_raw(reader: FieldReader, *, required: bool) -> bytes | None:
    encoded = reader.string("raw", required=required, max_length=1 << 40)
    if encoded is None:
        return None
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        reader.fail("raw", "must be base64")
        return None


def _read_message(reader: FieldReader) -> dict[str, Any] | None:
    nested = reader.obj("message")
    if nested is None:
        return None
    for name in MESSAGE_STRING_FIELDS:
        nested.string(name, min_length=0, max_length=1 << 30)
    for name in MESSAGE_LIST_FIELDS:
        nested.string_list(name, max_items=1000, max_length=998)
    nested.reject_unknown()
    return dict(nested.body)


def _read_context(reader: FieldReader) -> tuple[str | None, list[str]]:
    user_id = reader.string("user_id", max_length=32)
    project_ids = reader.string_list("project_ids", max_items=MAX_PROJECT_IDS, max_length=32)
    return user_id, list(dict.fromkeys(project_ids or []))


def read_log(body: object) -> CaptureRequest:
    """Validate the JSON form of POST /v1/log: exactly one of `raw` and `message`."""
    reader = FieldReader(body)
    raw = _read_raw(reader, required=False)
    message = _read_message(reader)
    if ("raw" in reader.body) == ("message" in reader.body):
        reader.fail("raw", "give exactly one of raw (base64) and message")
    user_id, project_ids = _read_context(reader)
    reader.finish()
    return CaptureRequest(raw=raw, message=message, user_id=user_id, project_ids=project_ids)


def read_explain(body: object) -> CaptureRequest:
    """Validate POST /v1/explain: `{raw (base64), channel, user_id?, project_ids?}`."""
    reader = FieldReader(body)
    raw = _read_raw(reader, required=True)
    channel = reader.choice("channel", set(Channel), required=True)
    user_id, project_ids = _read_context(reader)
    reader.finish()
    assert raw is not None and channel is not None
    return CaptureRequest(raw=raw, channel=channel, user_id=user_id, project_ids=project_ids)
