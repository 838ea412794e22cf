"""sender-authenticated: which reason a quarantined BCC gets, from the verification facts."""

from __future__ import annotations

from typing import Any

import pytest

from rules import (
    Capture,
    Channel,
    DirectorySnapshot,
    Finding,
    MessageFacts,
    ProjectView,
    Reason,
    SenderAuthFacts,
    SenderAuthMode,
    Verdict,
)
from rules.evaluation import Evaluation
from rules.sender_authenticated import SenderAuthenticated
from tests.unit.rules.builders import DKIM_PASS

RULE = SenderAuthenticated()
VERIFIED: dict[str, Any] = {"from_domain": "acme.test", "spf_result": "none", "spf_domain": "acme.test"}


def check(auth: SenderAuthFacts, mode: SenderAuthMode = SenderAuthMode.ALIGNED) -> Finding:
    message = MessageFacts(message_id="<m@acme.test>", from_=("alice@acme.test",))
    capture = Capture(channel=Channel.BCC, project_ids=("p1",), sender_auth=auth)
    ev = Evaluation(message, capture, DirectorySnapshot(), Channel.BCC, message, None, ("p1",))
    return RULE.check(ev, ProjectView(id="p1", name="Acme Homes", sender_auth=mode))


@pytest.mark.parametrize(("facts", "mode", "reason"), [
    ({"dkim_failures": ("acme.test: body hash mismatch",)}, SenderAuthMode.ALIGNED,
     Reason.SENDER_DKIM_INVALID),
    ({"dkim_failures": ("acme.test: body hash mismatch",), "dkim_pass_domains": ("evil.test",)},
     SenderAuthMode.ALIGNED, Reason.SENDER_DKIM_INVALID),
    ({"dkim_pass_domains": ("evil.test",)}, SenderAuthMode.ALIGNED,
     Reason.SENDER_DKIM_NOT_ALIGNED),
    ({"spf_result": "pass", "spf_domain": "evil.test"}, SenderAuthMode.ALIGNED,
     Reason.SENDER_SPF_NOT_ALIGNED),
    ({}, SenderAuthMode.ALIGNED, Reason.SENDER_NO_SIGNATURE),
    ({"spf_result": "fail"}, SenderAuthMode.ALIGNED, Reason.SENDER_NO_SIGNATURE),
    ({"spf_aligned": True, "spf_result": "pass"}, SenderAuthMode.DKIM,
     Reason.SENDER_DKIM_REQUIRED),
    ({"dkim_failures": ("acme.test: signature or key did not verify",)}, SenderAuthMode.DKIM,
     Reason.SENDER_DKIM_INVALID),
    ({"dkim_pass_domains": ("evil.test",)}, SenderAuthMode.DKIM,
     Reason.SENDER_DKIM_NOT_ALIGNED),
])
def test_unproven_sender_is_quarantined_with_the_telling_reason(
        facts: dict[str, Any], mode: SenderAuthMode, reason: Reason) -> None:
    finding = check(SenderAuthFacts(**{**VERIFIED, **facts}), mode)
    assert (finding.verdict, finding.reason, str(finding.effect)) == (
        Verdict.FAIL, reason, "quarantined")
    assert "<" not in finding.detail, finding.detail


def test_facts_without_verification_keep_the_general_reason() -> None:
    finding = check(SenderAuthFacts(summary="blindcopy; none"))
    assert finding.reason is Reason.SENDER_NOT_AUTHENTICATED
    assert finding.detail == ("Neither an aligned DKIM signature nor an aligned SPF pass proves "
                              "that alice@acme.test sent this (blindcopy; none).")


def test_invalid_signature_detail_names_the_domain_and_why() -> None:
    finding = check(SenderAuthFacts(**VERIFIED, dkim_failures=("acme.test: body hash mismatch",)))
    assert finding.detail == ("A DKIM signature on the message from alice@acme.test failed to "
                              "verify (acme.test: body hash mismatch), so it may have been "
                              "changed after signing.")


def test_aligned_dkim_still_passes_when_another_signature_failed() -> None:
    finding = check(SenderAuthFacts(**VERIFIED, dkim_proof=DKIM_PASS.dkim_proof,
                                    dkim_failures=("list.test: body hash mismatch",)))
    assert (finding.verdict, finding.reason) == (Verdict.PASS, Reason.SENDER_DKIM_ALIGNED)
