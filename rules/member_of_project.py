"""The capturing user must be a member of the candidate project (SPEC §4.2.1). Pure."""

from __future__ import annotations

from rules.decision import Effect, Finding, Verdict
from rules.evaluation import Evaluation
from rules.facts import Channel, ProjectView
from rules.reasons import Reason


class MemberOfProject:
    """Log only what a member of the project captured (SPEC §4.2.1)."""

    name = "member-of-project"
    description = "The capturing user is a member of the candidate project."
    spec = "4.2.1"
    reasons: tuple[Reason, ...] = (
        Reason.USER_IS_MEMBER, Reason.SENDER_NOT_A_USER, Reason.USER_NOT_MEMBER,
    )
    per_project = True

    def check(self, ev: Evaluation, project: ProjectView | None) -> Finding:
        """Pass when the capturing user is a member of `project`."""
        assert project is not None
        if ev.user is None:
            address = ev.message.author if ev.channel in (Channel.BCC, Channel.FORWARD) else ""
            return Finding.make(self.name, Verdict.FAIL, Reason.SENDER_NOT_A_USER,
                                effect=Effect.NOT_LOGGED, address=address or "the caller",
                                project_id=project.id, project=project.name)
        verdict, reason = ((Verdict.PASS, Reason.USER_IS_MEMBER)
                           if ev.user.id in project.member_ids
                           else (Verdict.FAIL, Reason.USER_NOT_MEMBER))
        effect = Effect.NONE if verdict is Verdict.PASS else Effect.NOT_LOGGED
        return Finding.make(self.name, verdict, reason, effect=effect, project_id=project.id,
                            user=ev.user.name, project=project.name)
