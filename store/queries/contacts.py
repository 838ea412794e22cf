"""Contact queries: bulk upsert by external id, keyset listing, lookup."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.errors import NotFound
from store.models import Contact, ContactAddress, new_id
from store.queries.pages import Page


@dataclass(frozen=True, slots=True)
class ContactUpsert:
    """One contact of a bulk upsert; `emails` are already lower-cased and unique."""

    external_id: str
    name: str
    emails: tuple[str, ...]
    owner_id: str | None
    # The external id of the contact's company (SPEC §12); None: no company.
    company_external_id: str | None = None


@dataclass(frozen=True, slots=True)
class UpsertResult:
    """How many contacts a bulk upsert created and updated, and all of them in input order."""

    created: int
    updated: int
    contacts: list[Contact]


def get_contact(session: Session, project_id: str, contact_id: str) -> Contact:
    """Return the project's contact or raise NotFound."""
    contact = session.get(Contact, contact_id)
    if contact is None or contact.project_id != project_id:
        raise NotFound(f"Contact {contact_id} does not exist in this project.")
    return contact


def contact_ids_by_external_id(session: Session, project_id: str,
                               external_ids: Collection[str]) -> dict[str, str]:
    """Return the ids of the project's contacts with these external ids (those that exist)."""
    if not external_ids:
        return {}
    rows = session.execute(select(Contact.external_id, Contact.id).where(
        Contact.project_id == project_id, Contact.external_id.in_(sorted(external_ids))))
    return {external_id: contact_id for external_id, contact_id in rows}


def _sync_addresses(contact: Contact, emails: tuple[str, ...]) -> None:
    wanted = set(emails)
    contact.addresses = [a for a in contact.addresses if a.address in wanted]
    kept = {a.address for a in contact.addresses}
    contact.addresses.extend(
        ContactAddress(project_id=contact.project_id, address=email)
        for email in emails if email not in kept
    )


def upsert_contacts(
    session: Session, project_id: str, upserts: list[ContactUpsert],
    company_ids: dict[str, str] | None = None,
) -> UpsertResult:
    """Create or update the project's contacts by external id, replacing their addresses
    and company (`company_ids`: company id by external id, for those the upserts name)."""
    query = select(Contact).where(Contact.project_id == project_id,
                                  Contact.external_id.in_([u.external_id for u in upserts]))
    existing = {c.external_id: c for c in (session.scalars(query)).all()}
    contacts: list[Contact] = []
    for upsert in upserts:
        contact = existing.get(upsert.external_id)
        if contact is None:
            contact = Contact(id=new_id(), project_id=project_id, external_id=upsert.external_id,
                              addresses=[])
            session.add(contact)
        contact.name = upsert.name
        contact.owner_id = upsert.owner_id
        contact.company_id = (company_ids or {}).get(upsert.company_external_id or "")
        _sync_addresses(contact, upsert.emails)
        contacts.append(contact)
    session.flush()
    created = sum(1 for u in upserts if u.external_id not in existing)
    return UpsertResult(created, len(upserts) - created, contacts)


def list_contacts(
    session: Session, project_id: str, *, email: str | None, after_id: str | None,
    limit: int,
) -> Page[Contact]:
    """Return one page of the project's contacts ordered by id, optionally by address."""
    query = select(Contact).where(Contact.project_id == project_id).order_by(Contact.id)
    if email is not None:
        query = query.where(Contact.id.in_(
            select(ContactAddress.contact_id).where(ContactAddress.project_id == project_id,
                                                    ContactAddress.address == email)
        ))
    if after_id is not None:
        query = query.where(Contact.id > after_id)
    rows = (session.scalars(query.limit(limit + 1))).all()
    return Page.from_rows(rows, limit)
