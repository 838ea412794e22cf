"""Privacy rows (SPEC §13): users' personal never-log lists and erased-address tombstones."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, new_id, utcnow


class PersonalNeverLogEntry(Base):
    """An address one user's captures never log, in any project."""

    __tablename__ = "personal_never_log_entries"
    __table_args__ = (UniqueConstraint("user_id", "address"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    address: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ErasedAddress(Base):
    """The tombstone of an erased address: its keyed hash, never the address.

    `project_id` empty: erased everywhere; else in that project only.
    """

    __tablename__ = "erased_addresses"
    __table_args__ = (UniqueConstraint("address_hash", "project_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    address_hash: Mapped[str] = mapped_column(String(64), index=True)
    project_id: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
