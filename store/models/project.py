"""The project aggregate: a project, its settings columns and its project addresses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.base import Base, new_id, utcnow


class Project(Base):
    """A tenant with its own contacts, members, settings and addresses."""

    __tablename__ = "projects"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    interaction_type: Mapped[str] = mapped_column(String(64), default="Email")
    logging_mode: Mapped[str] = mapped_column(String(32), default="replies_only")
    sender_auth: Mapped[str] = mapped_column(String(32), default="aligned")
    create_contacts: Mapped[str] = mapped_column(String(32), default="never")
    store_bodies: Mapped[bool] = mapped_column(default=True)
    # What is kept of a captured email (SPEC §13): full, subject or metadata.
    capture_level: Mapped[str] = mapped_column(String(16), default="full",
                                               server_default="full")
    # Which open deals of the contact an interaction is filed under (SPEC §12).
    deal_association: Mapped[str] = mapped_column(String(32), default="none")
    address_generation: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    addresses: Mapped[list[ProjectAddress]] = relationship(
        back_populates="project", cascade="all, delete-orphan", lazy="selectin"
    )


class ProjectAddress(Base):
    """A BCC or forwarding address of a project; retired ones work until `grace_until`."""

    __tablename__ = "project_addresses"
    __table_args__ = (UniqueConstraint("address", name="uq_project_addresses_address"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(320))
    active: Mapped[bool] = mapped_column(default=True)
    grace_until: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    project: Mapped[Project] = relationship(back_populates="addresses")
