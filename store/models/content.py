"""What a logged email carries beyond its text: attachment contents and meetings (SPEC §12).

Attachment bytes are kept once per content (their sha256), whichever projects' emails
carry them; a project reaches them only through one of its own messages that lists that
sha256 as stored (SPEC §9), never by the hash alone. A meeting belongs to one project,
found again by its calendar UID there.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, new_id, utcnow


class AttachmentContent(Base):
    """The bytes of one attachment content, stored once whatever carries it."""

    __tablename__ = "attachment_contents"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column()
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Meeting(Base):
    """A meeting of one project, as its latest invitation (highest SEQUENCE) describes it.

    `start` and `end` are ISO 8601 as the invitation gives them: with an offset for a time
    in a zone or in UTC, without one for a floating time, a date alone for an all-day event.
    """

    __tablename__ = "meetings"
    __table_args__ = (UniqueConstraint("project_id", "uid"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    uid: Mapped[str] = mapped_column(String(998))
    sequence: Mapped[int] = mapped_column(default=0)
    # confirmed, tentative or cancelled.
    status: Mapped[str] = mapped_column(String(16), default="confirmed")
    summary: Mapped[str] = mapped_column(Text, default="")
    start: Mapped[str | None] = mapped_column(String(64), default=None)
    end: Mapped[str | None] = mapped_column(String(64), default=None)
    # The IANA (or the invitation's own VTIMEZONE) name of the start's zone, if any.
    timezone: Mapped[str | None] = mapped_column(String(128), default=None)
    location: Mapped[str] = mapped_column(Text, default="")
    organizer: Mapped[str] = mapped_column(String(320), default="")
    attendees: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
