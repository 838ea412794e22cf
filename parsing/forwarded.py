"""Build the forwarded original of an inline forward, innermost first (SPEC §3).

`parsing.inline_forward` reads one level; this module follows nested forwards down to
the innermost original (bounded) and turns it into a ParsedMessage with a stable
synthetic Message-ID, since inline originals carry none. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from parsing.dates import parse_date
from parsing.forward_dates import parse_forward_date
from parsing.inline_forward import InlineForward, parse_inline_forward
from parsing.message import Address, ForwardKind, ParsedMessage
from parsing.preview import clean_preview
from parsing.synthetic_id import synthetic_message_id

MAX_FORWARD_DEPTH = 8


@dataclass(frozen=True, slots=True)
class InlineOriginal:
    """The innermost original of an inline forward and the forwarder's note above it."""

    message: ParsedMessage
    note: str
    depth: int


def _with_address(addresses: tuple[Address, ...]) -> tuple[Address, ...]:
    return tuple(address for address in addresses if address.address)


def original_date(text: str, zone: tzinfo | None) -> datetime | None:
    """Return the instant of a forward header's date; `zone`: the forward's own, for a date
    written without one."""
    if not text:
        return None
    return parse_forward_date(text, zone) or parse_date(text)


def original_message(inline: InlineForward, zone: tzinfo | None = None) -> ParsedMessage:
    """Return the original described by `inline` as a ParsedMessage (`zone`: the forward's)."""
    from_ = _with_address((inline.from_,) if inline.from_ is not None else ())
    sender_key = from_[0].key if from_ else ""
    return ParsedMessage(
        message_id=synthetic_message_id(sender_key, inline.date, inline.subject, inline.body),
        has_message_id=False,
        from_=from_,
        to=_with_address(inline.to),
        cc=_with_address(inline.cc),
        subject=inline.subject,
        date=original_date(inline.date, zone),
        date_text=inline.date,
        text=inline.body,
        preview=clean_preview(inline.body),
        forwarded_as=ForwardKind.INLINE,
    )


def find_inline_original(
    text: str, subject: str, max_depth: int = MAX_FORWARD_DEPTH, zone: tzinfo | None = None
) -> InlineOriginal | None:
    """Return the innermost inline-forwarded original in `text`, or None.

    `zone`: the forwarding message's own (its Date's offset), for a date written without one.
    """
    found = parse_inline_forward(text, subject)
    if found is None:
        return None
    note, depth = found.note, 1
    while depth < max_depth:
        # Nested originals are recognised by their separator line alone: their own
        # subjects ("RE: …") say nothing about whether they were forwarded.
        deeper = parse_inline_forward(found.body)
        if deeper is None or deeper.from_ is None:
            break
        found, depth = deeper, depth + 1
    return InlineOriginal(original_message(found, zone), note, depth)
