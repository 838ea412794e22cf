"""Logging mode for mailbox sync: replies_only or all (SPEC §4.4). Pure."""

from __future__ import annotations

from rules.decision import Effect, Finding, Verdict
from rules.evaluation import Evaluation
from rules.facts import Channel, LoggingMode, ProjectView
from rules.reasons import Reason


class LoggingModeRule:
    """Apply the project's logging mode to synced mail (SPEC §4.4)."""

    name = "logging-mode"
    description = "Synced mail is logged per the project's mode: replies to logged mail, or all mail of users with personal email access."
    spec = "4.4"
    reasons: tuple[Reason, ...] = (
        Reason.MODE_NOT_APPLICABLE, Reason.REPLY_TO_LOGGED, Reason.NOT_A_REPLY_TO_LOGGED,
        Reason.USER_SENT_REPLIES_ONLY, Reason.PERSONAL_EMAIL_ACCESS,
        Reason.NO_PERSONAL_EMAIL_ACCESS,
    )

    def check(self, ev: Evaluation, address: str, project: ProjectView) -> Finding:
        """Skip explicit captures; apply replies_only or all to channel sync."""
        values = {"project": project.name, "user": ev.user_name}
        if ev.channel is not Channel.SYNC:
            return self._make(Verdict.SKIP, Reason.MODE_NOT_APPLICABLE, project, address,
                              channel=str(ev.channel), **values)
        if project.logging_mode is LoggingMode.ALL:
            if ev.user is not None and ev.user.personal_email_access:
                return self._make(Verdict.PASS, Reason.PERSONAL_EMAIL_ACCESS, project, address,
                                  **values)
            return self._make(Verdict.FAIL, Reason.NO_PERSONAL_EMAIL_ACCESS, project, address,
                              **values)
        if ev.is_user_sent:
            return self._make(Verdict.FAIL, Reason.USER_SENT_REPLIES_ONLY, project, address,
                              **values)
        logged = project.thread_for(ev.logged.message_id).logged_message_ids
        if set(ev.logged.thread_ids) & logged:
            return self._make(Verdict.PASS, Reason.REPLY_TO_LOGGED, project, address, **values)
        return self._make(Verdict.FAIL, Reason.NOT_A_REPLY_TO_LOGGED, project, address, **values)

    def _make(self, verdict: Verdict, reason: Reason, target: ProjectView, address: str,
              **values: str) -> Finding:
        effect = Effect.NOT_LOGGED if verdict is Verdict.FAIL else Effect.NONE
        return Finding.make(self.name, verdict, reason, effect=effect, address=address,
                            project_id=target.id, **values)
