"""File an interaction under the contact's open deals, per the project's setting (SPEC §12).

Pure. `deal_association`: `none` files under no deal; `open_recent` under the contact's
most recently updated open deals, at most OPEN_RECENT_LIMIT (as the common CRMs do);
`all_open` under every open deal of the contact. Won and lost deals are never filed under.
"""

from __future__ import annotations

from rules.decision import Effect, Finding, Verdict
from rules.evaluation import Association, Evaluation
from rules.facts import ContactView, DealAssociationMode, ProjectView
from rules.reasons import Reason

OPEN_RECENT_LIMIT = 5


class DealAssociation:
    """The contact's open deals, none, the five most recently updated, or all (SPEC §12)."""

    name = "deal-association"
    description = ("File the interaction under the contact's open deals as the project's "
                   "deal_association says: none, the 5 most recently updated, or all.")
    spec = "12"
    reasons: tuple[Reason, ...] = (Reason.DEAL_ASSOCIATION_OFF, Reason.DEALS_OPEN_RECENT,
                                   Reason.DEALS_ALL_OPEN, Reason.NO_OPEN_DEALS)

    def associate(self, ev: Evaluation, address: str, project: ProjectView,
                  contact: ContactView | None) -> Association:
        """Return the deals the interaction is filed under, and the finding."""
        mode = project.deal_association
        if mode is DealAssociationMode.NONE:
            return self._finding((), Verdict.SKIP, Reason.DEAL_ASSOCIATION_OFF, address,
                                 project)
        deals = ev.snapshot.open_deals_of(contact.id) if contact else ()
        contact_name = (contact.name or contact.id) if contact else address
        if not deals:
            return self._finding((), Verdict.SKIP, Reason.NO_OPEN_DEALS, address, project,
                                 contact=contact_name)
        if mode is DealAssociationMode.OPEN_RECENT:
            chosen, reason = deals[:OPEN_RECENT_LIMIT], Reason.DEALS_OPEN_RECENT
        else:
            chosen, reason = deals, Reason.DEALS_ALL_OPEN
        return self._finding(tuple(d.id for d in chosen), Verdict.PASS, reason, address,
                             project, contact=contact_name,
                             deals=", ".join(d.name for d in chosen),
                             limit=str(OPEN_RECENT_LIMIT))

    def _finding(self, ids: tuple[str, ...], verdict: Verdict, reason: Reason, address: str,
                 project: ProjectView, **values: str) -> Association:
        return Association(ids, Finding.make(self.name, verdict, reason, effect=Effect.NONE, address=address,
                                             project_id=project.id, project=project.name,
                                             **values))
