"""What else an interaction is filed under: companies and deals of its project (SPEC §12).

Rows are written with the interaction, in the same transaction, as the association rules
decided; each is unique per (interaction, company or deal). A company's or deal's timeline
is one range of its (company or deal, logged_at, interaction) index.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base


class InteractionCompany(Base):
    """An interaction filed under a company."""

    __tablename__ = "interaction_companies"
    __table_args__ = (
        Index("ix_interaction_companies_company_logged", "company_id", "logged_at",
              "interaction_id"),
    )

    interaction_id: Mapped[str] = mapped_column(
        ForeignKey("interactions.id", ondelete="CASCADE"), primary_key=True)
    company_id: Mapped[str] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(32))
    # The interaction's logged_at, copied so the timeline is read in index order.
    logged_at: Mapped[datetime] = mapped_column()


class InteractionDeal(Base):
    """An interaction filed under a deal."""

    __tablename__ = "interaction_deals"
    __table_args__ = (
        Index("ix_interaction_deals_deal_logged", "deal_id", "logged_at", "interaction_id"),
    )

    interaction_id: Mapped[str] = mapped_column(
        ForeignKey("interactions.id", ondelete="CASCADE"), primary_key=True)
    deal_id: Mapped[str] = mapped_column(
        ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(32))
    logged_at: Mapped[datetime] = mapped_column()
