"""internal-only (SPEC §4.2.5): mail among users and project addresses only is not logged."""

from __future__ import annotations

from rules.decision import Effect, Verdict
from rules.internal_only import InternalOnly
from rules.reasons import Reason
from tests.unit.rules.builders import ACME_BCC, a_message, a_snapshot, a_user, an_evaluation

RULE = InternalOnly()
CAROL = a_user("u-carol", name="Carol", email="carol@acme.test")


def test_mail_to_contact_passes() -> None:
    finding = RULE.check(an_evaluation(), None)

    assert finding.verdict is Verdict.PASS
    assert finding.reason is Reason.HAS_EXTERNAL_PARTICIPANT
    assert finding.detail == "bob@client.test is neither a user nor a project address."


def test_mail_between_users_fails() -> None:
    ev = an_evaluation(message=a_message(to=["carol@acme.test"], bcc=[ACME_BCC]),
                       snapshot=a_snapshot(users=[a_user(), CAROL]))

    finding = RULE.check(ev, None)

    assert finding.verdict is Verdict.FAIL
    assert finding.reason is Reason.INTERNAL_ONLY
    assert finding.detail == "Every participant is a user or a project address."
    assert finding.effect is Effect.NOT_LOGGED


def test_external_cc_among_users_passes() -> None:
    ev = an_evaluation(message=a_message(to=["carol@acme.test"], cc=["bob@client.test"]),
                       snapshot=a_snapshot(users=[a_user(), CAROL]))

    finding = RULE.check(ev, None)

    assert finding.verdict is Verdict.PASS
    assert finding.detail == "bob@client.test is neither a user nor a project address."


def test_project_address_in_other_case_is_internal_fails() -> None:
    ev = an_evaluation(message=a_message(to=["carol@acme.test"], cc=[ACME_BCC.upper()]),
                       snapshot=a_snapshot(users=[a_user(), CAROL]))

    finding = RULE.check(ev, None)

    assert finding.verdict is Verdict.FAIL
    assert finding.reason is Reason.INTERNAL_ONLY
    assert finding.detail == "Every participant is a user or a project address."
