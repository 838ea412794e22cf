"""The resources as the API shows them: one function per shape, used by the API's answers and
by the events that tell of their changes (store/events.py), so both show the same thing.

Pure functions of loaded rows; nothing here reads or writes the store.
"""

from __future__ import annotations

from typing import Any

from store.models import (
    Contact,
    Decision,
    Interaction,
    Meeting,
    Message,
    ReceivedMessage,
    Thread,
)
from store.redaction import redacted_message


def contact_json(contact: Contact) -> dict[str, Any]:
    """Return the API representation of a contact."""
    return {"id": contact.id, "external_id": contact.external_id, "name": contact.name,
            "emails": sorted(a.address for a in contact.addresses), "owner_id": contact.owner_id,
            "company_id": contact.company_id}


def meeting_json(meeting: Meeting | None) -> dict[str, Any] | None:
    """Return a meeting as its latest invitation describes it (SPEC §12), or None."""
    if meeting is None:
        return None
    return {"uid": meeting.uid, "sequence": meeting.sequence, "status": meeting.status,
            "summary": meeting.summary, "start": meeting.start, "end": meeting.end,
            "timezone": meeting.timezone, "location": meeting.location,
            "organizer": meeting.organizer, "attendees": meeting.attendees,
            "updated_at": meeting.updated_at.isoformat()}


def interaction_json(interaction: Interaction, message: Message,
                     meeting: Meeting | None = None, *, content: bool = True) -> dict[str, Any]:
    """Return a timeline entry: the interaction with its message's metadata and meeting.

    `content` False: the viewer may not see this private interaction's content (SPEC §13):
    only participants and date are shown (store/redaction.py), and no meeting.
    """
    shown = {
        "subject": message.subject, "from": message.from_address, "to": message.to,
        "cc": message.cc, "date": message.date.isoformat() if message.date else None,
        "preview": message.preview,
        "attachments": [{k: v for k, v in a.items() if k != "content"}
                        for a in message.attachments],
    }
    return {
        "id": interaction.id, "type": interaction.type, "channels": interaction.channels,
        "user_id": interaction.user_id, "logged_at": interaction.logged_at.isoformat(),
        "private": interaction.private,
        "meeting": meeting_json(meeting) if content else None,
        "message": shown if content else redacted_message(shown),
    }


def thread_json(thread: Thread, project_ids: set[str] | None,
                hidden: bool = False) -> dict[str, Any]:
    """Return a thread; a user sees only their own projects among the candidates.

    `hidden`: the thread holds a private interaction the viewer may not see (its subject
    is not shown, SPEC §13).
    """
    candidates = [p for p in thread.candidate_project_ids
                  if project_ids is None or p in project_ids]
    return {"id": thread.id, "project_id": thread.project_id,
            "subject": "" if hidden else thread.subject,
            "participants": thread.participants, "candidate_project_ids": candidates,
            "status": thread.status, **({"private": True} if hidden else {})}


def received_json(received: ReceivedMessage, decision: Decision | None) -> dict[str, Any]:
    """Return the list representation of a received message, with its processing state."""
    return {"id": received.id, "message_id": received.message_id, "channel": received.channel,
            "status": received.status, "received_at": received.received_at.isoformat(),
            "authentication_results": received.authentication_results,
            "attempts": received.attempts, "last_error": received.last_error,
            "outcomes": decision.body.get("outcomes", []) if decision else []}
