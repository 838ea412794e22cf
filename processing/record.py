"""Record judged messages: what their decisions log, their end states and the decisions.

A claim's messages are recorded in one write transaction (on SQLite every write waits for
the one write lock: taken once per claim). Idempotent: recording the same email twice
leaves one interaction per (project, contact, message), with every capturing channel.
"""

from __future__ import annotations

import functools
import logging
import time
from typing import Any, cast

from sqlalchemy import BindParameter, bindparam, update
from sqlalchemy.orm import Session

from processing.context import ProcessingContext
from processing.errors import ClaimLost
from processing.judging import Job
from processing.message_facts import to_email_record
from processing.notices import add_notices
from rules import CaptureLevel, Decision, Outcome, OutcomeStatus, Reason
from store import spool
from store.database import Store, is_store_outage
from store.events import EventType, emit_many, message_events
from store.recording import EmailRecord, Recording, StoredMessage, store_decisions, tell_reused
from store.tombstones import scrubber

log = logging.getLogger("blindcopy.worker")
_RECORDED = (OutcomeStatus.LOGGED, OutcomeStatus.PENDING)


def record(store: Store, jobs: list[Job], ctx: ProcessingContext) -> None:
    """Record judged jobs in one write transaction; set each job's body, or its error.

    If the store refuses the transaction for one message's data (or one was claimed again
    meanwhile, ClaimLost), each job is recorded in a transaction of its own, so only the
    message at fault fails; a store outage fails them all.
    """
    if not jobs:
        return
    started = time.perf_counter()
    try:
        with store.write() as session:
            bodies = _record(session, jobs, ctx)
    except Exception as error:  # noqa: BLE001 - kept on the jobs, or retried one by one
        if len(jobs) > 1 and not is_store_outage(error):
            log.warning("recording batch refused; recording its messages one by one",
                        extra={"messages": len(jobs)})
            for job in jobs:
                record(store, [job], ctx)
            return
        for job in jobs:
            job.error = error
        return
    share = (time.perf_counter() - started) / len(jobs)
    for job, body in zip(jobs, bodies, strict=True):
        job.body = body
        ctx.metrics.observe_stage("record", share)
        ctx.metrics.count_processed(body["status"], job.received.received_at,
                                    job.received.processed_at)


def _record(session: Session, jobs: list[Job], ctx: ProcessingContext) -> list[dict[str, Any]]:
    recording = Recording(ctx.now(), ctx.max_attachment_bytes)
    bodies = [_record_decision(recording, job) for job in jobs]
    interaction_ids = recording.write(session)
    for body in bodies:
        for outcome in body["outcomes"]:
            if outcome.get("interaction_id"):
                outcome["interaction_id"] = interaction_ids[outcome["interaction_id"]]
    _settle(session, jobs)
    spool.drop_raws(session, [job.received.id for job in jobs if _raw_goes(job)])
    emit_many(session, message_events(session, EventType.MESSAGE_QUARANTINED, [
        job.received for job in jobs if job.decision is not None and job.decision.is_quarantined]))
    store_decisions(session, [(job.received.id, job.decision.rules_version, body)
                              for job, body in zip(jobs, bodies, strict=True)
                              if job.decision is not None])
    tell_reused(session, recording.reused, str(Reason.MESSAGE_ID_REUSED))
    if ctx.notice_console_url is not None:
        add_notices(session, jobs, bodies, ctx.notice_console_url)
    return bodies


def _raw_goes(job: Job) -> bool:
    """Tell whether the message's raw bytes are deleted now that it is processed (SPEC §13).

    They are kept while they may be processed again (quarantined, pending an assignment),
    and then only when a candidate project captures `full` and no participant was erased.
    """
    decision, snapshot = job.decision, job.snapshot
    assert decision is not None and snapshot is not None
    if decision.is_quarantined or decision.is_pending:
        return False
    if snapshot.erased_tokens:
        return True
    levels = {project.capture_level for project in snapshot.directory.projects}
    return bool(levels) and CaptureLevel.FULL not in levels


def _logged_email(job: Job, decision: Decision) -> EmailRecord:
    """What is stored of the email the decision logs: the original, for a forward."""
    parsed, facts = job.parsed, job.facts
    assert parsed is not None and facts is not None
    if decision.logged_original and parsed.forwarded and facts.original:
        return to_email_record(parsed.forwarded, facts.original,
                               original_verified=bool(decision.original_verified))
    return to_email_record(parsed, facts)


def _record_decision(recording: Recording, job: Job) -> dict[str, Any]:
    """Add what the job's decision logs to the recording; return the decision's body,
    where an erased participant stands as its keyed hash (SPEC §13)."""
    assert job.snapshot is not None
    body = _decision_body(recording, job)
    scrub = scrubber(dict(job.snapshot.erased_tokens))
    return cast(dict[str, Any], scrub(body))


