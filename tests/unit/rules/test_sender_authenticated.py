"""sender-authenticated (SPEC §2, §4.2.2): a BCC or forward must be proven to come from its From."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from rules.decision import Effect, Verdict
from rules.facts import Capture, DkimProof, SenderAuthFacts, SenderAuthMode
from rules.reasons import Reason
from rules.sender_authenticated import SenderAuthenticated
from tests.unit.rules.builders import (
    RECEIVED_AT,
    REPLAY_WINDOW,
    a_capture,
    a_log_capture,
    a_mailbox,
    a_message,
    a_project,
    a_snapshot,
    a_sync_capture,
    an_evaluation,
)

RULE = SenderAuthenticated()
FRESH = RECEIVED_AT - timedelta(minutes=5)
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


# SPEC §9: a proof by DKIM alone covers only what the signature signs, and only for a while.

def dkim_only(*, uncovered: tuple[str, ...] = (), signed_at: datetime | None = FRESH,
              window: timedelta = REPLAY_WINDOW) -> Capture:
    """A BCC proved only by acme.test's aligned signature, received at RECEIVED_AT."""
    proof = DkimProof("acme.test", RECEIVED_AT, window, uncovered, signed_at)
    return a_capture(sender_auth=SenderAuthFacts(dkim_proof=proof))


def test_dkim_only_with_an_unsigned_cc_quarantines() -> None:
    ev = an_evaluation(capture=dkim_only(uncovered=("Cc",)))

    finding = RULE.check(ev, a_project())

    assert (finding.verdict, finding.effect) == (Verdict.FAIL, Effect.QUARANTINED)
    assert finding.reason is Reason.SENDER_DKIM_UNSIGNED_HEADER
    assert finding.detail == (
        "The message from alice@acme.test is proved only by the DKIM signature of acme.test, "
        "which does not sign every Cc header field in it: an unsigned field may have been "
        "added after signing.")


def test_every_unsigned_field_is_named() -> None:
    ev = an_evaluation(capture=dkim_only(uncovered=("To", "Cc", "Bcc")))

    finding = RULE.check(ev, a_project(sender_auth=SenderAuthMode.DKIM))

    assert finding.reason is Reason.SENDER_DKIM_UNSIGNED_HEADER
    assert "does not sign every To, Cc and Bcc header field in it" in finding.detail


def test_dkim_only_signed_before_the_window_quarantines_as_replayed() -> None:
    ev = an_evaluation(capture=dkim_only(signed_at=RECEIVED_AT - timedelta(days=3)))

    finding = RULE.check(ev, a_project())

    assert (finding.verdict, finding.effect) == (Verdict.FAIL, Effect.QUARANTINED)
    assert finding.reason is Reason.SENDER_DKIM_REPLAYED
    assert finding.detail == (
        "The message from alice@acme.test is proved only by DKIM, and its signature time (t=) "
        "(2026-11-22 11:59 UTC) is more than 48 hours before it was received "
        "(2026-11-25 11:59 UTC): it may be an old signed email sent again.")


def test_dkim_only_dated_before_the_window_quarantines_as_replayed() -> None:
    dated = datetime(2026, 11, 20, 9, 0, tzinfo=timezone(timedelta(hours=2)))
    ev = an_evaluation(a_message(date=dated), dkim_only())

    finding = RULE.check(ev, a_project())

    assert finding.reason is Reason.SENDER_DKIM_REPLAYED
    assert "its Date (2026-11-20 07:00 UTC) is more than 48 hours before" in finding.detail


def test_the_window_comes_with_the_facts() -> None:
    signed_at = RECEIVED_AT - timedelta(hours=7)
    short, long = (an_evaluation(capture=dkim_only(signed_at=signed_at, window=timedelta(hours=h)))
                   for h in (6, 8))

    assert RULE.check(short, a_project()).reason is Reason.SENDER_DKIM_REPLAYED
    assert "more than 6 hours before" in RULE.check(short, a_project()).detail
    assert RULE.check(long, a_project()).verdict is Verdict.PASS


def test_dkim_only_at_the_edge_of_the_window_passes() -> None:
    ev = an_evaluation(a_message(date=RECEIVED_AT - REPLAY_WINDOW),
                       dkim_only(signed_at=RECEIVED_AT - REPLAY_WINDOW))

    finding = RULE.check(ev, a_project())

    assert (finding.verdict, finding.reason) == (Verdict.PASS, Reason.SENDER_DKIM_ALIGNED)


def test_dkim_only_without_signature_time_or_date_quarantines_as_undated() -> None:
    ev = an_evaluation(a_message(date=None), dkim_only(signed_at=None))

    finding = RULE.check(ev, a_project())

    assert (finding.verdict, finding.effect) == (Verdict.FAIL, Effect.QUARANTINED)
    assert finding.reason is Reason.SENDER_DKIM_UNDATED
    assert finding.detail == (
        "The message from alice@acme.test is proved only by DKIM and has neither a signature "
        "time (t=) nor a readable Date, so nothing shows it was sent within 48 hours of being "
        "received (2026-11-25 11:59 UTC): it may be an old signed email sent again.")


def test_an_unsigned_field_is_named_before_the_age() -> None:
    ev = an_evaluation(capture=dkim_only(uncovered=("To",), signed_at=None))

    assert RULE.check(ev, a_project()).reason is Reason.SENDER_DKIM_UNSIGNED_HEADER


@pytest.mark.parametrize(("facts", "mode", "reason"), [
    ({"spf_aligned": True}, SenderAuthMode.ALIGNED, Reason.SENDER_DKIM_ALIGNED),
    ({"spf_aligned": True}, SenderAuthMode.DKIM, Reason.SENDER_DKIM_ALIGNED),
    ({"trusted_relay": True}, SenderAuthMode.DKIM, Reason.SENDER_TRUSTED_RELAY),
    ({"released": True}, SenderAuthMode.ALIGNED, Reason.SENDER_RELEASED),
])
def test_a_proof_besides_dkim_is_not_held_to_coverage_or_age(
        facts: dict[str, Any], mode: SenderAuthMode, reason: Reason) -> None:
    doubtful = dkim_only(uncovered=("Cc",), signed_at=RECEIVED_AT - timedelta(days=30))
    assert doubtful.sender_auth is not None
    capture = replace(doubtful, sender_auth=replace(doubtful.sender_auth, **facts))

    finding = RULE.check(an_evaluation(capture=capture), a_project(sender_auth=mode))

    assert (finding.verdict, finding.reason) == (Verdict.PASS, reason)
