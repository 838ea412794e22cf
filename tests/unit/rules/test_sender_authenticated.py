"""sender-authenticated (SPEC §2, §4.2.2): a BCC or forward must be proven to come from its From."""

from __future__ import annotations

from rules.decision import Effect, Verdict
from rules.facts import SenderAuthFacts, SenderAuthMode
from rules.reasons import Reason
from rules.sender_authenticated import SenderAuthenticated
from tests.unit.rules.builders import (
    a_capture,
    a_log_capture,
    a_mailbox,
    a_project,
    a_snapshot,
    a_sync_capture,
    an_evaluation,
)

RULE = SenderAuthenticated()
NO_PROOF = SenderAuthFacts(summary="dkim=none; spf=softfail smtp.mailfrom=acme.test")


def test_aligned_dkim_passes() -> None:
    finding = RULE.check(an_evaluation(), a_project())

    assert finding.verdict is Verdict.PASS
    assert finding.reason is Reason.SENDER_DKIM_ALIGNED
    assert finding.detail == "A DKIM signature aligned with the From domain verified."


def test_aligned_spf_under_aligned_passes() -> None:
    ev = an_evaluation(capture=a_capture(sender_auth=SenderAuthFacts(spf_aligned=True)))

    finding = RULE.check(ev, a_project())

    assert finding.verdict is Verdict.PASS
    assert finding.reason is Reason.SENDER_SPF_ALIGNED
    assert finding.detail == "SPF passed for a domain aligned with the From domain."


def test_aligned_spf_only_under_dkim_mode_quarantines() -> None:
    auth = SenderAuthFacts(spf_aligned=True, summary="spf=pass smtp.mailfrom=acme.test")
    ev = an_evaluation(capture=a_capture(sender_auth=auth))

    finding = RULE.check(ev, a_project(sender_auth=SenderAuthMode.DKIM))

    assert finding.verdict is Verdict.FAIL
    assert finding.reason is Reason.SENDER_DKIM_REQUIRED
    assert finding.detail == ("Project Acme Homes requires an aligned DKIM signature and none "
                              "verified (spf=pass smtp.mailfrom=acme.test).")
    assert finding.effect is Effect.QUARANTINED


def test_no_proof_quarantines() -> None:
    ev = an_evaluation(capture=a_capture(sender_auth=NO_PROOF))

    finding = RULE.check(ev, a_project())

    assert finding.verdict is Verdict.FAIL
    assert finding.reason is Reason.SENDER_NOT_AUTHENTICATED
    assert finding.detail == (
        "Neither an aligned DKIM signature nor an aligned SPF pass proves that alice@acme.test "
        "sent this (dkim=none; spf=softfail smtp.mailfrom=acme.test).")
    assert finding.effect is Effect.QUARANTINED
    assert finding.address == "alice@acme.test"


def test_missing_verdict_quarantines_with_no_results() -> None:
    ev = an_evaluation(capture=a_capture(sender_auth=None))

    finding = RULE.check(ev, a_project())

    assert finding.verdict is Verdict.FAIL
    assert finding.reason is Reason.SENDER_NOT_AUTHENTICATED
    assert finding.detail.endswith("proves that alice@acme.test sent this (no results).")


def test_trusted_relay_passes() -> None:
    ev = an_evaluation(capture=a_capture(sender_auth=SenderAuthFacts(trusted_relay=True)))

    finding = RULE.check(ev, a_project(sender_auth=SenderAuthMode.DKIM))

    assert finding.verdict is Verdict.PASS
    assert finding.reason is Reason.SENDER_TRUSTED_RELAY
    assert finding.detail == "The message came from a trusted relay."


def test_released_from_quarantine_passes() -> None:
    ev = an_evaluation(capture=a_capture(sender_auth=SenderAuthFacts(released=True)))

    finding = RULE.check(ev, a_project())

    assert finding.verdict is Verdict.PASS
    assert finding.reason is Reason.SENDER_RELEASED
    assert finding.detail == "An admin released the message from quarantine."


def test_project_trusting_from_header_skips() -> None:
    ev = an_evaluation(capture=a_capture(sender_auth=NO_PROOF))

    finding = RULE.check(ev, a_project(sender_auth=SenderAuthMode.NONE))

    assert finding.verdict is Verdict.SKIP
    assert finding.reason is Reason.SENDER_AUTH_NOT_REQUIRED
    assert finding.detail == "Project Acme Homes trusts the From header (sender_auth none)."


def test_log_button_skips() -> None:
    finding = RULE.check(an_evaluation(capture=a_log_capture()), a_project())

    assert finding.verdict is Verdict.SKIP
    assert finding.reason is Reason.SENDER_AUTH_NOT_APPLICABLE
    assert finding.detail == "Channel log is authenticated by the API, not by DKIM or SPF."


def test_mailbox_sync_skips() -> None:
    ev = an_evaluation(capture=a_sync_capture(), snapshot=a_snapshot(mailboxes=[a_mailbox()]))

    finding = RULE.check(ev, a_project())

    assert finding.verdict is Verdict.SKIP
    assert finding.reason is Reason.SENDER_AUTH_NOT_APPLICABLE
    assert finding.detail == "Channel sync is authenticated by the API, not by DKIM or SPF."
