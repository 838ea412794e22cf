"""How invitations of one meeting apply to it: SEQUENCE orders them, CANCEL ends it (§12)."""

from __future__ import annotations

from dataclasses import replace

from store.recording import MeetingRecord

FIRST = MeetingRecord("request", "uid-1", 0, "confirmed", "Site visit", "2026-11-30T15:00:00",
                      None, None, "", "carol@client.test", [])
MOVED = replace(FIRST, sequence=1, start="2026-11-30T16:00:00")
CANCEL = replace(FIRST, method="cancel", sequence=1, status="cancelled")


def test_a_higher_sequence_updates_and_a_lower_or_equal_one_does_not() -> None:
    assert FIRST.after(MOVED) == MOVED
    assert MOVED.after(FIRST) == MOVED
    assert MOVED.after(replace(MOVED, start="2026-12-01T09:00:00")) == MOVED


def test_a_cancel_of_at_least_the_sequence_cancels_and_keeps_the_details() -> None:
    cancelled = MOVED.after(CANCEL)
    assert (cancelled.status, cancelled.sequence, cancelled.start) == (
        "cancelled", 1, "2026-11-30T16:00:00")
    assert replace(MOVED, sequence=2).after(CANCEL).status == "confirmed"


def test_a_later_request_reinstates_a_cancelled_meeting() -> None:
    again = replace(MOVED, sequence=2)
    assert FIRST.after(CANCEL).after(again) == again
