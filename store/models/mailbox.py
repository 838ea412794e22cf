"""The mailbox aggregate: a user's connected mail account and the projects it syncs to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.base import Base, new_id, utcnow


class Mailbox(Base):
    """A user's synced mail account address."""

    __tablename__ = "mailboxes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    address: Mapped[str] = mapped_column(String(320), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    projects: Mapped[list[MailboxProject]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def project_ids(self) -> list[str]:
        """Return the ids of the projects this mailbox is synced to."""
        return sorted(link.project_id for link in self.projects)


class MailboxProject(Base):
    """One project a mailbox is synced to."""

    __tablename__ = "mailbox_projects"

    mailbox_id: Mapped[str] = mapped_column(
        ForeignKey("mailboxes.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True, index=True
    )
