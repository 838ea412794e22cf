"""Value types produced by the parser (SPEC §3).

Pure data: frozen, slotted dataclasses that cross package boundaries. No I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class Address:
    """One mailbox: the address as written (domain lower-cased) and its display name."""

    address: str
    display_name: str = ""

    @property
    def key(self) -> str:
        """Return the comparison key: the whole address lower-cased."""
        return self.address.lower()

    @property
    def domain(self) -> str:
        """Return the domain part (lower-case), or '' when there is none."""
        return self.address.rpartition("@")[2].lower() if "@" in self.address else ""


class ForwardKind(StrEnum):
    """How a forwarded original travelled inside the forwarding message."""

    ATTACHMENT = "attachment"  # a message/rfc822 or message/global part (or an .eml file)
    INLINE = "inline"  # quoted in the body under a client's forward header block


@dataclass(frozen=True, slots=True)
class Attachment:
    """One attachment: its metadata and its decoded bytes (decoded once, by the parser).

    The store keeps the bytes once per sha256 when a project stores bodies; they are left
    out of comparisons and of repr (an attachment may be megabytes).
    """

    filename: str
    content_type: str
    size: int
    sha256: str
    content: bytes = field(default=b"", repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Attendee:
    """One attendee of a meeting: address, name and participation status (lower-case)."""

    address: str
    name: str = ""
    status: str = ""
    role: str = ""


@dataclass(frozen=True, slots=True)
class MeetingInvite:
    """A calendar invitation (text/calendar REQUEST or CANCEL) a message carries (SPEC §12).

    `start` and `end` are ISO 8601: with an offset for a time in a zone or in UTC, without
    one for a floating time (the same wall-clock time wherever one is), a date alone for an
    all-day event. `timezone` names the start's zone (TZID, or UTC) when it has one.
    """

    method: str  # "request" or "cancel"
    uid: str
    sequence: int = 0
    status: str = "confirmed"  # confirmed, tentative or cancelled
    summary: str = ""
    start: str | None = None
    end: str | None = None
    timezone: str | None = None
    location: str = ""
    organizer: str = ""
    attendees: tuple[Attendee, ...] = ()


@dataclass(frozen=True, slots=True)
class ParsedMessage:
    """A best-effort view of one RFC 5322 message; `warnings` says what was repaired."""

    message_id: str
    has_message_id: bool
    from_: tuple[Address, ...] = ()
    sender: Address | None = None
    reply_to: tuple[Address, ...] = ()
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    bcc: tuple[Address, ...] = ()
    subject: str = ""
    date: datetime | None = None
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    text: str = ""
    html: str = ""
    preview: str = ""
    attachments: tuple[Attachment, ...] = ()
    content_type: str = "text/plain"
    # Header names lower-cased, values decoded to str; order kept, duplicates kept.
    headers: tuple[tuple[str, str], ...] = ()
    # The original message when this one is a forward (innermost original for nested forwards).
    forwarded: ParsedMessage | None = None
    warnings: tuple[str, ...] = field(default=())
    # How `forwarded` was found (None when this message forwards nothing).
    forward_kind: ForwardKind | None = None
    # The forwarder's own words above an inline forward ("FYI, see below").
    forward_note: str = ""
    # The Date as written; for an inline original often localized ("6 avr. 2023 à 16:17").
    date_text: str = ""
    # How this message travelled when it is the original of a forward (None otherwise).
    forwarded_as: ForwardKind | None = None
    # The calendar invitation the message carries (REQUEST or CANCEL), if any.
    meeting: MeetingInvite | None = None
    # The exact bytes of an original taken from an attachment, over which its own DKIM
    # signature can be checked; empty when they could not be told exactly, or for any other
    # message (a top-level message's bytes are its caller's).
    source: bytes = b""

    @property
    def author(self) -> Address | None:
        """Return the first From address, if any."""
        return self.from_[0] if self.from_ else None

    def header_values(self, name: str) -> tuple[str, ...]:
        """Return every value of the header `name` (case-insensitive)."""
        wanted = name.lower()
        return tuple(value for key, value in self.headers if key == wanted)
