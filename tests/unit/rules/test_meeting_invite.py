"""meeting-invite (SPEC §12): a calendar REQUEST or CANCEL is logged as type Meeting."""

from __future__ import annotations

from dataclasses import replace

from rules.decision import OutcomeStatus, Verdict
from rules.meeting_invite import MeetingInvite
from rules.reasons import Reason
from tests.unit.rules.builders import (
    a_capture,
    a_message,
    an_evaluation,
    decide_now,
    findings,
    outcome,
)

RULE = MeetingInvite()
INVITE = replace(a_message(), meeting_method="request", meeting_uid="uid-42@client.test")


def test_a_request_is_logged_as_a_meeting() -> None:
    interaction_type, finding = RULE.judge(an_evaluation(INVITE))

    assert interaction_type == "Meeting"
    assert finding is not None
    assert (finding.verdict, finding.reason) == (Verdict.PASS, Reason.MEETING_REQUEST)
    assert finding.detail == ("The message invites to meeting uid-42@client.test "
                              "(text/calendar REQUEST): it is logged as type Meeting.")


def test_a_cancel_is_logged_as_a_meeting_and_says_so() -> None:
    interaction_type, finding = RULE.judge(an_evaluation(replace(INVITE, meeting_method="cancel")))

    assert interaction_type == "Meeting"
    assert finding is not None and finding.reason is Reason.MEETING_CANCEL
    assert "the meeting marked cancelled" in finding.detail


def test_a_message_without_an_invitation_keeps_the_projects_type() -> None:
    assert RULE.judge(an_evaluation(a_message())) == (None, None)
    decision = decide_now(a_message(), a_capture())
    assert findings(decision, RULE.name) == []
    assert outcome(decision, "bob@client.test").interaction_type != "Meeting"


def test_every_logged_outcome_of_an_invitation_is_a_meeting() -> None:
    decision = decide_now(INVITE, a_capture())

    logged = outcome(decision, "bob@client.test")
    assert logged.status is OutcomeStatus.LOGGED
    assert logged.interaction_type == "Meeting"
    assert [f.reason for f in findings(decision, RULE.name)] == [Reason.MEETING_REQUEST]
