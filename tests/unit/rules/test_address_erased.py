"""address-erased (SPEC §13): an erased address is never logged again; others still are."""

from __future__ import annotations

from dataclasses import replace

from rules.address_erased import AddressErased
from rules.decision import Effect, OutcomeStatus, Verdict
from rules.reasons import Reason
from tests.unit.rules.builders import (
    ACME,
    a_message,
    a_project,
    a_snapshot,
    an_evaluation,
    decide_now,
    outcome,
)

RULE = AddressErased()


def test_address_not_erased_passes() -> None:
    finding = RULE.check(an_evaluation(), "bob@client.test", a_project())

    assert finding.verdict is Verdict.PASS
    assert finding.reason is Reason.NOT_ERASED


def test_address_erased_everywhere_fails_without_naming_it() -> None:
    snapshot = replace(a_snapshot(), erased=frozenset({("", "bob@client.test")}))
    finding = RULE.check(an_evaluation(snapshot=snapshot), "Bob@client.test", a_project())

    assert finding.verdict is Verdict.FAIL
    assert finding.reason is Reason.ADDRESS_ERASED
    assert finding.effect is Effect.NOT_LOGGED
    assert "bob@client.test" not in finding.detail.lower()


def test_address_erased_from_another_project_passes() -> None:
    snapshot = replace(a_snapshot(), erased=frozenset({("p-other", "bob@client.test")}))
    finding = RULE.check(an_evaluation(snapshot=snapshot), "bob@client.test", a_project())

    assert finding.verdict is Verdict.PASS


def test_erased_address_is_not_logged_and_the_other_recipient_is() -> None:
    snapshot = replace(a_snapshot(), erased=frozenset({(ACME, "bob@client.test")}))
    snapshot = replace(snapshot, contacts=(*snapshot.contacts, replace(
        snapshot.contacts[0], id="c-carol", name="Carol", addresses=("carol@client.test",))))
    decision = decide_now(a_message(to=("bob@client.test", "carol@client.test")),
                          snapshot=snapshot)

    assert outcome(decision, "bob@client.test").reason is Reason.ADDRESS_ERASED
    assert outcome(decision, "carol@client.test").status is OutcomeStatus.LOGGED
