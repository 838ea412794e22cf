"""MIME parsing with the standard library (policy.default), best effort (SPEC §3).

Every step that can fail on hostile input is guarded and turned into a warning, so
`parse_message` never raises for bad input: a message whose structure cannot be read at
all still yields its headers and raw text. The MIME walk is bounded (`parsing.parts`), and
so is the depth of forwarded messages followed. Pure: no I/O.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import quopri
import re
from dataclasses import dataclass, replace
from datetime import tzinfo
from email.message import EmailMessage, Message
from email.parser import BytesParser

from parsing.addresses import parse_address_list
from parsing.calendar import read_invitation
from parsing.dates import parse_header_date
from parsing.enclosed_source import enclosed_source
from parsing.forwarded import MAX_FORWARD_DEPTH, find_inline_original
from parsing.header_policy import MIME_POLICY
from parsing.html_text import html_to_text
from parsing.message import Attachment, ForwardKind, MeetingInvite, ParsedMessage
from parsing.parts import MAX_MIME_DEPTH, PartWalk, walk_parts
from parsing.preview import clean_preview
from parsing.synthetic_id import synthetic_message_id

__all__ = ["MAX_MIME_DEPTH", "parse_message", "synthetic_message_id"]

_MSGID = re.compile(r"<[^<>\s]+>")
# Headers decoded whole whatever their length: who takes part, and how the thread goes.
_DECODED_WHOLE = frozenset({"from", "sender", "reply-to", "to", "cc", "bcc", "message-id",
                            "in-reply-to", "references", "resent-from", "resent-to",
                            "resent-cc", "resent-bcc"})
# Any other header (Subject, X-…) is decoded only as far as this many characters of its raw
# value: the email package decodes ≈ 7 encoded words per millisecond, so a 200 KB Subject
# cost half a second (a CPU cost any sender could impose, up to `max_header_bytes`).
MAX_DECODED_HEADER_CHARS = 16_384
# A fold: a line break followed by white space. Cutting there splits no encoded word.
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_Forward = tuple[ParsedMessage | None, ForwardKind | None, str]
# The media types an invitation comes in (Outlook sends both: the part and an .ics file).
CALENDAR_TYPES = ("text/calendar", "application/ics")


@dataclass(frozen=True, slots=True)
class _Carrier:
    """A message being read and its exact bytes, when known (those of what it attaches)."""

    msg: Message
    raw: bytes | None

    def source_of(self, part: Message) -> bytes | None:
        """Return the exact bytes of the message `part` encloses, when they can be told."""
        return enclosed_source(self.raw, self.msg, part) if self.raw is not None else None


def _without_nul(text: str, where: str, warnings: list[str]) -> str:
    """Drop NUL characters: no mail text needs them and PostgreSQL cannot store them."""
    if "\x00" not in text:
        return text
    warnings.append(f"NUL characters removed from {where}")
    return text.replace("\x00", "")


def _header_values(msg: Message, warnings: list[str]) -> dict[str, list[str]]:
    """Return every header's decoded values by lower-case name, in order; each parsed once.

    Reading a header through policy.default parses it (address lists are slow to parse),
    and `get_all` parses again on every call: one pass serves every look-up.
    """
    values: dict[str, list[str]] = {}
    for key, raw in msg.raw_items():
        name = key.lower()
        found = values.setdefault(name, [])
        if name not in _DECODED_WHOLE and len(raw) > MAX_DECODED_HEADER_CHARS:
            raw = _beginning(raw)
            warnings.append(f"{name} header longer than {MAX_DECODED_HEADER_CHARS} "
                            "characters: only its beginning decoded")
        try:
            text = str(msg.policy.header_fetch_parse(key, raw))
            found.append(_without_nul(text, f"{name} header", warnings))
        except Exception:  # noqa: BLE001 - a broken header must not lose the message
            warnings.append(f"undecodable {name} header")
    return values


def _beginning(raw: str) -> str:
    """Return the raw header value up to its last fold within MAX_DECODED_HEADER_CHARS."""
    head = raw[:MAX_DECODED_HEADER_CHARS]
    folds = [fold.start() for fold in _FOLD.finditer(head)]
    return head[: folds[-1]] if folds else head


def _all_headers(values: dict[str, list[str]]) -> tuple[tuple[str, str], ...]:
    return tuple(dict.fromkeys((name, value) for name, found in values.items()
                               for value in found))


def _message_ids(values: list[str]) -> tuple[str, ...]:
    found: list[str] = []
    for value in values:
        found.extend(_MSGID.findall(value))
    return tuple(dict.fromkeys(found))


def _decoded_payload(part: Message) -> bytes:
    """Return the part's content with its transfer encoding undone (b"" when it cannot be).

    Base64, the encoding of nearly every large attachment, is decoded straight from the
    parsed text: the email package's own decoding encodes, splits, joins and pads the text
    first, a peak of 6 times the content (measured on 1 MiB) against 1.4 here. A text it
    refuses (bad padding, stray bytes) is decoded the email package's lenient way.
    """
    if not part.is_multipart() and part.get("content-transfer-encoding", "").strip().lower() \
            == "base64":
        text = part.get_payload()
        try:
            return binascii.a2b_base64(text) if isinstance(text, str) else b""
        except (binascii.Error, ValueError):
            pass
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - broken transfer encodings decode to nothing
        return b""
    return payload if isinstance(payload, bytes) else b""


def _part_text(part: Message, warnings: list[str]) -> str:
    return _without_nul(_decoded_text(part, warnings), f"{part.get_content_type()} part",
                        warnings)


def _decoded_text(part: Message, warnings: list[str]) -> str:
    try:
        if isinstance(part, EmailMessage):
            content = part.get_content()
            if isinstance(content, str):
                return content
    except Exception:  # noqa: BLE001 - fall back to a lenient decode below
        warnings.append(f"undecodable {part.get_content_type()} part")
    charset = part.get_content_charset() or "utf-8"
    try:
        return _decoded_payload(part).decode(charset, errors="replace")
    except LookupError:
        return _decoded_payload(part).decode("utf-8", errors="replace")


def _attachment(part: Message) -> Attachment:
    data = _decoded_payload(part)
    if not data and part.get_content_maintype() == "message":
        try:
            data = part.as_bytes()
        except Exception:  # noqa: BLE001 - size and hash of an unserialisable part stay empty
            data = b""
    try:
        filename = str(part.get_filename() or "")
    except Exception:  # noqa: BLE001 - a broken filename parameter is not fatal
        filename = ""
    return Attachment(
        filename, part.get_content_type(), len(data), hashlib.sha256(data).hexdigest(), data
    )


def _meeting(leaves: list[Message]) -> MeetingInvite | None:
    """Return the first REQUEST or CANCEL invitation among the calendar parts, if any."""
    for part in leaves:
        if part.get_content_type() in CALENDAR_TYPES:
            found = read_invitation(_decoded_payload(part), str(part.get_param("method") or ""))
            if found is not None:
                return found
    return None


def _is_body_part(part: Message, ctype: str, taken: str) -> bool:
    disposition = (part.get_content_disposition() or "").lower()
    return not taken and disposition != "attachment" and part.get_content_type() == ctype


def _bodies(leaves: list[Message], warnings: list[str]) -> tuple[str, str, tuple[Attachment, ...]]:
    text, html, attachments = "", "", []
    for part in leaves:
        if _is_body_part(part, "text/plain", text):
            text = _part_text(part, warnings)
        elif _is_body_part(part, "text/html", html):
            html = _part_text(part, warnings)
        elif (
            part.get_content_disposition() == "attachment" or part.get_content_maintype() != "text"
        ):
            attachments.append(_attachment(part))
    return text, html, tuple(attachments)


def _transfer_decoded(inner: Message, encoding: str) -> bytes | None:
    """Return an enclosed message that was sent base64/QP-encoded (RFC 6532 allows it), decoded."""
    try:
        encoded = inner.as_bytes()
        return base64.b64decode(encoded) if encoding == "base64" else quopri.decodestring(encoded)
    except Exception:  # noqa: BLE001 - keep the stdlib's reading of a broken encoding
        return None


def _enclosed_message(part: Message, carrier: _Carrier) -> tuple[Message, bytes | None] | None:
    """Return the message `part` carries and its exact bytes (None when they are unknown).

    Decoded bytes are exact: they are what is parsed. A message sent as it is (7bit, 8bit)
    is parsed with the one that carries it; its bytes are found in the carrier's (`carrier`).
    """
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        encoding = str(part.get("content-transfer-encoding", "")).strip().lower()
        data = _transfer_decoded(payload[0], encoding) \
            if encoding in ("base64", "quoted-printable") else None
        if data is not None:
            return BytesParser(policy=MIME_POLICY).parsebytes(data), data
        if encoding in ("base64", "quoted-printable"):
            return payload[0], None
        return payload[0], carrier.source_of(part)
    data = _decoded_payload(part)
    return (BytesParser(policy=MIME_POLICY).parsebytes(data), data) if data else None


def _eml_files(leaves: list[Message]) -> list[Message]:
    def is_eml(part: Message) -> bool:
        try:
            return str(part.get_filename() or "").lower().endswith(".eml")
        except Exception:  # noqa: BLE001 - a broken filename parameter is not an .eml
            return False

    return [part for part in leaves if part.get_content_maintype() != "message" and is_eml(part)]


def _attached_original(
    parts: list[Message], carrier: _Carrier, depth: int, warnings: list[str]
) -> ParsedMessage | None:
    for part in parts:
        if depth >= MAX_FORWARD_DEPTH:
            warnings.append(f"forwarded messages nested deeper than {MAX_FORWARD_DEPTH}")
            return None
        enclosed = _enclosed_message(part, carrier)
        if enclosed is not None:
            message, source = enclosed
            original = _from_message(message, depth + 1, source)
            if original.forwarded is not None:
                return original.forwarded
            return replace(original, forwarded_as=ForwardKind.ATTACHMENT, source=source or b"")
    return None


def _forward(
    carrier: _Carrier,
    walk: PartWalk,
    body: str,
    subject: str,
    depth: int,
    warnings: list[str],
    zone: tzinfo | None = None,
) -> _Forward:
    # A delivery report returns the bounced message and a digest bundles list mail;
    # neither is a forward.
    if carrier.msg.get_content_type() in ("multipart/report", "multipart/digest"):
        return None, None, ""
    attached = walk.attached_messages + _eml_files(walk.leaves)
    original = _attached_original(attached, carrier, depth, warnings)
    if original is not None:
        return original, ForwardKind.ATTACHMENT, ""
    inline = find_inline_original(body, subject, zone=zone)
    if inline is not None:
        return inline.message, ForwardKind.INLINE, inline.note
    return None, None, ""


def _from_message(msg: Message, depth: int = 0, raw: bytes | None = None) -> ParsedMessage:
    """Read `msg`; `raw`, when known, is its exact bytes (to find those of what it attaches)."""
    warnings: list[str] = [type(defect).__name__ for defect in getattr(msg, "defects", [])]

    values = _header_values(msg, warnings)

    def get(name: str) -> list[str]:
        return values.get(name, [])

    from_ = parse_address_list(get("from"))
    senders = parse_address_list(get("sender"))
    subject = (get("subject") or [""])[0]
    date_text = (get("date") or [""])[0]
    walk = walk_parts(msg, MAX_MIME_DEPTH)
    warnings.extend(walk.warnings)
    text, html, attachments = _bodies(walk.leaves, warnings)
    readable = text or html_to_text(html)
    date = parse_header_date(get("date"), warnings)
    forwarded, kind, note = _forward(
        _Carrier(msg, raw), walk, readable, subject, depth, warnings,
        date.tzinfo if date is not None else None)
    if forwarded is not None and kind is ForwardKind.INLINE:
        # Clients forwarding inline attach the original's attachments to the forward.
        forwarded = replace(forwarded, attachments=attachments)
    ids = _message_ids(get("message-id"))
    sender_key = from_[0].key if from_ else ""
    return ParsedMessage(
        message_id=ids[0]
        if ids
        else synthetic_message_id(sender_key, date_text, subject, text or html),
        has_message_id=bool(ids),
        from_=from_,
        sender=senders[0] if senders else None,
        reply_to=parse_address_list(get("reply-to")),
        to=parse_address_list(get("to")),
        cc=parse_address_list(get("cc")),
        bcc=parse_address_list(get("bcc")),
        subject=subject,
        date=date,
        date_text=date_text,
        in_reply_to=_message_ids(get("in-reply-to")),
        references=_message_ids(get("references")),
        text=text,
        html=html,
        preview=clean_preview(readable),
        attachments=attachments,
        content_type=msg.get_content_type(),
        headers=_all_headers(values),
        forwarded=forwarded,
        forward_kind=kind,
        forward_note=note,
        warnings=tuple(dict.fromkeys(warnings)),
        meeting=_meeting(walk.leaves),
    )


def _headers_only(raw: bytes, error: BaseException) -> ParsedMessage:
    """Parse only the header block, keeping the rest as raw text (last resort)."""
    reason = f"MIME structure unreadable ({type(error).__name__}); headers and raw text kept"
    try:
        msg = BytesParser(policy=MIME_POLICY).parsebytes(raw, headersonly=True)
        headers = _all_headers(_header_values(msg, []))
        subject = next((value for key, value in headers if key == "subject"), "")
    except Exception:  # noqa: BLE001 - even the header block is unreadable
        headers, subject = (), ""
    text = raw.partition(b"\n\n")[2].decode("utf-8", errors="replace").replace("\x00", "")
    digest = hashlib.sha256(raw).hexdigest()
    return ParsedMessage(
        message_id=synthetic_message_id("", "", subject, digest),
        has_message_id=False,
        subject=subject,
        text=text,
        preview=" ".join(text.split())[:500],
        headers=headers,
        warnings=(reason,),
    )


# The first empty line of an LF or CRLF message: its header section ends there at the latest.
_EMPTY_LINE = re.compile(rb"\n\r?\n")


def read_message(raw: bytes) -> Message:
    """Return what `BytesParser(policy=MIME_POLICY).parsebytes(raw)` returns, sooner.

    The feed parser walks a body line by line (≈ 6 ms of CPU per MB) even when it only joins
    the lines back into the payload, as it does for a single-part message. So the header section
    is parsed first, up to the first empty line; when it ends there (its payload is empty)
    and the message is single-part, the rest of the bytes become its payload, decoded as the
    parser decodes them. Anything else (multipart, message/*, a header section the parser
    ends sooner, no LF or CRLF empty line) is parsed whole.
    """
    blank = _EMPTY_LINE.search(raw)
    if blank is not None:
        head = BytesParser(policy=MIME_POLICY).parsebytes(raw[: blank.end()], headersonly=True)
        if head.get_content_maintype() not in ("multipart", "message") \
                and head.get_payload() == "":
            head.set_payload(raw[blank.end():].decode("ascii", "surrogateescape"))
            return head
    return BytesParser(policy=MIME_POLICY).parsebytes(raw)


def parse_message(raw: bytes) -> ParsedMessage:
    """Parse raw bytes into a ParsedMessage; never raise for malformed input."""
    try:
        msg = read_message(raw)
        return _from_message(msg, raw=raw)
    except (Exception, RecursionError) as error:  # noqa: BLE001 - never lose the message
        return _headers_only(raw, error)
