"""Company queries: bulk upsert by external id, look-up, a company's timeline (SPEC §12)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.errors import NotFound
from store.models import Company, CompanyDomain, Interaction, InteractionCompany, Message, new_id
from store.queries.interactions import filed_timeline
from store.queries.pages import Page


@dataclass(frozen=True, slots=True)
class CompanyUpsert:
    """One company of a bulk upsert; `domains` are already lower-cased and unique."""

    external_id: str
    name: str
    domains: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CompanyUpsertResult:
    """How many companies a bulk upsert created and updated, and all of them in input order."""

    created: int
    updated: int
    companies: list[Company]


def get_company(session: Session, project_id: str, company_id: str) -> Company:
    """Return the project's company or raise NotFound."""
    company = session.get(Company, company_id)
    if company is None or company.project_id != project_id:
        raise NotFound(f"Company {company_id} does not exist in this project.")
    return company


def company_ids_by_external_id(session: Session, project_id: str,
                               external_ids: Collection[str]) -> dict[str, str]:
    """Return the ids of the project's companies with these external ids (those that exist)."""
    if not external_ids:
        return {}
    rows = session.execute(select(Company.external_id, Company.id).where(
        Company.project_id == project_id, Company.external_id.in_(list(external_ids))))
    return {external_id: company_id for external_id, company_id in rows}


def _sync_domains(company: Company, domains: tuple[str, ...]) -> None:
    wanted = set(domains)
    company.domains = [d for d in company.domains if d.domain in wanted]
    kept = {d.domain for d in company.domains}
    company.domains.extend(CompanyDomain(project_id=company.project_id, domain=domain)
                           for domain in domains if domain not in kept)


def upsert_companies(session: Session, project_id: str,
                     upserts: list[CompanyUpsert]) -> CompanyUpsertResult:
    """Create or update the project's companies by external id, replacing their domains."""
    query = select(Company).where(Company.project_id == project_id,
                                  Company.external_id.in_([u.external_id for u in upserts]))
    existing = {c.external_id: c for c in session.scalars(query).all()}
    companies: list[Company] = []
    for upsert in upserts:
        company = existing.get(upsert.external_id)
        if company is None:
            company = Company(id=new_id(), project_id=project_id,
                              external_id=upsert.external_id, domains=[])
            session.add(company)
        company.name = upsert.name
        _sync_domains(company, upsert.domains)
        companies.append(company)
    session.flush()
    created = sum(1 for u in upserts if u.external_id not in existing)
    return CompanyUpsertResult(created, len(upserts) - created, companies)


def company_timeline(
    session: Session, company_id: str, *, before: tuple[datetime, str] | None, limit: int
) -> Page[tuple[Interaction, Message]]:
    """Return a page of the interactions filed under the company, newest first."""
    return filed_timeline(session, InteractionCompany, InteractionCompany.company_id, company_id,
                          before=before, limit=limit)
