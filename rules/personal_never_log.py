"""A user's personal never-log list: their captures never log those addresses (SPEC §13). Pure."""

from __future__ import annotations

from rules.decision import Effect, Finding, Verdict
from rules.evaluation import Evaluation
from rules.facts import ProjectView
from rules.reasons import Reason


class PersonalNeverLog:
    """Do not log an address on the capturing user's personal never-log list (SPEC §13)."""

    name = "personal-never-log"
    description = "The address is not on the capturing user's personal never-log list."
    spec = "13"
    reasons: tuple[Reason, ...] = (Reason.NOT_PERSONAL_NEVER_LOG, Reason.PERSONAL_NEVER_LOG)

    def check(self, ev: Evaluation, address: str, project: ProjectView) -> Finding:
        """Fail when the capturing user listed the address as never to be logged."""
        if ev.user is not None and ev.snapshot.is_personal_never_log(ev.user.id, address):
            return Finding.make(self.name, Verdict.FAIL, Reason.PERSONAL_NEVER_LOG,
                                effect=Effect.NOT_LOGGED, address=address,
                                project_id=project.id, user=ev.user_name)
        return Finding.make(self.name, Verdict.PASS, Reason.NOT_PERSONAL_NEVER_LOG,
                            address=address, project_id=project.id, user=ev.user_name)
