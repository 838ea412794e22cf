"""Notices (SPEC §14): tell a member whose BCC or forward logged nothing, or ended pending.

`add_notices` runs inside the transaction that records the decisions (processing/record.py),
so a notice exists exactly when its decision was recorded; the workers send it later
(processing/notice_sender.py). Only for a sender the message proved (an aligned DKIM
signature, an aligned SPF pass or a trusted relay) who is a member of the project: a forged
From gets nothing (no backscatter), nor does a message the admins released or a project
that trusts the From header. Never in answer to auto-generated mail (RFC 3834). At most one
per captured message: the outbox's received message id is unique.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from processing.judging import Job
from rules import CaptureLevel, Channel, Decision, OutcomeStatus, Reason, Verdict
from store.models import Notice, User, new_id, table_of

# What proves the sender of a BCC or forward (a release or sender_auth none does not).
PROVED = frozenset({Reason.SENDER_DKIM_ALIGNED, Reason.SENDER_SPF_ALIGNED,
                    Reason.SENDER_TRUSTED_RELAY})
_NOTICES = table_of(Notice)


@dataclass(frozen=True, slots=True)
class NoticeText:
    """A notice as the user reads it."""

    subject: str
    body: str


def deserves_notice(decision: Decision) -> bool:
    """Tell whether a proved member's BCC or forward logged nothing or ended pending."""
    if decision.channel not in (Channel.BCC, Channel.FORWARD) or decision.user_id is None:
        return False
    if decision.is_quarantined:
        return False
    trace = decision.trace
    proved = any(f.rule == "sender-authenticated" and f.verdict is Verdict.PASS
                 and f.reason in PROVED for f in trace)
    member = any(f.rule == "member-of-project" and f.verdict is Verdict.PASS for f in trace)
    automatic = any(f.rule == "auto-generated" and f.verdict is Verdict.FAIL for f in trace)
    logged = any(o.status is OutcomeStatus.LOGGED for o in decision.outcomes)
    return proved and member and not automatic and (not logged or decision.is_pending)


def compose(decision: Decision, body: dict[str, Any], subject: str, user_name: str,
            console_url: str) -> NoticeText:
    """Write the notice: each address's outcome and reason sentence, and where to act."""
    shown = subject.strip() or "(no subject)"
    received_id = body["received_id"]
    lines = [f"Hello {user_name},", ""]
    if decision.is_pending:
        lines.append(f'Your email "{shown}" waits for you to choose its project:')
        title = f"Choose a project: {shown}"
    else:
        lines.append(f'Your email "{shown}" was not logged on any contact:')
        title = f"Not logged: {shown}"
    lines.append("")
    # One line per sentence: an address pending between two projects says it once.
    lines += dict.fromkeys(f"- {o.address}: {_said(o.status)}. {o.detail}"
                           for o in decision.outcomes)
    if not decision.outcomes:
        stops = [f.detail for f in decision.trace if f.verdict is Verdict.FAIL]
        lines += [f"- {detail}" for detail in stops[:1] or ["Nothing on it could be logged."]]
    lines.append("")
    if decision.is_pending:
        lines.append(f"Choose the project of the thread: {console_url}/console/pending")
    if any(o.reason is Reason.NO_CONTACT for o in decision.outcomes):
        lines.append(f"Match an address to a contact: {console_url}/console/unmatched")
    lines += [f"Every rule and what it concluded: {console_url}/console/messages/{received_id}",
              "", "This notice is sent once per email. To stop them, turn off notices "
              "(PATCH /v1/users/{id} with notices false)."]
    return NoticeText(title[:200], "\n".join(lines) + "\n")


def _said(status: OutcomeStatus) -> str:
    return {OutcomeStatus.LOGGED: "logged", OutcomeStatus.PENDING: "pending",
            OutcomeStatus.NOT_LOGGED: "not logged"}[status]


def _keeps_subject(job: Job) -> bool:
    """Tell whether a project of the capture keeps subjects: a notice is stored too, so at
    capture level `metadata` in all of them it does not name the subject (SPEC §13)."""
    if job.snapshot is None:
        return False
    levels = {project.capture_level for project in job.snapshot.directory.projects}
    return not levels or levels != {CaptureLevel.METADATA}


def add_notices(session: Session, jobs: list[Job], bodies: list[dict[str, Any]],
                console_url: str) -> None:
    """Write a notice for each job that deserves one (none twice for one message)."""
    wanted = [(job, body) for job, body in zip(jobs, bodies, strict=True)
              if job.decision is not None and deserves_notice(job.decision)]
    rows = []
    for job, body in wanted:
        assert job.decision is not None and job.decision.user_id is not None
        user = session.get(User, job.decision.user_id)
        if user is None or not user.notices:
            continue
        subject = job.parsed.subject if job.parsed and _keeps_subject(job) else ""
        text = compose(job.decision, body, subject, user.name, console_url)
        rows.append({"id": new_id(), "received_message_id": job.received.id,
                     "user_id": user.id, "to_address": user.email, "subject": text.subject,
                     "body": text.body, "in_reply_to": job.decision.message_id[:998],
                     "status": "pending", "attempts": 0,
                     "next_attempt_at": job.received.processed_at,
                     "created_at": job.received.processed_at})
    if not rows:
        return
    db = session.connection()
    insert = postgresql_insert if db.dialect.name == "postgresql" else sqlite_insert
    # A message recorded again (an assignment, a replay) keeps the notice it had.
    statement = insert(_NOTICES).on_conflict_do_nothing(index_elements=["received_message_id"])
    db.execute(statement, rows)
