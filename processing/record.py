"""Record a decision in the store: message, thread, interactions, contacts, the decision itself.

Idempotent: recording the same decision twice leaves one interaction per (project, contact,
message), with every capturing channel listed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from parsing import ParsedMessage
from processing.message_facts import to_message_record
from rules import Decision, Outcome, OutcomeStatus
from store import spool
from store.models import ReceivedMessage
from store.recording import (
    MessageRecord,
    RecordingBatch,
    StoredMessage,
    create_contact,
    mark_thread_pending,
    upsert_interaction,
    upsert_message,
)


def _record_outcome(session: Session, batch: RecordingBatch, outcome: Outcome,
                    message: StoredMessage, channel: str, now: datetime) -> dict[str, Any]:
    body = outcome.to_json()
    if outcome.status is not OutcomeStatus.LOGGED or outcome.project_id is None:
        return body
    contact_id = outcome.contact_id
    if contact_id is None:
        contact = create_contact(session, outcome.project_id, outcome.address,
                                 outcome.user_id)
        contact_id = contact.id
    interaction_id = upsert_interaction(
        session, batch, project_id=outcome.project_id, contact_id=contact_id, message=message,
        user_id=outcome.user_id, type_=outcome.interaction_type, channel=channel, now=now)
    body.update(contact_id=contact_id, interaction_id=interaction_id)
    return body


def message_record(parsed: ParsedMessage, decision: Decision,
                   storing_bodies: frozenset[str]) -> MessageRecord | None:
    """What is stored of the email the decision logs (None: quarantined, nothing stored).

    `storing_bodies`: the ids of the candidate projects that keep full bodies (the message's
    text is kept if it is logged in any of them).
    """
    if decision.is_quarantined:
        return None
    logged = parsed.forwarded if decision.logged_original and parsed.forwarded else parsed
    logged_in = {o.project_id for o in decision.outcomes
                 if o.status is OutcomeStatus.LOGGED and o.project_id}
    return to_message_record(logged, bool(logged_in & storing_bodies))


def record_decision(session: Session, received: ReceivedMessage, record: MessageRecord | None,
                    decision: Decision, now: datetime,
                    batch: RecordingBatch) -> dict[str, Any]:
    """Store the decision's effects, set the received message's status, return the body.

    `record`: the logged email (`message_record`). `batch`: what is stored already, read
    once for the messages recorded together, and the rows they add (inserted by the caller,
    `RecordingBatch.insert_new`). The caller stores the
    body (`store_decisions`) once the received message is settled.
    """
    body = decision.to_json()
    body["received_id"] = received.id
    if record is None:
        received.status = spool.QUARANTINED
        received.quarantine_reason = str(decision.quarantine_reason)
    else:
        message = upsert_message(session, record, batch, now)
        received.message_ref = message.id
        body["outcomes"] = [_record_outcome(session, batch, o, message, decision.channel, now)
                            for o in decision.outcomes]
        body["thread_id"] = message.thread_id
        pending = sorted({o.project_id for o in decision.outcomes
                          if o.status is OutcomeStatus.PENDING and o.project_id})
        if pending:
            mark_thread_pending(session, batch, message, pending)
        received.status = spool.DONE
    received.message_id = decision.message_id
    received.processed_at = now
    body["status"] = received.status
    return body
