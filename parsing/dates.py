"""Dates of messages and of inline-forwarded originals, always timezone-aware (SPEC §3).

Header dates follow RFC 5322 with the usual sloppiness; dates written by a client in a
forward header block are localized and are read only when they are close to that form.
Pure: no I/O, and never the clock.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# Words clients put between the date and the time ("Thu, 6 April 2023 at 16:17").
_CONNECTIVES = re.compile(r"\s+(at|um|à|a las|alle|om|às|kl\.?)\s+", re.IGNORECASE)
_US_ORDER = re.compile(r"\b([A-Z][a-z]{2})[a-z]* (\d{1,2}), (\d{4})\b")
_TWELVE_HOUR = re.compile(r"\b(\d{1,2}):(\d{2})(:\d{2})?\s*([AaPp])\.?[Mm]\.?(?=\s|$)")


def _to_24_hour(found: re.Match[str]) -> str:
    hour = int(found.group(1)) % 12 + (12 if found.group(4).lower() == "p" else 0)
    return f"{hour:02d}:{found.group(2)}{found.group(3) or ''}"


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def parse_date(text: str) -> datetime | None:
    """Return the date in `text`, or None when it cannot be read."""
    plain = _TWELVE_HOUR.sub(_to_24_hour, _CONNECTIVES.sub(" ", text))
    for candidate in (plain, _US_ORDER.sub(r"\2 \1 \3", plain), text):
        try:
            return _aware(parsedate_to_datetime(candidate.strip()))
        except (TypeError, ValueError, IndexError, OverflowError):
            continue
    return None


def parse_header_date(values: list[str], warnings: list[str]) -> datetime | None:
    """Return the first Date header as an aware datetime; warn when it is unreadable."""
    if not values:
        return None
    parsed = parse_date(values[0])
    if parsed is None:
        warnings.append("unparseable Date header")
    return parsed
