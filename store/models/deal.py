"""The deal aggregate: a deal of one project's CRM and the contacts it involves (SPEC §12)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, new_id, utcnow


class Deal(Base):
    """A deal in one project, upserted by the CRM's external id; `status` open, won or lost.

    `updated_at` is the CRM's own time of its last change: `open_recent` association takes
    a contact's most recently updated open deals by it.
    """

    __tablename__ = "deals"
    __table_args__ = (
        UniqueConstraint("project_id", "external_id"),
        Index("ix_deals_project_id", "project_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    company_id: Mapped[str | None] = mapped_column(
        ForeignKey("companies.id", ondelete="SET NULL"), default=None
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DealContact(Base):
    """A contact of a deal, with the deal's status and time copied for the contact's look-up.

    A contact's open deals, most recently updated first, are one range of
    `ix_deal_contacts_contact_status_updated` however many deals the project has.
    """

    __tablename__ = "deal_contacts"
    __table_args__ = (
        UniqueConstraint("deal_id", "contact_id"),
        Index("ix_deal_contacts_contact_status_updated", "contact_id", "status", "updated_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    deal_id: Mapped[str] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column()
