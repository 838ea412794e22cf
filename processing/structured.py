"""Build an RFC 5322 message from the structured JSON form of POST /v1/log (SPEC §7)."""

from __future__ import annotations

import re
from datetime import datetime
from email.errors import HeaderParseError
from email.message import EmailMessage
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from parsing import parse_address
from store.errors import Invalid

MESSAGE_ID = re.compile(r"<[^<>\s]+>")


def _header_value(fields: dict[str, Any], key: str) -> str:
    value = fields.get(key)
    text = ", ".join(value) if isinstance(value, list) else str(value or "")
    if "\r" in text or "\n" in text:
        raise Invalid.field(f"message.{key}", "must not contain line breaks")
    return text


def _check_addresses(fields: dict[str, Any], key: str) -> None:
    """Raise Invalid when an entry of an address field (from, to, cc) holds no address.

    Python 3.11's email package refused such a header ("bob@") when composing; 3.13 writes
    it, and the parser would then drop the entry without a word.
    """
    value = fields.get(key)
    entries = value if isinstance(value, list) else [value]
    for entry in entries:
        if entry and str(entry).strip() and parse_address(str(entry)) is None:
            raise Invalid.field(f"message.{key}", f"{entry!r} is not an email address")


def _date_header(value: str) -> str:
    """Return the Date header for an ISO 8601 or RFC 5322 date; raise Invalid otherwise."""
    try:
        return format_datetime(datetime.fromisoformat(value))
    except ValueError:
        pass
    try:
        parsedate_to_datetime(value)
    except (TypeError, ValueError):
        raise Invalid.field("message.date", "must be an ISO 8601 or RFC 5322 date") from None
    return value


def _message_id_header(value: str) -> str:
    """Return the Message-ID header, adding the angle brackets when they were left out."""
    message_id = value if value.startswith("<") else f"<{value}>"
    if not MESSAGE_ID.fullmatch(message_id):
        raise Invalid.field("message.message_id", "must be a Message-ID such as <id@host>")
    return message_id


def compose_message(fields: dict[str, Any]) -> bytes:
    """Build an RFC 5322 message from the structured JSON form of POST /v1/log.

    Raise Invalid (`message.<field>`) for a value that cannot be a header of that field.
    """
    message = EmailMessage()
    for header, key in (("From", "from"), ("To", "to"), ("Cc", "cc"), ("Subject", "subject"),
                        ("In-Reply-To", "in_reply_to"), ("References", "references")):
        value = _header_value(fields, key)
        if key in ("from", "to", "cc"):
            _check_addresses(fields, key)
        if value:
            try:
                message[header] = value
            except (ValueError, IndexError, TypeError, HeaderParseError):
                raise Invalid.field(f"message.{key}", "is not a valid header value") from None
    date = _header_value(fields, "date")
    if date:
        message["Date"] = _date_header(date)
    # Without a Message-ID the parser derives a stable one from sender, date, subject and
    # body (SPEC §3), so logging the same structured message twice logs it once.
    message_id = _header_value(fields, "message_id")
    if message_id:
        message["Message-ID"] = _message_id_header(message_id)
    message.set_content(str(fields.get("text") or ""))
    if fields.get("html"):
        message.add_alternative(str(fields["html"]), subtype="html")
    try:
        return bytes(message)
    except (ValueError, IndexError, TypeError, HeaderParseError):
        raise Invalid.field("message", "cannot be composed into an email") from None
