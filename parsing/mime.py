"""MIME parsing with the standard library (policy.default), best effort (SPEC §3).

Every step that can fail on hostile input is guarded and turned into a warning, so
`parse_message` never raises for bad input.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import parsedate_to_datetime

from parsing.addresses import parse_address_list
from parsing.message import Attachment, ParsedMessage

_MSGID = re.compile(r"<[^<>\s]+>")
_PREVIEW_CHARS = 500


def _header_text(msg: Message, name: str, warnings: list[str]) -> list[str]:
    values: list[str] = []
    for raw in msg.get_all(name, []) or []:
        try:
            values.append(str(raw))
        except Exception:  # noqa: BLE001 - a broken header must not lose the message
            warnings.append(f"undecodable {name} header")
    return values


def _all_headers(msg: Message, warnings: list[str]) -> tuple[tuple[str, str], ...]:
    result: list[tuple[str, str]] = []
    for key in msg.keys():
        for value in _header_text(msg, key, warnings):
            result.append((key.lower(), value))
    return tuple(dict.fromkeys(result))


def _message_ids(values: list[str]) -> tuple[str, ...]:
    found: list[str] = []
    for value in values:
        found.extend(_MSGID.findall(value))
    return tuple(dict.fromkeys(found))


def _date(values: list[str], warnings: list[str]) -> datetime | None:
    if not values:
        return None
    try:
        parsed = parsedate_to_datetime(values[0])
    except (TypeError, ValueError, IndexError):
        warnings.append("unparseable Date header")
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def _part_text(part: Message, warnings: list[str]) -> str:
    try:
        if isinstance(part, EmailMessage):
            content = part.get_content()
            if isinstance(content, str):
                return content
    except Exception:  # noqa: BLE001 - fall back to a lenient decode below
        warnings.append(f"undecodable {part.get_content_type()} part")
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        charset = part.get_content_charset() or "utf-8"
        try:
            return payload.decode(charset, errors="replace")
        except LookupError:
            return payload.decode("utf-8", errors="replace")
    return ""


def _attachment(part: Message) -> Attachment:
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    return Attachment(
        filename=str(part.get_filename() or ""),
        content_type=part.get_content_type(),
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _bodies(msg: Message, warnings: list[str]) -> tuple[str, str, tuple[Attachment, ...]]:
    text, html, attachments = "", "", []
    for part in msg.walk():
        if part.is_multipart():
            continue
        disposition = (part.get_content_disposition() or "").lower()
        ctype = part.get_content_type()
        if disposition != "attachment" and ctype == "text/plain" and not text:
            text = _part_text(part, warnings)
        elif disposition != "attachment" and ctype == "text/html" and not html:
            html = _part_text(part, warnings)
        elif disposition == "attachment" or not ctype.startswith("text/"):
            attachments.append(_attachment(part))
    return text, html, tuple(attachments)


def synthetic_message_id(sender: str, date: str, subject: str, body: str) -> str:
    """Return a stable id for a message without Message-ID (SPEC §3 threading)."""
    digest = hashlib.sha256("\x00".join((sender, date, subject, body)).encode()).hexdigest()
    return f"<{digest[:32]}@synthetic.blindcopy>"


def _preview(text: str, html: str) -> str:
    source = text or re.sub(r"<[^>]+>", " ", html)
    return " ".join(source.split())[:_PREVIEW_CHARS]


def parse_message(raw: bytes) -> ParsedMessage:
    """Parse raw bytes into a ParsedMessage; never raise for malformed input."""
    warnings: list[str] = []
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    warnings.extend(type(defect).__name__ for defect in getattr(msg, "defects", []))
    get = lambda name: _header_text(msg, name, warnings)  # noqa: E731
    from_ = parse_address_list(get("from"))
    senders = parse_address_list(get("sender"))
    subject = (get("subject") or [""])[0]
    text, html, attachments = _bodies(msg, warnings)
    ids = _message_ids(get("message-id"))
    message_id = ids[0] if ids else synthetic_message_id(
        from_[0].key if from_ else "", (get("date") or [""])[0], subject, text or html
    )
    return ParsedMessage(
        message_id=message_id,
        has_message_id=bool(ids),
        from_=from_,
        sender=senders[0] if senders else None,
        reply_to=parse_address_list(get("reply-to")),
        to=parse_address_list(get("to")),
        cc=parse_address_list(get("cc")),
        bcc=parse_address_list(get("bcc")),
        subject=subject,
        date=_date(get("date"), warnings),
        in_reply_to=_message_ids(get("in-reply-to")),
        references=_message_ids(get("references")),
        text=text,
        html=html,
        preview=_preview(text, html),
        attachments=attachments,
        content_type=msg.get_content_type(),
        headers=_all_headers(msg, warnings),
        warnings=tuple(dict.fromkeys(warnings)),
    )
