"""How sure the logged original of a forward is: proved by its own signature or not (SPEC §9).

A forward is logged on its forwarder's word (the forwarder is a proved member); the original
it carries says who wrote it, and only the original's own DKIM signature, aligned with its
From and signing every shown field, proves that. The answer is `original_verified` on the
decision, explained by one finding; it changes no outcome. Pure.
"""

from __future__ import annotations

from rules.decision import Effect, Finding, Verdict
from rules.evaluation import Evaluation
from rules.facts import OriginalAuthFacts, OriginalProof
from rules.reasons import Reason, spoken_list

_REASONS = {
    OriginalProof.VERIFIED: Reason.ORIGINAL_VERIFIED,
    OriginalProof.UNCOVERED: Reason.ORIGINAL_UNSIGNED_HEADER,
    OriginalProof.INVALID: Reason.ORIGINAL_DKIM_INVALID,
    OriginalProof.NOT_ALIGNED: Reason.ORIGINAL_DKIM_NOT_ALIGNED,
    OriginalProof.UNSIGNED: Reason.ORIGINAL_UNSIGNED,
    OriginalProof.NO_SOURCE: Reason.ORIGINAL_NO_SOURCE,
    OriginalProof.INLINE: Reason.ORIGINAL_INLINE,
}


class OriginalVerified:
    """Tell whether a logged forwarded original is proved by its own DKIM signature (SPEC §9)."""

    name = "original-verified"
    description = ("A logged forwarded original is verified when it is attached with its own "
                   "DKIM signature, which verifies, aligns with its From and signs every shown "
                   "field; an inline or unverified original is logged all the same.")
    spec = "9"
    reasons: tuple[Reason, ...] = (*_REASONS.values(), Reason.ORIGINAL_NOT_CHECKED)

    def judge(self, ev: Evaluation) -> tuple[bool | None, Finding | None]:
        """Return original_verified and its finding; (None, None) when no original is logged."""
        if ev.logged is ev.message:
            return None, None
        auth = ev.capture.sender_auth.original if ev.capture.sender_auth else None
        reason = _REASONS[auth.proof] if auth else Reason.ORIGINAL_NOT_CHECKED
        verified = auth is not None and auth.verified
        # Unverified is a fail without effect: the original is logged all the same.
        return verified, Finding.make(
            self.name, Verdict.PASS if verified else Verdict.FAIL, reason, effect=Effect.NONE,
            address=ev.logged.author, user=ev.user_name, **_values(auth))


def _values(auth: OriginalAuthFacts | None) -> dict[str, str]:
    if auth is None:
        return {}
    return {"domain": auth.domain, "from_domain": auth.from_domain or "unknown",
            "domains": ", ".join(auth.pass_domains), "failure": "; ".join(auth.failures),
            "headers": spoken_list(auth.uncovered)}
