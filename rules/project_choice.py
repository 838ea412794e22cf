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

    def choose(self, ev: Evaluation, address: str,
               matched: tuple[ProjectView, ...]) -> tuple[Finding, ...]:
        """Return one finding per matched project for this address."""
        thread = ev.snapshot.thread
        if thread.status == "assigned":
            return tuple(self._assigned(address, p, thread.assigned_project_ids) for p in matched)
        if len(ev.candidate_project_ids) == 1 or len(matched) == 1:
            reason = (Reason.SINGLE_PROJECT if len(ev.candidate_project_ids) == 1
                      else Reason.ONLY_PROJECT_WITH_CONTACT)
            return tuple(Finding.make(self.name, Verdict.PASS, reason, address=address,
                                      project_id=p.id, project=p.name) for p in matched)
        names = ", ".join(p.name for p in matched)
        return tuple(Finding.make(self.name, Verdict.FAIL, Reason.AMBIGUOUS_PROJECTS,
                                  effect=Effect.PENDING, address=address, project_id=p.id,
                                  projects=names) for p in matched)

    def _assigned(self, address: str, project: ProjectView,
                  assigned: tuple[str, ...]) -> Finding:
        if project.id in assigned:
            return Finding.make(self.name, Verdict.PASS, Reason.THREAD_ASSIGNED_HERE,
                                address=address, project_id=project.id, project=project.name)
        return Finding.make(self.name, Verdict.FAIL, Reason.THREAD_ASSIGNED_ELSEWHERE,
                            effect=Effect.NOT_LOGGED, address=address, project_id=project.id,
                            project=project.name)