def _decision_body(recording: Recording, job: Job) -> dict[str, Any]:
    decision, received = job.decision, job.received
    assert decision is not None and job.snapshot is not None
    body = decision.to_json()
    body["received_id"] = received.id
    received.message_id = decision.message_id
    received.processed_at = recording.now
    received.lease_until = None
    # A released message is not verified again: keep the verdict it was quarantined with.
    if job.authentication_results:
        received.authentication_results = job.authentication_results
    if decision.is_quarantined:
        received.status = spool.QUARANTINED
        received.quarantine_reason = str(decision.quarantine_reason)
        body["status"] = received.status
        return body
    email = _logged_email(job, decision)
    messages = {project_id: _message_in(recording, job, project_id, email)
                for project_id in sorted({o.project_id for o in decision.outcomes
                                          if o.status in _RECORDED and o.project_id})}
    body["outcomes"] = [_record_outcome(recording, o, messages, decision.channel)
                        for o in decision.outcomes]
    body["thread_id"] = next((m.thread_id for m in messages.values()), None)
    pending = sorted(o.project_id for o in decision.outcomes
                     if o.status is OutcomeStatus.PENDING and o.project_id)
    for project_id in dict.fromkeys(pending):
        recording.mark_pending(messages[project_id].thread_id, pending, received.id)
    received.status = spool.DONE
    body["status"] = received.status
    return body


def _message_in(recording: Recording, job: Job, project_id: str,
                email: EmailRecord) -> StoredMessage:
    """The project's message for the email: only what its capture level keeps, and no
    erased participant (SPEC §13)."""
    assert job.snapshot is not None
    project = job.snapshot.directory.project(project_id)
    assert project is not None
    kept = email.kept_at(project.capture_level).with_stand_ins(
        dict(job.snapshot.erased_tokens))
    return recording.message(
        project_id, kept, job.snapshot.stored_for(project_id, email.message_id),
        project.thread_for(email.message_id).id, job.received.id, project.store_bodies)


def _record_outcome(recording: Recording, outcome: Outcome,
                    messages: dict[str, StoredMessage], channel: str) -> dict[str, Any]:
    body = outcome.to_json()
    if outcome.project_id is None or outcome.project_id not in messages:
        return body
    message = messages[outcome.project_id]
    body["thread_id"] = message.thread_id
    if outcome.status is not OutcomeStatus.LOGGED:
        return body
    contact_id = outcome.contact_id or recording.contact(outcome.project_id, outcome.address,
                                                        outcome.user_id)
    interaction_id = recording.interaction(outcome.project_id, contact_id, message,
                                           outcome.user_id, outcome.interaction_type, channel)
    recording.file_under(interaction_id, outcome.project_id, outcome.company_ids,
                         outcome.deal_ids)
    body.update(contact_id=contact_id, interaction_id=interaction_id)
    return body


# What processing settles on the received message, written in one guarded UPDATE.
SETTLED_COLUMNS = ("status", "quarantine_reason", "message_id", "processed_at",
                   "authentication_results", "lease_until")


@functools.cache
def _settle_statement(guarded: bool) -> Any:
    """Return the settling UPDATE (built once), guarded by the claim or by the id alone."""
    received_id: BindParameter[str] = bindparam("received_id")
    condition = (spool.held_by_claim(received_id, bindparam("attempt")) if guarded
                 else spool.RECEIVED.c.id == received_id)
    return (update(spool.RECEIVED).where(condition)
            .values({name: bindparam(f"new_{name}") for name in SETTLED_COLUMNS}))


def _settle(session: Session, jobs: list[Job]) -> None:
    """Write the messages' end states, or raise ClaimLost (rolling back) if one was re-claimed.

    With a job's `attempt` the UPDATE matches only while the message is still in the claim
    that made that attempt, so a worker whose lease ran out and was taken over records
    nothing. A capture the API holds (not stored yet) is inserted in its end state.
    """
    by_guard: dict[bool, list[dict[str, Any]]] = {}
    for job in jobs:
        if not job.stored:
            spool.insert_settled(session, job.received)
            continue
        by_guard.setdefault(job.attempt is not None, []).append({
            **{f"new_{name}": getattr(job.received, name) for name in SETTLED_COLUMNS},
            "received_id": job.received.id, "attempt": job.attempt})
    for guarded, rows in by_guard.items():
        matched = session.connection().execute(_settle_statement(guarded), rows).rowcount
        if matched != len(rows):
            raise ClaimLost(_lost(rows) if guarded else "a received message is gone")


def _lost(rows: list[dict[str, Any]]) -> str:
    ids = ", ".join(f"{row['received_id']} (attempt {row['attempt']})" for row in rows)
    return f"a message of {ids} was claimed again after that attempt"
