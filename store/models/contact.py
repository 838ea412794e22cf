"""The contact aggregate: a person in one project's database and their addresses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.base import Base, new_id, utcnow


class Contact(Base):
    """A contact profile in one project."""

    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("project_id", "external_id"),
        # A project's contacts are paged in id order (GET /v1/projects/{id}/contacts).
        Index("ix_contacts_project_id", "project_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200), default="")
    owner_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    # The contact's company (SPEC §12): its interactions are filed under it too.
    company_id: Mapped[str | None] = mapped_column(
        ForeignKey("companies.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    addresses: Mapped[list[ContactAddress]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class ContactAddress(Base):
    """One address of a contact, lower-cased; indexed by (project, address) for matching."""

    __tablename__ = "contact_addresses"
    __table_args__ = (Index("ix_contact_addresses_project_address", "project_id", "address"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    contact_id: Mapped[str] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(320))
