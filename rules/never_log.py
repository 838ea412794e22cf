"""Never-log contact addresses are excluded, other participants still logged (SPEC §4.3). Pure."""

from __future__ import annotations

from rules.decision import Effect, Finding, Verdict
from rules.evaluation import Evaluation
from rules.facts import ProjectView, address_key
from rules.reasons import Reason


class NeverLog:
    """Do not log an address on the project's never-log list (SPEC §4.3)."""

    name = "never-log"
    description = "The address is not on the project's never-log list."
    spec = "4.3"
    reasons: tuple[Reason, ...] = (
        Reason.NOT_NEVER_LOG, Reason.NEVER_LOG_ADDRESS,
    )

    def check(self, ev: Evaluation, address: str, project: ProjectView) -> Finding:
        """Fail when the address is on the never-log list of the project."""
        if address_key(address) in map(address_key, project.never_log):
            return Finding.make(self.name, Verdict.FAIL, Reason.NEVER_LOG_ADDRESS,
                                effect=Effect.NOT_LOGGED, address=address,
                                project_id=project.id, project=project.name)
        return Finding.make(self.name, Verdict.PASS, Reason.NOT_NEVER_LOG, address=address,
                            project_id=project.id, project=project.name)
