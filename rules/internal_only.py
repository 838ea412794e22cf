"""Internal-only mail is not logged (SPEC §4.2.5). Pure."""

from __future__ import annotations

from rules.decision import Effect, Finding, Verdict
from rules.evaluation import Evaluation
from rules.facts import ProjectView
from rules.reasons import Reason


class InternalOnly:
    """Do not log mail whose every participant is a user or a project address (SPEC §4.2.5)."""

    name = "internal-only"
    description = "At least one participant is neither a user nor a project address."
    spec = "4.2.5"
    reasons: tuple[Reason, ...] = (
        Reason.HAS_EXTERNAL_PARTICIPANT, Reason.INTERNAL_ONLY,
    )
    per_project = False

    def check(self, ev: Evaluation, project: ProjectView | None) -> Finding:
        """Pass on the first external participant of the logged message."""
        for address in ev.logged.participants:
            if not ev.snapshot.is_user_or_project_address(address):
                return Finding.make(self.name, Verdict.PASS, Reason.HAS_EXTERNAL_PARTICIPANT,
                                    address=address)
        return Finding.make(self.name, Verdict.FAIL, Reason.INTERNAL_ONLY,
                            effect=Effect.NOT_LOGGED)
