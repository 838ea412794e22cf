"""Calendar invitations read with icalendar: methods, SEQUENCE and time zones (SPEC §12)."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from parsing import parse_message
from parsing.calendar import read_invitation


def calendar(method: str, *event: str) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN"]
    lines += [f"METHOD:{method}"] if method else []
    lines += ["BEGIN:VEVENT", "UID:meeting-1@client.test", *event, "END:VEVENT", "END:VCALENDAR"]
    return ("\r\n".join(lines) + "\r\n").encode()


@pytest.mark.parametrize(("start", "iso", "zone"), [
    ("DTSTART:20261130T140000Z", "2026-11-30T14:00:00+00:00", "UTC"),
    ("DTSTART;TZID=America/New_York:20261130T090000", "2026-11-30T09:00:00-05:00",
     "America/New_York"),
    # Floating: the same wall-clock time wherever one is, so no offset.
    ("DTSTART:20261130T090000", "2026-11-30T09:00:00", None),
    ("DTSTART;VALUE=DATE:20261130", "2026-11-30", None),
])
def test_times_keep_their_zone(start: str, iso: str, zone: str | None) -> None:
    found = read_invitation(calendar("REQUEST", start))

    assert found is not None
    assert (found.start, found.timezone) == (iso, zone)


def test_a_request_is_read_whole() -> None:
    found = read_invitation(calendar(
        "REQUEST", "SEQUENCE:3", "STATUS:TENTATIVE", "SUMMARY:Site visit",
        "LOCATION:12 High Street", "DTSTART:20261130T140000Z", "DTEND:20261130T150000Z",
        "ORGANIZER;CN=Carol:mailto:carol@client.test",
        "ATTENDEE;CN=Alice;PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT:mailto:alice@acme.test",
        "ATTENDEE;PARTSTAT=NEEDS-ACTION:MAILTO:bob@client.test"))

    assert found is not None
    assert (found.method, found.uid, found.sequence, found.status) == (
        "request", "meeting-1@client.test", 3, "tentative")
    assert (found.summary, found.location, found.organizer, found.end) == (
        "Site visit", "12 High Street", "carol@client.test", "2026-11-30T15:00:00+00:00")
    assert [(a.address, a.name, a.status, a.role) for a in found.attendees] == [
        ("alice@acme.test", "Alice", "accepted", "req-participant"),
        ("bob@client.test", "", "needs-action", "")]


def test_a_cancel_is_cancelled_and_other_methods_are_no_meeting() -> None:
    cancelled = read_invitation(calendar("CANCEL", "SEQUENCE:4"))
    assert cancelled is not None and (cancelled.method, cancelled.status) == ("cancel", "cancelled")
    assert read_invitation(calendar("REPLY", "SEQUENCE:4")) is None
    assert read_invitation(calendar("PUBLISH")) is None
    # A calendar without METHOD takes the part's method= parameter.
    assert read_invitation(calendar(""), "REQUEST") is not None


def test_a_broken_calendar_is_no_meeting() -> None:
    assert read_invitation(b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n") is None
    assert read_invitation(b"\xff\xfe not a calendar") is None
    assert read_invitation(calendar("REQUEST").replace(b"UID:meeting-1@client.test\r\n", b"")) \
        is None


def test_an_ics_attachment_makes_the_message_a_meeting() -> None:
    message = EmailMessage()
    message["From"] = "carol@client.test"
    message["To"] = "alice@acme.test"
    message["Subject"] = "Invitation: Site visit"
    message.set_content("You are invited.")
    message.add_attachment(calendar("REQUEST", "DTSTART:20261130T140000Z"),
                           maintype="application", subtype="ics", filename="invite.ics")

    parsed = parse_message(message.as_bytes())

    assert parsed.meeting is not None and parsed.meeting.uid == "meeting-1@client.test"
    assert [a.filename for a in parsed.attachments] == ["invite.ics"]

