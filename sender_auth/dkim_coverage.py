"""What an aligned DKIM signature proves: the header fields it signs and when it was made.

A DKIM signature proves only the header field instances it lists in h=, counted from the
bottom of the header (RFC 6376 §5.4.2): a From, To or Cc added above the signed one, or one
the signer never listed, verifies just as well (§8.15). This module picks, among a message's
signatures that verified and align with its From domain, the one that covers most of the
fields blindcopy shows and logs, and tells which of those fields it leaves unsigned. It
reports; whether that is enough is the rules' decision (SPEC §9).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from sender_auth.alignment import is_aligned
from sender_auth.dkim_check import DkimCheck, DkimSignatureResult

# The fields whose every instance a signature must cover to prove the message (SPEC §9),
# with their display names. Bcc too: the parser takes its addresses as recipients.
PROVED_FIELDS: tuple[tuple[str, str], ...] = (
    ("from", "From"), ("to", "To"), ("cc", "Cc"), ("bcc", "Bcc"), ("subject", "Subject"),
    ("date", "Date"), ("message-id", "Message-ID"), ("in-reply-to", "In-Reply-To"),
    ("references", "References"),
)


@dataclass(frozen=True, slots=True)
class AlignedSignature:
    """A DKIM signature that verified and aligns with the From domain."""

    domain: str
    # Display names of the PROVED_FIELDS with an instance the signature does not cover.
    uncovered: tuple[str, ...] = ()
    # When the signer says it signed (t=), if it says.
    signed_at: datetime | None = None


def uncovered_fields(header_names: tuple[str, ...], signed_headers: tuple[str, ...]
                     ) -> tuple[str, ...]:
    """Return the PROVED_FIELDS that have more instances in the message than h= lists.

    h= may list a name more often than it occurs (over-signing, which also forbids adding
    one); a field occurring more often than listed has an instance nobody signed.
    """
    present, signed = Counter(header_names), Counter(signed_headers)
    return tuple(shown for name, shown in PROVED_FIELDS if present[name] > signed[name])


def aligned_signature(check: DkimCheck, from_domain: str) -> AlignedSignature | None:
    """Return the verified, aligned signature covering most PROVED_FIELDS (the first of equals)."""
    found = [_described(s, check.header_names) for s in check.signatures
             if s.result == "pass" and is_aligned(s.domain, from_domain)]
    return min(found, key=lambda signature: len(signature.uncovered), default=None)


def _described(signature: DkimSignatureResult, header_names: tuple[str, ...]) -> AlignedSignature:
    return AlignedSignature(signature.domain,
                            uncovered_fields(header_names, signature.signed_headers),
                            _time(signature.timestamp))


def _time(timestamp: int | None) -> datetime | None:
    """Return t= as a time (dkimpy refuses a signature made in the future)."""
    if timestamp is None:
        return None
    try:
        return datetime.fromtimestamp(timestamp, UTC)
    except (OverflowError, OSError, ValueError):
        return None
