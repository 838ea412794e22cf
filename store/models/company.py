"""The company aggregate: a company of one project's CRM and its domains (SPEC §12)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.base import Base, new_id, utcnow


class Company(Base):
    """A company in one project, upserted by the CRM's external id."""

    __tablename__ = "companies"
    __table_args__ = (
        UniqueConstraint("project_id", "external_id"),
        # A project's companies are paged in id order.
        Index("ix_companies_project_id", "project_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    domains: Mapped[list[CompanyDomain]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class CompanyDomain(Base):
    """One domain of a company, lower-cased; indexed by (project, domain) for matching."""

    __tablename__ = "company_domains"
    __table_args__ = (Index("ix_company_domains_project_domain", "project_id", "domain"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    company_id: Mapped[str] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    domain: Mapped[str] = mapped_column(String(253))
