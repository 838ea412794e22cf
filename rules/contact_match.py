"""An address is logged only on a matching contact, or one to create (SPEC §4.3). Pure."""

from __future__ import annotations

from rules.decision import Effect, Finding, Verdict
from rules.evaluation import Evaluation
from rules.facts import Channel, CreateContacts, ProjectView
from rules.reasons import Reason

_CREATING_CHANNELS = frozenset({Channel.BCC, Channel.FORWARD, Channel.LOG})


class ContactMatch:
    """Match the address to the project's contacts, case-insensitively (SPEC §4.3)."""

    name = "contact-match"
    description = "The address equals an address of a contact in the project (or create_contacts allows creating one)."
    spec = "4.3"
    reasons: tuple[Reason, ...] = (
        Reason.CONTACT_MATCHED, Reason.CONTACT_TO_CREATE, Reason.NO_CONTACT,
    )

    def check(self, ev: Evaluation, address: str, project: ProjectView) -> Finding:
        """Pass with the matched contacts, or with a contact to create; else fail."""
        contacts = ev.snapshot.contacts_for(address, project.id)
        if contacts:
            names = ", ".join(c.name or c.id for c in contacts)
            return Finding.make(self.name, Verdict.PASS, Reason.CONTACT_MATCHED, address=address,
                                project_id=project.id, project=project.name, contact=names)
        if self._may_create(ev, project):
            return Finding.make(self.name, Verdict.PASS, Reason.CONTACT_TO_CREATE,
                                address=address, project_id=project.id, project=project.name)
        return Finding.make(self.name, Verdict.FAIL, Reason.NO_CONTACT, effect=Effect.NOT_LOGGED,
                            address=address, project_id=project.id, project=project.name)

    @staticmethod
    def _may_create(ev: Evaluation, project: ProjectView) -> bool:
        return (project.create_contacts is CreateContacts.RECIPIENTS
                and ev.channel in _CREATING_CHANNELS and ev.is_user_sent)
