"""A user logs an address no contact matched on a contact they choose (SPEC §12). Pure.

Not run by `decide()`: it is applied on a user's request (POST /v1/messages/{id}/match)
after the decision was recorded, and its finding is appended to that decision's trace.
"""

from __future__ import annotations

from dataclasses import dataclass

from rules.decision import Effect, Finding, OutcomeStatus, Verdict
from rules.reasons import Reason


@dataclass(frozen=True, slots=True)
class MatchRequest:
    """One address of a decided message, where it ended up, and the contact a user chose."""

    address: str
    project_id: str
    project_name: str
    # The stored outcome of the address in that project.
    status: str
    reason: str
    contact_name: str
    created: bool
    user_name: str


class ManualMatch:
    """Log an address that is not a contact on the contact a user matched it to (SPEC §12)."""

    name = "manual-match"
    description = ("A user matched an address that is not a contact in the project (an outcome "
                   "`no_contact`) to an existing or new contact there; applied on request after "
                   "the decision, never by the rules' own run.")
    spec = "12"
    reasons: tuple[Reason, ...] = (
        Reason.MANUAL_MATCH, Reason.MANUAL_MATCH_CREATED, Reason.ADDRESS_NOT_UNMATCHED,
    )

    def check(self, request: MatchRequest) -> Finding:
        """Pass when the address was not logged for want of a contact; else fail."""
        if (request.status != OutcomeStatus.NOT_LOGGED
                or request.reason != Reason.NO_CONTACT):
            return Finding.make(self.name, Verdict.FAIL, Reason.ADDRESS_NOT_UNMATCHED,
                                effect=Effect.NONE, address=request.address,
                                project_id=request.project_id, project=request.project_name,
                                status=request.status, code=request.reason)
        reason = Reason.MANUAL_MATCH_CREATED if request.created else Reason.MANUAL_MATCH
        return Finding.make(self.name, Verdict.PASS, reason, address=request.address,
                            project_id=request.project_id, project=request.project_name,
                            user=request.user_name, contact=request.contact_name)
