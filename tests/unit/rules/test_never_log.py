"""never-log (SPEC §4.3): a never-log address is excluded; other participants are still logged."""

from __future__ import annotations

from rules.decision import Effect, Verdict
from rules.never_log import NeverLog
from rules.reasons import Reason
from tests.unit.rules.builders import ACME, a_project, an_evaluation

RULE = NeverLog()


def test_address_not_on_list_passes() -> None:
    finding = RULE.check(an_evaluation(), "bob@client.test",
                         a_project(never_log=["ceo@client.test"]))

    assert finding.verdict is Verdict.PASS
    assert finding.reason is Reason.NOT_NEVER_LOG
    assert finding.detail == "bob@client.test is not on the never-log list of project Acme Homes."


def test_address_on_list_fails() -> None:
    finding = RULE.check(an_evaluation(), "ceo@client.test",
                         a_project(never_log=["ceo@client.test"]))

    assert finding.verdict is Verdict.FAIL
    assert finding.reason is Reason.NEVER_LOG_ADDRESS
    assert finding.detail == "ceo@client.test is on the never-log list of project Acme Homes."
    assert finding.effect is Effect.NOT_LOGGED
    assert (finding.address, finding.project_id) == ("ceo@client.test", ACME)


def test_address_on_list_in_capitals_fails() -> None:
    finding = RULE.check(an_evaluation(), "ceo@client.test",
                         a_project(never_log=["CEO@Client.test"]))

    assert finding.verdict is Verdict.FAIL
    assert finding.reason is Reason.NEVER_LOG_ADDRESS
    assert finding.detail == "ceo@client.test is on the never-log list of project Acme Homes."
