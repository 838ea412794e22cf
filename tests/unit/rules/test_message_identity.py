"""message-identity: the same email again, or another email reusing its Message-ID (SPEC §9)."""

from __future__ import annotations

from rules.decision import Verdict
from rules.facts import ThreadView
from rules.message_identity import MessageIdentity
from rules.reasons import Reason
from tests.unit.rules.builders import a_message, a_project, a_snapshot, an_evaluation, decide_now

RULE = MessageIdentity()


def held(*fingerprints: str) -> ThreadView:
    return ThreadView(stored_fingerprints=frozenset(fingerprints))


def check(project_thread: ThreadView | None) -> tuple[Verdict, Reason, str]:
    message = a_message(message_id="<m1@acme.test>", fingerprint="fp-1")
    project = a_project(thread=project_thread)
    finding = RULE.check(an_evaluation(message=message, snapshot=a_snapshot(projects=[project])),
                         project)
    return finding.verdict, finding.reason, finding.detail


def test_email_the_project_does_not_hold_is_new() -> None:
    assert check(None) == (Verdict.PASS, Reason.NEW_EMAIL,
                           "Project Acme Homes holds no email with Message-ID <m1@acme.test>.")


def test_same_fingerprint_is_the_same_email_again() -> None:
    assert check(held("fp-1")) == (
        Verdict.PASS, Reason.SAME_EMAIL_AGAIN,
        "Project Acme Homes already holds this email (<m1@acme.test>); this capture adds its "
        "channel.")


def test_email_recorded_before_fingerprints_is_taken_for_the_same() -> None:
    assert check(held(""))[1] is Reason.SAME_EMAIL_AGAIN


def test_other_fingerprint_is_another_email_reusing_the_id() -> None:
    assert check(held("fp-other")) == (
        Verdict.PASS, Reason.MESSAGE_ID_REUSED,
        "Project Acme Homes holds another email with Message-ID <m1@acme.test> (its sender, "
        "recipients, date, subject or text differ); this one is kept apart.")


def test_reused_message_id_is_a_warning_of_the_decision_and_still_logs() -> None:
    decision = decide_now(snapshot=a_snapshot(projects=[a_project(thread=held("fp-other"))]))

    assert decision.warnings == ("message_id_reused",)
    assert [o.status for o in decision.outcomes] == ["logged"]
    assert decision.to_json()["warnings"] == ["message_id_reused"]
