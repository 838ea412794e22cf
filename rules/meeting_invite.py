"""A message carrying a calendar invitation is logged as a meeting (SPEC §12).

A text/calendar REQUEST or CANCEL makes every interaction the message logs of type
`Meeting`, whatever the project's interaction type; the meeting itself (found again by
its UID in the project, updated by a higher SEQUENCE, cancelled by CANCEL) is recorded
with it. Changes no outcome's status. Pure.
"""

from __future__ import annotations

from rules.decision import Finding, Verdict
from rules.evaluation import Evaluation
from rules.reasons import Reason

MEETING_TYPE = "Meeting"
_REASONS = {"request": Reason.MEETING_REQUEST, "cancel": Reason.MEETING_CANCEL}


class MeetingInvite:
    """Log a message carrying a calendar REQUEST or CANCEL as type Meeting (SPEC §12)."""

    name = "meeting-invite"
    description = ("A logged message carrying a calendar invitation (text/calendar REQUEST or "
                   "CANCEL) is logged as type Meeting, and its meeting recorded or updated.")
    spec = "12"
    reasons: tuple[Reason, ...] = tuple(_REASONS.values())

    def judge(self, ev: Evaluation) -> tuple[str | None, Finding | None]:
        """Return the interaction type to log as and its finding; (None, None) for no invitation."""
        reason = _REASONS.get(ev.logged.meeting_method)
        if reason is None or not ev.logged.meeting_uid:
            return None, None
        return MEETING_TYPE, Finding.make(self.name, Verdict.PASS, reason,
                                          uid=ev.logged.meeting_uid, type=MEETING_TYPE)
