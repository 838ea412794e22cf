"""Attachment contents and meetings as a project sees them (SPEC §12, §9).

Bytes are stored once per sha256 for every project; a project reaches them only through
one of its own messages that lists the attachment as stored, never by the hash alone.
Query functions never commit; the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.errors import NotFound
from store.models import AttachmentContent, Meeting, Message


@dataclass(frozen=True, slots=True)
class StoredAttachment:
    """One attachment of a message, with its bytes."""

    filename: str
    content_type: str
    content: bytes


def attachment_of(session: Session, message: Message, n: int, where: str) -> StoredAttachment:
    """Return attachment `n` (from 1) of the message with its bytes, or raise NotFound.

    `where` names what the message was reached through ("interaction …"), for the error.
    """
    listed = _listed(message.attachments, n)
    if listed is None:
        raise NotFound(f"The {where} has no attachment {n}.")
    if not listed.get("stored"):
        why = listed.get("not_stored", "its content was not stored")
        raise NotFound(f"Attachment {n} of the {where} was not stored: {why}.")
    content = session.execute(select(AttachmentContent.content).where(
        AttachmentContent.sha256 == listed["sha256"])).scalar()
    if content is None:
        raise NotFound(f"Attachment {n} of the {where} is no longer stored.")
    return StoredAttachment(str(listed.get("filename") or ""),
                            str(listed.get("content_type") or ""), content)


def _listed(attachments: list[dict[str, Any]], n: int) -> dict[str, Any] | None:
    """Return the metadata of attachment `n` (rows before §12 number them by position)."""
    for position, listed in enumerate(attachments, start=1):
        if listed.get("n", position) == n:
            return listed
    return None


def meetings_by_uid(session: Session, project_id: str, uids: set[str]) -> dict[str, Meeting]:
    """Return the project's meetings with these calendar UIDs, by UID."""
    if not uids:
        return {}
    found = session.execute(select(Meeting).where(Meeting.project_id == project_id,
                                                  Meeting.uid.in_(sorted(uids)))).scalars()
    return {meeting.uid: meeting for meeting in found}
