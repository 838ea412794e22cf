"""Which email this is in each project: new, the same again, or a reused Message-ID (SPEC §9). Pure."""

from __future__ import annotations

from rules.decision import Finding, Verdict
from rules.evaluation import Evaluation
from rules.facts import ProjectView
from rules.reasons import Reason


class MessageIdentity:
    """Tell an email captured again from another email reusing its Message-ID (SPEC §9).

    It never stops a message: a reused Message-ID is a different email, stored on its own
    and never merged into the earlier one's interaction; the decision carries a warning.
    """

    name = "message-identity"
    description = "An email is its Message-ID and its fingerprint: the same again adds a channel; another email reusing the Message-ID is kept apart, with a warning."
    spec = "9"
    reasons: tuple[Reason, ...] = (
        Reason.NEW_EMAIL, Reason.SAME_EMAIL_AGAIN, Reason.MESSAGE_ID_REUSED,
    )
    per_project = True

    def check(self, ev: Evaluation, project: ProjectView | None) -> Finding:
        """Compare the logged email's fingerprint with those the project holds for its id."""
        assert project is not None
        stored = project.thread_for(ev.logged.message_id).stored_fingerprints
        if not stored:
            reason = Reason.NEW_EMAIL
        elif ev.logged.fingerprint in stored or "" in stored:
            reason = Reason.SAME_EMAIL_AGAIN
        else:
            reason = Reason.MESSAGE_ID_REUSED
        return Finding.make(self.name, Verdict.PASS, reason, project_id=project.id,
                            project=project.name, message_id=ev.logged.message_id)
