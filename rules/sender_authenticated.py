"""A BCC or forward must come from its From address, per the project's sender_auth (SPEC §4.2.2). Pure."""

from __future__ import annotations

from rules.decision import Effect, Finding, Verdict
from rules.evaluation import Evaluation
from rules.facts import Channel, ProjectView, SenderAuthFacts, SenderAuthMode
from rules.reasons import Reason


class SenderAuthenticated:
    """Quarantine a BCC or forward whose sender is not proven (SPEC §2, §4.2.2)."""

    name = "sender-authenticated"
    description = "The From of a BCC or forward is proven by aligned DKIM (or SPF, under aligned), a trusted relay, or a release."
    spec = "4.2.2"
    reasons: tuple[Reason, ...] = (
        Reason.SENDER_AUTH_NOT_APPLICABLE, Reason.SENDER_AUTH_NOT_REQUIRED,
        Reason.SENDER_RELEASED, Reason.SENDER_TRUSTED_RELAY, Reason.SENDER_DKIM_ALIGNED,
        Reason.SENDER_SPF_ALIGNED, Reason.SENDER_NOT_AUTHENTICATED, Reason.SENDER_DKIM_REQUIRED,
        Reason.SENDER_DKIM_INVALID, Reason.SENDER_DKIM_NOT_ALIGNED, Reason.SENDER_SPF_NOT_ALIGNED,
        Reason.SENDER_NO_SIGNATURE,
    )
    per_project = True

    def check(self, ev: Evaluation, project: ProjectView | None) -> Finding:
        """Pass when the project's sender_auth requirement is met."""
        assert project is not None
        if ev.channel not in (Channel.BCC, Channel.FORWARD):
            return self._finding(Verdict.SKIP, Reason.SENDER_AUTH_NOT_APPLICABLE, project,
                                 channel=str(ev.channel))
        if project.sender_auth is SenderAuthMode.NONE:
            return self._finding(Verdict.SKIP, Reason.SENDER_AUTH_NOT_REQUIRED, project)
        auth = ev.capture.sender_auth or SenderAuthFacts()
        proven = self._proof(auth, project.sender_auth)
        if proven is not None:
            return self._finding(Verdict.PASS, proven, project)
        reason, values = self._failure(auth, project.sender_auth)
        return self._finding(Verdict.FAIL, reason, project, effect=Effect.QUARANTINED,
                             address=ev.message.author, auth=auth.summary or "no results",
                             **values)

    @staticmethod
    def _failure(auth: SenderAuthFacts, mode: SenderAuthMode) -> tuple[Reason, dict[str, str]]:
        """Name the most telling reason nothing proved the sender, with its values."""
        values = {"from_domain": auth.from_domain or "unknown", "spf": auth.spf_result,
                  "spf_domain": auth.spf_domain, "domains": ", ".join(auth.dkim_pass_domains),
                  "failure": "; ".join(auth.dkim_failures)}
        # A broken signature is the strongest sign of tampering, so it is named first.
        if auth.dkim_failures:
            return Reason.SENDER_DKIM_INVALID, values
        if auth.dkim_pass_domains:
            return Reason.SENDER_DKIM_NOT_ALIGNED, values
        if mode is SenderAuthMode.DKIM:
            return Reason.SENDER_DKIM_REQUIRED, values
        if not auth.spf_result:
            return Reason.SENDER_NOT_AUTHENTICATED, values
        if auth.spf_result == "pass":
            return Reason.SENDER_SPF_NOT_ALIGNED, values
        return Reason.SENDER_NO_SIGNATURE, values

    @staticmethod
    def _proof(auth: SenderAuthFacts, mode: SenderAuthMode) -> Reason | None:
        if auth.released:
            return Reason.SENDER_RELEASED
        if auth.trusted_relay:
            return Reason.SENDER_TRUSTED_RELAY
        if auth.dkim_aligned:
            return Reason.SENDER_DKIM_ALIGNED
        if auth.spf_aligned and mode is SenderAuthMode.ALIGNED:
            return Reason.SENDER_SPF_ALIGNED
        return None

    def _finding(self, verdict: Verdict, reason: Reason, project: ProjectView, *,
                 effect: Effect = Effect.NONE, address: str | None = None,
                 **values: str) -> Finding:
        return Finding.make(self.name, verdict, reason, effect=effect, address=address,
                            project_id=project.id, project=project.name, **values)
