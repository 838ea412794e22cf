"""Turn a ParsedMessage into the rules' MessageFacts and the store's MessageRecord."""

from __future__ import annotations

from parsing import Address, ParsedMessage
from rules import MessageFacts
from store.recording import MessageRecord


def _keys(addresses: tuple[Address, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(a.key for a in addresses))


def to_message_facts(parsed: ParsedMessage) -> MessageFacts:
    """Return what the rules need of a parsed message (and of its forwarded original)."""
    return MessageFacts(
        message_id=parsed.message_id,
        from_=_keys(parsed.from_),
        to=_keys(parsed.to),
        cc=_keys(parsed.cc),
        bcc=_keys(parsed.bcc),
        subject=parsed.subject,
        in_reply_to=parsed.in_reply_to,
        references=parsed.references,
        headers=parsed.headers,
        content_type=parsed.content_type,
        original=to_message_facts(parsed.forwarded) if parsed.forwarded else None,
    )


def to_message_record(parsed: ParsedMessage, store_body: bool) -> MessageRecord:
    """Return what is stored of a logged email."""
    author = parsed.author
    return MessageRecord(
        message_id=parsed.message_id,
        thread_ids=tuple(dict.fromkeys(parsed.in_reply_to + parsed.references)),
        subject=parsed.subject,
        from_address=author.key if author else "",
        from_name=author.display_name if author else "",
        to=list(_keys(parsed.to)),
        cc=list(_keys(parsed.cc)),
        date=parsed.date,
        preview=parsed.preview,
        text=parsed.text if store_body else None,
        attachments=[
            {"filename": a.filename, "content_type": a.content_type, "size": a.size,
             "sha256": a.sha256}
            for a in parsed.attachments
        ],
    )
