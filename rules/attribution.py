"""Which user an interaction is credited to (SPEC §4.5). Pure."""

from __future__ import annotations

from rules.decision import Finding, Verdict
from rules.evaluation import Credit, Evaluation
from rules.facts import Channel, ContactView, ProjectView, UserView
from rules.reasons import Reason


class Attribution:
    """Credit the sender, forwarder, caller, thread user, only recipient or contact owner (SPEC §4.5)."""

    name = "attribution"
    description = "Credit the interaction to the user who sent, forwarded or logged it, else the thread's, the only recipient's or the contact owner."
    spec = "4.5"
    reasons: tuple[Reason, ...] = (
        Reason.CREDIT_SENDER, Reason.CREDIT_FORWARDER, Reason.CREDIT_CALLER,
        Reason.CREDIT_THREAD_USER, Reason.CREDIT_ONLY_RECIPIENT,
        Reason.CREDIT_ONLY_ASSOCIATED_USER, Reason.CREDIT_CONTACT_OWNER, Reason.NO_CREDIT,
    )

    def credit(self, ev: Evaluation, project: ProjectView, contact: ContactView | None) -> Credit:
        """Return the credited user and the finding that says why."""
        if ev.channel is Channel.FORWARD and ev.user:
            return self._to(ev.user, Reason.CREDIT_FORWARDER, project)
        if ev.channel is Channel.LOG and ev.user:
            return self._to(ev.user, Reason.CREDIT_CALLER, project)
        if ev.is_user_sent:
            sender = ev.sender_user or ev.user
            if sender:
                return self._to(sender, Reason.CREDIT_SENDER, project)
        thread_user = ev.snapshot.user_by_id(
            project.thread_for(ev.logged.message_id).credited_user_id)
        if thread_user:
            return self._to(thread_user, Reason.CREDIT_THREAD_USER, project)
        return self._new_thread(ev, project, contact)

    def _new_thread(self, ev: Evaluation, project: ProjectView,
                    contact: ContactView | None) -> Credit:
        recipients = ev.logged.recipients
        users = tuple(dict.fromkeys(
            u for u in (ev.snapshot.user_by_address(a) for a in recipients) if u is not None))
        if len(recipients) == 1 and len(users) == 1:
            return self._to(users[0], Reason.CREDIT_ONLY_RECIPIENT, project)
        if len(users) == 1:
            return self._to(users[0], Reason.CREDIT_ONLY_ASSOCIATED_USER, project)
        owner = ev.snapshot.user_by_id(contact.owner_id) if contact else None
        if owner and contact:
            return self._to(owner, Reason.CREDIT_CONTACT_OWNER, project,
                            contact=contact.name or contact.id)
        return Credit(None, Finding.make(self.name, Verdict.SKIP, Reason.NO_CREDIT,
                                         project_id=project.id))

    def _to(self, user: UserView, reason: Reason, project: ProjectView,
            contact: str = "") -> Credit:
        return Credit(user.id, Finding.make(self.name, Verdict.PASS, reason,
                                            project_id=project.id, user=user.name,
                                            contact=contact))
