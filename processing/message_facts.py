"""Turn a ParsedMessage into the rules' MessageFacts and the store's EmailRecord and EmailKey.

Values are made to fit the store's columns here, the same way on every backend: SQLite
stores an over-long string, PostgreSQL refuses it and would fail the message on every retry.
"""

from __future__ import annotations

import hashlib

import nh3

from parsing import Address, ParsedMessage
from parsing.message import MeetingInvite
from rules import MessageFacts
from store.models import Message
from store.recording import EmailRecord, MeetingRecord
from store.snapshot import EmailKey


def _column_length(name: str) -> int:
    length = getattr(Message.__table__.c[name].type, "length", None)
    assert isinstance(length, int)
    return length


MAX_MESSAGE_ID = _column_length("message_id")
MAX_FROM_ADDRESS = _column_length("from_address")
MAX_FROM_NAME = _column_length("from_name")

# The header fields kept for a reader of one interaction (SPEC §12), in the message's order.
SHOWN_HEADERS = frozenset({"from", "sender", "reply-to", "to", "cc", "date", "subject",
                           "message-id", "in-reply-to", "references"})
MAX_SHOWN_HEADERS = 50
MAX_HEADER_VALUE = 4096
# Links keep these schemes; cid: lets an inline image name its attachment.
HTML_URL_SCHEMES = frozenset(nh3.ALLOWED_URL_SCHEMES) | {"cid"}


def sanitised_html(html: str) -> str:
    """Return the HTML body with only safe markup left (no scripts, handlers or styles)."""
    return nh3.clean(html, url_schemes=set(HTML_URL_SCHEMES)) if html.strip() else ""


def shown_headers(parsed: ParsedMessage) -> list[dict[str, str]]:
    """Return the header fields that matter to a reader, decoded, in the message's order."""
    shown = [{"name": name, "value": value[:MAX_HEADER_VALUE]}
             for name, value in parsed.headers if name in SHOWN_HEADERS]
    return shown[:MAX_SHOWN_HEADERS]


def storable_message_id(message_id: str) -> str:
    """Return the id as stored and compared: one longer than a header line becomes a digest.

    Applied to Message-ID, In-Reply-To and References alike, so threading still matches.
    """
    if len(message_id) <= MAX_MESSAGE_ID:
        return message_id
    digest = hashlib.sha256(message_id.encode("utf-8", "surrogateescape")).hexdigest()
    return f"<{digest}@long-message-id.blindcopy.invalid>"


def _ids(message_ids: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(storable_message_id(m) for m in message_ids)


def _keys(addresses: tuple[Address, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(a.key for a in addresses))


# The ASCII characters `str.split()` splits on, each turned into a space.
_ASCII_SPACES = str.maketrans({char: " " for char in map(chr, range(128)) if char.isspace()})


def collapse_spaces(text: str) -> str:
    """Return `" ".join(text.split())`, without a string per word for ASCII text.

    A 1 MB body is some 200,000 words: splitting it cost ≈ 40 ms; mapping its white space
    to spaces and halving runs of them costs a few (str.translate and str.replace stay in C).
    """
    if not text.isascii():
        return " ".join(text.split())
    spaced = text.translate(_ASCII_SPACES)
    while "  " in spaced:
        spaced = spaced.replace("  ", " ")
    return spaced.strip(" ")


def fingerprint(parsed: ParsedMessage) -> str:
    """Return what tells this email from another reusing its Message-ID (SPEC §9).

    SHA-256 over From, To, Cc, Date, Subject and the text with its white space collapsed
    (so the same email's copies agree whatever their line endings and wrapping).
    """
    author = parsed.author
    parts = [author.key if author else "", ",".join(sorted(_keys(parsed.to))),
             ",".join(sorted(_keys(parsed.cc))),
             parsed.date.isoformat() if parsed.date else "", parsed.subject.strip(),
             collapse_spaces(parsed.text)]
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def to_message_facts(parsed: ParsedMessage) -> MessageFacts:
    """Return what the rules need of a parsed message (and of its forwarded original)."""
    return MessageFacts(
        message_id=storable_message_id(parsed.message_id),
        from_=_keys(parsed.from_),
        to=_keys(parsed.to),
        cc=_keys(parsed.cc),
        bcc=_keys(parsed.bcc),
        subject=parsed.subject,
        date=parsed.date,
        in_reply_to=_ids(parsed.in_reply_to),
        references=_ids(parsed.references),
        headers=parsed.headers,
        content_type=parsed.content_type,
        original=to_message_facts(parsed.forwarded) if parsed.forwarded else None,
        fingerprint=fingerprint(parsed),
        meeting_method=parsed.meeting.method if parsed.meeting else "",
        meeting_uid=parsed.meeting.uid if parsed.meeting else "",
    )


def _root_id(parsed: ParsedMessage) -> str:
    """Return the id of the conversation's first message: References' first, else the parent."""
    ancestors = _ids(parsed.references) or _ids(parsed.in_reply_to)
    return ancestors[0] if ancestors else storable_message_id(parsed.message_id)


def email_key(parsed: ParsedMessage) -> EmailKey:
    """Return the ids the snapshot looks the email's conversation up by."""
    return EmailKey(storable_message_id(parsed.message_id),
                    tuple(dict.fromkeys(_ids(parsed.in_reply_to + parsed.references))),
                    _root_id(parsed))


def to_email_record(parsed: ParsedMessage, facts: MessageFacts,
                    original_verified: bool = False) -> EmailRecord:
    """Return what is stored of a logged email (`facts`: the rules' facts of it)."""
    author = parsed.author
    key = email_key(parsed)
    return EmailRecord(
        message_id=key.message_id,
        fingerprint=facts.fingerprint,
        thread_ids=key.thread_ids,
        root_id=key.root_id,
        subject=parsed.subject,
        from_address=(author.key if author else "")[:MAX_FROM_ADDRESS],
        from_name=(author.display_name if author else "")[:MAX_FROM_NAME],
        to=list(_keys(parsed.to)),
        cc=list(_keys(parsed.cc)),
        date=parsed.date,
        preview=parsed.preview,
        text=parsed.text,
        attachments=[
            {"n": n, "filename": a.filename, "content_type": a.content_type, "size": a.size,
             "sha256": a.sha256}
            for n, a in enumerate(parsed.attachments, start=1)
        ],
        original_verified=original_verified,
        html=sanitised_html(parsed.html),
        headers=shown_headers(parsed),
        contents={a.sha256: a.content for a in parsed.attachments},
        meeting=meeting_record(parsed.meeting) if parsed.meeting else None,
    )


def meeting_record(invite: MeetingInvite) -> MeetingRecord:
    """Return what is stored of a meeting invitation (values cut to fit their columns)."""
    return MeetingRecord(
        method=invite.method, uid=storable_message_id(invite.uid), sequence=invite.sequence,
        status=invite.status, summary=invite.summary, start=invite.start, end=invite.end,
        timezone=(invite.timezone or "")[:128] or None, location=invite.location,
        organizer=invite.organizer[:MAX_FROM_ADDRESS],
        attendees=[{"address": a.address, "name": a.name, "status": a.status, "role": a.role}
                   for a in invite.attendees])
