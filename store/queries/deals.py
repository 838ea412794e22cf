"""Deal queries: bulk upsert by external id, look-up, a deal's timeline (SPEC §12)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.errors import NotFound
from store.models import Deal, DealContact, Interaction, InteractionDeal, Message, new_id
from store.queries.interactions import filed_timeline
from store.queries.pages import Page


@dataclass(frozen=True, slots=True)
class DealUpsert:
    """One deal of a bulk upsert, its contacts and company already resolved to ids."""

    external_id: str
    name: str
    status: str
    contact_ids: tuple[str, ...]
    company_id: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class DealUpsertResult:
    """How many deals a bulk upsert created and updated, and all of them in input order."""

    created: int
    updated: int
    deals: list[Deal]


def get_deal(session: Session, project_id: str, deal_id: str) -> Deal:
    """Return the project's deal or raise NotFound."""
    deal = session.get(Deal, deal_id)
    if deal is None or deal.project_id != project_id:
        raise NotFound(f"Deal {deal_id} does not exist in this project.")
    return deal


def _sync_contacts(session: Session, deal: Deal, upsert: DealUpsert,
                   links: list[DealContact]) -> None:
    """Link the deal to exactly its contacts, each link carrying its status and time."""
    wanted = set(upsert.contact_ids)
    for link in links:
        if link.contact_id not in wanted:
            session.delete(link)
        else:
            link.status, link.updated_at = upsert.status, upsert.updated_at
    linked = {link.contact_id for link in links}
    session.add_all(DealContact(id=new_id(), deal_id=deal.id, contact_id=contact_id,
                                project_id=deal.project_id, status=upsert.status,
                                updated_at=upsert.updated_at)
                    for contact_id in upsert.contact_ids if contact_id not in linked)


def upsert_deals(session: Session, project_id: str, upserts: list[DealUpsert]) -> DealUpsertResult:
    """Create or update the project's deals by external id, replacing their contacts."""
    query = select(Deal).where(Deal.project_id == project_id,
                               Deal.external_id.in_([u.external_id for u in upserts]))
    existing = {d.external_id: d for d in session.scalars(query).all()}
    links: dict[str, list[DealContact]] = {}
    if existing:
        for link in session.scalars(select(DealContact).where(
                DealContact.deal_id.in_([d.id for d in existing.values()]))):
            links.setdefault(link.deal_id, []).append(link)
    deals: list[Deal] = []
    for upsert in upserts:
        deal = existing.get(upsert.external_id)
        if deal is None:
            deal = Deal(id=new_id(), project_id=project_id, external_id=upsert.external_id)
            session.add(deal)
        deal.name, deal.status = upsert.name, upsert.status
        deal.company_id, deal.updated_at = upsert.company_id, upsert.updated_at
        _sync_contacts(session, deal, upsert, links.get(deal.id, []))
        deals.append(deal)
    session.flush()
    created = sum(1 for u in upserts if u.external_id not in existing)
    return DealUpsertResult(created, len(upserts) - created, deals)


def deal_contact_ids(session: Session, deal_ids: list[str]) -> dict[str, list[str]]:
    """Return the contact ids of each deal."""
    found: dict[str, list[str]] = {deal_id: [] for deal_id in deal_ids}
    if deal_ids:
        for deal_id, contact_id in session.execute(
                select(DealContact.deal_id, DealContact.contact_id)
                .where(DealContact.deal_id.in_(deal_ids)).order_by(DealContact.contact_id)):
            found[deal_id].append(contact_id)
    return found


def deal_timeline(
    session: Session, deal_id: str, *, before: tuple[datetime, str] | None, limit: int
) -> Page[tuple[Interaction, Message]]:
    """Return a page of the interactions filed under the deal, newest first."""
    return filed_timeline(session, InteractionDeal, InteractionDeal.deal_id, deal_id,
                          before=before, limit=limit)
