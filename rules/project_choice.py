"""Which candidate project(s) an address is logged in; ambiguity makes it pending (SPEC §4.3). Pure."""

from __future__ import annotations

from rules.decision import Effect, Finding, Verdict
from rules.evaluation import Evaluation
from rules.facts import ProjectView
from rules.reasons import Reason


class ProjectChoice:
    """Resolve several candidate projects for one address (SPEC §4.3)."""

    name = "project-choice"
    description = "Log where the address is a contact in the only candidate project, the only project of several, or the thread's assigned projects; otherwise the thread is pending."
    spec = "4.3"
    reasons: tuple[Reason, ...] = (
        Reason.SINGLE_PROJECT, Reason.ONLY_PROJECT_WITH_CONTACT, Reason.ONLY_PROJECT_LEFT,
        Reason.CONTACT_IN_OTHER_PROJECT, Reason.AMBIGUOUS_PROJECTS, Reason.AMBIGUOUS_NEW_CONTACT,
        Reason.THREAD_ASSIGNED_HERE, Reason.THREAD_ASSIGNED_ELSEWHERE,
    )

    def choose(self, ev: Evaluation, address: str,
               matched: tuple[ProjectView, ...]) -> tuple[Finding, ...]:
        """Return one finding per matched project (every per-address rule passed there)."""
        assigned = self._assignment(ev)
        if assigned is not None:
            return tuple(self._assigned(address, p, assigned) for p in matched)
        if len(ev.candidate_project_ids) == 1:
            return tuple(self._pass(Reason.SINGLE_PROJECT, address, p) for p in matched)
        # SPEC §4.3 counts the projects where the address *is* a contact; a project that
        # would only create one (create_contacts) does not make the address ambiguous.
        with_contact = tuple(p for p in matched if ev.snapshot.contacts_for(address, p.id))
        if len(with_contact) == 1:
            return tuple(self._only(ev, address, p) if p is with_contact[0]
                         else self._elsewhere(address, p, with_contact[0]) for p in matched)
        if not with_contact and len(matched) == 1:
            return (self._pass(Reason.ONLY_PROJECT_LEFT, address, matched[0]),)
        reason = Reason.AMBIGUOUS_PROJECTS if with_contact else Reason.AMBIGUOUS_NEW_CONTACT
        names = ", ".join(p.name for p in with_contact or matched)
        return tuple(Finding.make(self.name, Verdict.FAIL, reason, effect=Effect.PENDING,
                                  address=address, project_id=p.id, projects=names)
                     for p in matched)

    @staticmethod
    def _assignment(ev: Evaluation) -> tuple[str, ...] | None:
        """The projects a user assigned the conversation to, if they did (in a candidate).

        Assigning a thread pending between projects assigns its row in each of them alike.
        """
        projects = (ev.snapshot.project(pid) for pid in ev.candidate_project_ids)
        threads = (p.thread_for(ev.logged.message_id) for p in projects if p is not None)
        return next((t.assigned_project_ids for t in threads if t.status == "assigned"), None)

    def _only(self, ev: Evaluation, address: str, project: ProjectView) -> Finding:
        # The address may also be a contact in a candidate project another rule excluded.
        elsewhere = any(ev.snapshot.contacts_for(address, other)
                        for other in ev.candidate_project_ids if other != project.id)
        reason = Reason.ONLY_PROJECT_LEFT if elsewhere else Reason.ONLY_PROJECT_WITH_CONTACT
        return self._pass(reason, address, project)

    def _pass(self, reason: Reason, address: str, project: ProjectView) -> Finding:
        return Finding.make(self.name, Verdict.PASS, reason, address=address,
                            project_id=project.id, project=project.name)

    def _elsewhere(self, address: str, project: ProjectView, chosen: ProjectView) -> Finding:
        return Finding.make(self.name, Verdict.FAIL, Reason.CONTACT_IN_OTHER_PROJECT,
                            effect=Effect.NOT_LOGGED, address=address, project_id=project.id,
                            project=project.name, other=chosen.name)

    def _assigned(self, address: str, project: ProjectView,
                  assigned: tuple[str, ...]) -> Finding:
        if project.id in assigned:
            return self._pass(Reason.THREAD_ASSIGNED_HERE, address, project)
        return Finding.make(self.name, Verdict.FAIL, Reason.THREAD_ASSIGNED_ELSEWHERE,
                            effect=Effect.NOT_LOGGED, address=address, project_id=project.id,
                            project=project.name)
