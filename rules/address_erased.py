"""An address erased on request is never logged or created again (SPEC §13). Pure."""

from __future__ import annotations

from rules.decision import Effect, Finding, Verdict
from rules.evaluation import Evaluation
from rules.facts import ProjectView
from rules.reasons import Reason


class AddressErased:
    """Do not log (or create a contact for) an address erased from the project (SPEC §13)."""

    name = "address-erased"
    description = "The address was not erased from the project on request (its tombstone)."
    spec = "13"
    reasons: tuple[Reason, ...] = (Reason.NOT_ERASED, Reason.ADDRESS_ERASED)

    def check(self, ev: Evaluation, address: str, project: ProjectView) -> Finding:
        """Fail when a tombstone of the address holds in the project."""
        if ev.snapshot.is_erased(address, project.id):
            return Finding.make(self.name, Verdict.FAIL, Reason.ADDRESS_ERASED,
                                effect=Effect.NOT_LOGGED, address=address,
                                project_id=project.id, project=project.name)
        return Finding.make(self.name, Verdict.PASS, Reason.NOT_ERASED, address=address,
                            project_id=project.id, project=project.name)
