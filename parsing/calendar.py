"""Calendar invitations: a text/calendar REQUEST or CANCEL read into a MeetingInvite (SPEC §12).

Read with the icalendar package, which also builds the zones an invitation defines in its
own VTIMEZONE (Outlook's "W. Europe Standard Time"), besides IANA names, UTC and floating
times. Only the first VEVENT is read (an invitation to one meeting, or to a series whose
first event stands for it). Pure: no I/O; a broken calendar is no meeting, never an error.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import icalendar

from parsing.message import Attendee, MeetingInvite

METHODS = frozenset({"request", "cancel"})
_STATUSES = frozenset({"confirmed", "tentative", "cancelled"})


def _address(value: Any) -> str:
    text = str(value or "").strip()
    return text[7:].strip() if text.lower().startswith("mailto:") else text


def _param(value: Any, name: str) -> str:
    params = getattr(value, "params", None)
    return str(params.get(name, "")) if params is not None else ""


def _when(event: icalendar.Component, name: str) -> tuple[str | None, str | None]:
    """Return the property as ISO 8601 and its zone's name (None for floating or a date)."""
    if name not in event:
        return None, None
    value = event.decoded(name)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.isoformat(), None
        # A TZID names the zone; a time without one but aware is in UTC ("…Z").
        return value.isoformat(), _param(event.get(name), "TZID") or "UTC"
    if isinstance(value, date):
        return value.isoformat(), None
    return None, None


def _attendees(event: icalendar.Component) -> tuple[Attendee, ...]:
    found = event.get("attendee", [])
    listed = found if isinstance(found, list) else [found]
    return tuple(Attendee(_address(a), _param(a, "CN"), _param(a, "PARTSTAT").lower(),
                          _param(a, "ROLE").lower()) for a in listed if _address(a))


def read_invitation(data: bytes, method_parameter: str = "") -> MeetingInvite | None:
    """Return the REQUEST or CANCEL invitation in a calendar's bytes, or None.

    `method_parameter`: the part's Content-Type `method=` (used when the calendar has no
    METHOD of its own).
    """
    try:
        calendar = icalendar.Calendar.from_ical(data)
        method = str(calendar.get("method") or method_parameter).strip().lower()
        events = calendar.walk("VEVENT")
        if method not in METHODS or not events:
            return None
        return _invitation(method, events[0])
    except Exception:  # noqa: BLE001 - a broken calendar is no meeting; the email is kept
        return None


def _invitation(method: str, event: icalendar.Component) -> MeetingInvite | None:
    uid = str(event.get("uid") or "").strip()
    if not uid:
        return None
    start, zone = _when(event, "dtstart")
    end, _ = _when(event, "dtend")
    status = str(event.get("status") or "confirmed").strip().lower()
    return MeetingInvite(
        method=method, uid=uid, sequence=int(event.get("sequence") or 0),
        status="cancelled" if method == "cancel" else
        (status if status in _STATUSES else "confirmed"),
        summary=str(event.get("summary") or ""), start=start, end=end, timezone=zone,
        location=str(event.get("location") or ""),
        organizer=_address(event.get("organizer")), attendees=_attendees(event))
