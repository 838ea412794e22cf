"""personal-never-log (SPEC §13): the capturing user's own list, in every project."""

from __future__ import annotations

from dataclasses import replace

from rules.decision import Effect, OutcomeStatus, Verdict
from rules.personal_never_log import PersonalNeverLog
from rules.reasons import Reason
from tests.unit.rules.builders import a_project, a_snapshot, an_evaluation, decide_now, outcome

RULE = PersonalNeverLog()


def test_address_not_on_the_users_list_passes() -> None:
    snapshot = replace(a_snapshot(), personal_never_log=frozenset({("u-other", "bob@client.test")}))
    finding = RULE.check(an_evaluation(snapshot=snapshot), "bob@client.test", a_project())

    assert finding.verdict is Verdict.PASS
    assert finding.reason is Reason.NOT_PERSONAL_NEVER_LOG


def test_address_on_the_capturing_users_list_fails() -> None:
    snapshot = replace(a_snapshot(), personal_never_log=frozenset({("u-alice", "bob@client.test")}))
    finding = RULE.check(an_evaluation(snapshot=snapshot), "Bob@Client.test", a_project())

    assert finding.verdict is Verdict.FAIL
    assert finding.reason is Reason.PERSONAL_NEVER_LOG
    assert finding.effect is Effect.NOT_LOGGED
    assert "personal never-log list" in finding.detail


def test_decision_does_not_log_the_address() -> None:
    snapshot = replace(a_snapshot(), personal_never_log=frozenset({("u-alice", "bob@client.test")}))
    found = outcome(decide_now(snapshot=snapshot), "bob@client.test")

    assert found.status is OutcomeStatus.NOT_LOGGED
    assert found.reason is Reason.PERSONAL_NEVER_LOG
