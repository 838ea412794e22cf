"""ignored-address (SPEC §4.2.4): an ignored participant stops the message in that project."""

from __future__ import annotations

from rules.decision import Effect, Verdict
from rules.ignored_address import IgnoredAddress
from rules.reasons import Reason
from tests.unit.rules.builders import (
    ACME,
    ACME_BCC,
    a_message,
    a_project,
    a_snapshot,
    an_evaluation,
)

RULE = IgnoredAddress()


def test_no_ignored_participant_passes() -> None:
    finding = RULE.check(an_evaluation(), a_project(ignored=["spam.test", "eve@client.test"]))

    assert finding.verdict is Verdict.PASS
    assert finding.reason is Reason.NO_IGNORED_PARTICIPANT
    assert finding.detail == "No participant is ignored in project Acme Homes."
    assert finding.project_id == ACME


def test_ignored_recipient_address_fails() -> None:
    finding = RULE.check(an_evaluation(), a_project(ignored=["bob@client.test"]))

    assert finding.verdict is Verdict.FAIL
    assert finding.reason is Reason.IGNORED_ADDRESS
    assert finding.detail == "bob@client.test is an ignored address in project Acme Homes."
    assert finding.effect is Effect.NOT_LOGGED


def test_ignored_cc_address_fails() -> None:
    ev = an_evaluation(message=a_message(cc=["hr@client.test"]))

    finding = RULE.check(ev, a_project(ignored=["hr@client.test"]))

    assert finding.verdict is Verdict.FAIL
    assert finding.reason is Reason.IGNORED_ADDRESS
    assert finding.detail == "hr@client.test is an ignored address in project Acme Homes."


def test_ignored_domain_fails() -> None:
    finding = RULE.check(an_evaluation(), a_project(ignored=["client.test"]))

    assert finding.verdict is Verdict.FAIL
    assert finding.reason is Reason.IGNORED_DOMAIN
    assert finding.detail == ("bob@client.test matches the ignored domain client.test in project "
                              "Acme Homes.")


def test_subdomain_of_ignored_domain_fails() -> None:
    ev = an_evaluation(message=a_message(to=["bob@eu.mail.client.test"]))

    finding = RULE.check(ev, a_project(ignored=["@client.test"]))

    assert finding.verdict is Verdict.FAIL
    assert finding.reason is Reason.IGNORED_DOMAIN
    assert finding.detail == ("bob@eu.mail.client.test matches the ignored domain @client.test "
                              "in project Acme Homes.")


def test_domain_with_same_suffix_passes() -> None:
    ev = an_evaluation(message=a_message(to=["bob@myclient.test"]))

    finding = RULE.check(ev, a_project(ignored=["client.test"]))

    assert finding.verdict is Verdict.PASS
    assert finding.reason is Reason.NO_IGNORED_PARTICIPANT


def test_globally_ignored_domain_fails() -> None:
    ev = an_evaluation(snapshot=a_snapshot(global_ignored=["client.test"]))

    finding = RULE.check(ev, a_project())

    assert finding.verdict is Verdict.FAIL
    assert finding.reason is Reason.IGNORED_DOMAIN
    assert finding.detail == ("bob@client.test matches the ignored domain client.test in project "
                              "Acme Homes.")


def test_ignored_participant_of_forwarded_original_fails() -> None:
    original = a_message(from_="bob@client.test", to=["alice@acme.test"],
                         cc=["lawyer@firm.test"])
    ev = an_evaluation(message=a_message(to=[ACME_BCC], original=original))

    finding = RULE.check(ev, a_project(ignored=["firm.test"]))

    assert finding.verdict is Verdict.FAIL
    assert finding.reason is Reason.IGNORED_DOMAIN
    assert finding.detail == ("lawyer@firm.test matches the ignored domain firm.test in project "
                              "Acme Homes.")


def test_ignored_entry_in_capitals_fails() -> None:
    finding = RULE.check(an_evaluation(), a_project(ignored=["Bob@Client.TEST"]))

    assert finding.verdict is Verdict.FAIL
    assert finding.reason is Reason.IGNORED_ADDRESS
    assert finding.detail == "bob@client.test is an ignored address in project Acme Homes."
