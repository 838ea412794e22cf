"""The contact side of a message: who, among the participants, could be logged (SPEC §4.3). Pure."""

from __future__ import annotations

from rules.decision import Finding, Verdict
from rules.evaluation import Evaluation
from rules.reasons import Reason


class ContactSide:
    """Pick the recipients of mail a user sent, or the sender of mail a user received (SPEC §4.3)."""

    name = "contact-side"
    description = "The contact side is every non-user, non-project participant on the other side of the user."
    spec = "4.3"
    reasons: tuple[Reason, ...] = (
        Reason.CONTACT_SIDE, Reason.NO_CONTACT_SIDE,
    )

    def select(self, ev: Evaluation) -> tuple[tuple[str, ...], tuple[Finding, ...]]:
        """Return the contact-side addresses and one finding each (or one saying none)."""
        side = ev.logged.recipients if ev.is_user_sent else ev.logged.from_[:1]
        addresses = tuple(a for a in side if not ev.snapshot.is_user_or_project_address(a))
        if not addresses:
            return (), (Finding.make(self.name, Verdict.FAIL, Reason.NO_CONTACT_SIDE),)
        return addresses, tuple(
            Finding.make(self.name, Verdict.PASS, Reason.CONTACT_SIDE, address=a)
            for a in addresses
        )
