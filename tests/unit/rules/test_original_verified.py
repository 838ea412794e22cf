"""original-verified (SPEC §9): a logged forwarded original says whether its own DKIM proves it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rules.decision import Effect, Verdict
from rules.evaluation import Evaluation
from rules.facts import Channel, OriginalAuthFacts, OriginalProof
from rules.original_verified import OriginalVerified
from rules.reasons import Reason
from tests.unit.rules.builders import (
    ACME_FWD,
    DKIM_PASS,
    a_capture,
    a_contact,
    a_message,
    a_snapshot,
    an_evaluation,
    decide_now,
    findings,
)

RULE = OriginalVerified()
ORIGINAL = a_message(from_="carol@client.test", to=["alice@acme.test"],
                     message_id="<original@client.test>")
FORWARD = a_message(to=[ACME_FWD], original=ORIGINAL)
FORWARDED_BY_ALICE = "it is logged as Alice forwarded it."


def forwarded(original: OriginalAuthFacts | None) -> Evaluation:
    """Return Alice's forward to Acme's forwarding address, with the original's verdict."""
    capture = a_capture(Channel.FORWARD, envelope_recipients=[ACME_FWD],
                        sender_auth=replace(DKIM_PASS, original=original))
    return an_evaluation(FORWARD, capture)


def test_an_original_proved_by_its_own_signature_is_verified() -> None:
    verified, finding = RULE.judge(forwarded(OriginalAuthFacts(
        OriginalProof.VERIFIED, "client.test", "client.test")))

    assert verified is True
    assert finding is not None
    assert (finding.verdict, finding.reason, finding.effect) == (
        Verdict.PASS, Reason.ORIGINAL_VERIFIED, Effect.NONE)
    assert finding.detail == (
        "The forwarded original from carol@client.test is attached with its own DKIM signature "
        "of client.test, which verifies, aligns with its From and signs every field shown.")


@pytest.mark.parametrize(("facts", "reason", "detail"), [
    (OriginalAuthFacts(OriginalProof.INLINE, "client.test"), Reason.ORIGINAL_INLINE,
     ("The forwarded original from carol@client.test is quoted in the text of the forward, so "
      "it has no signature of its own; ")),
    (OriginalAuthFacts(OriginalProof.UNSIGNED, "client.test"), Reason.ORIGINAL_UNSIGNED,
     "The forwarded original from carol@client.test is attached without a DKIM signature; "),
    (OriginalAuthFacts(OriginalProof.UNCOVERED, "client.test", "client.test",
                       uncovered=("To", "Cc")), Reason.ORIGINAL_UNSIGNED_HEADER,
     ("The forwarded original from carol@client.test is signed by client.test, but not every "
      "To and Cc header field in it is signed; ")),
    (OriginalAuthFacts(OriginalProof.INVALID, "client.test",
                       failures=("client.test: body hash mismatch",)),
     Reason.ORIGINAL_DKIM_INVALID,
     ("A DKIM signature of the forwarded original from carol@client.test fails to verify "
      "(client.test: body hash mismatch); ")),
    (OriginalAuthFacts(OriginalProof.NOT_ALIGNED, "client.test", pass_domains=("esp.test",)),
     Reason.ORIGINAL_DKIM_NOT_ALIGNED,
     ("The forwarded original from carol@client.test is signed by esp.test, not by its From "
      "domain client.test; ")),
    (OriginalAuthFacts(OriginalProof.NO_SOURCE, "client.test"), Reason.ORIGINAL_NO_SOURCE,
     ("The forwarded original from carol@client.test is attached, but its bytes as sent could "
      "not be told exactly, so its signature could not be checked; ")),
    (None, Reason.ORIGINAL_NOT_CHECKED,
     ("The forwarded original from carol@client.test was not checked for a signature of its "
      "own; ")),
])
def test_an_original_not_proved_is_unverified_and_still_logged(
        facts: OriginalAuthFacts | None, reason: Reason, detail: str) -> None:
    verified, finding = RULE.judge(forwarded(facts))

    assert verified is False
    assert finding is not None
    assert (finding.verdict, finding.reason, finding.effect) == (
        Verdict.FAIL, reason, Effect.NONE)
    assert finding.detail == detail + FORWARDED_BY_ALICE


def test_a_message_logged_itself_says_nothing() -> None:
    # A BCC with other recipients logs the message itself, not the original it carries.
    ev = an_evaluation(a_message(original=ORIGINAL))

    assert RULE.judge(ev) == (None, None)


def test_the_decision_carries_original_verified_and_logs_the_original_anyway() -> None:
    snapshot = a_snapshot(contacts=[a_contact("c-carol", name="Carol",
                                              addresses=["carol@client.test"])])
    unsigned = OriginalAuthFacts(OriginalProof.UNSIGNED, "client.test")
    capture = a_capture(Channel.FORWARD, envelope_recipients=[ACME_FWD],
                        sender_auth=replace(DKIM_PASS, original=unsigned))

    decision = decide_now(FORWARD, capture, snapshot)

    assert (decision.logged_original, decision.original_verified) == (True, False)
    assert decision.to_json()["original_verified"] is False
    assert [o.status for o in decision.outcomes] == ["logged"]
    [finding] = findings(decision, "original-verified")
    assert finding.reason is Reason.ORIGINAL_UNSIGNED
    assert decide_now().to_json()["original_verified"] is None
