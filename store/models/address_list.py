"""Per-project address lists: ignored addresses/domains and never-log contact addresses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, new_id, utcnow


class IgnoredEntry(Base):
    """An ignored address or domain; `project_id` None means global."""

    __tablename__ = "ignored_entries"
    __table_args__ = (UniqueConstraint("project_id", "pattern"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    project_id: Mapped[str | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True, default=None
    )
    pattern: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NeverLogEntry(Base):
    """A contact address never logged in a project (other participants still are)."""

    __tablename__ = "never_log_entries"
    __table_args__ = (UniqueConstraint("project_id", "address"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    address: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
