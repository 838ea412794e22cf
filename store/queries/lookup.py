"""What the directory holds about a few addresses, within some projects (GET /v1/lookup).

Addresses come lower-cased, as the directory stores them. `project_ids` None means every
project (an admin). Four statements whatever the number of addresses.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from store.models import (
    Contact,
    ContactAddress,
    IgnoredEntry,
    Mailbox,
    Membership,
    NeverLogEntry,
    User,
    UserAlias,
)


@dataclass(frozen=True, slots=True)
class ContactHit:
    """A contact having the address, in one project."""

    project_id: str
    contact_id: str
    name: str


@dataclass(slots=True)
class AddressFacts:
    """What the directory knows about one address in the projects looked at.

    `ignored_patterns`: ignored entries that may match it (its address or one of its
    domains); the caller decides with the rules' own matching.
    """

    address: str
    is_user: bool = False
    ignored_patterns: list[str] = field(default_factory=list)
    never_log: bool = False
    contacts: list[ContactHit] = field(default_factory=list)


def _within(column: InstrumentedAttribute[Any], project_ids: Collection[str] | None
             ) -> ColumnElement[bool]:
    return true() if project_ids is None else column.in_(sorted(project_ids))


def pattern_candidates(address: str) -> list[str]:
    """Return the ignored patterns that could match the address: it, its domain and parents."""
    labels = address.rpartition("@")[2].split(".")
    return [address, *(".".join(labels[i:]) for i in range(len(labels)))]


def _user_addresses(addresses: list[str], project_ids: Collection[str] | None
                    ) -> CompoundSelect[str]:
    members = select(Membership.user_id).where(_within(Membership.project_id, project_ids))
    branches = [select(User.email).where(User.email.in_(addresses), User.id.in_(members)),
                select(UserAlias.address).where(UserAlias.address.in_(addresses),
                                                UserAlias.user_id.in_(members)),
                select(Mailbox.address).where(Mailbox.address.in_(addresses),
                                              Mailbox.user_id.in_(members))]
    return branches[0].union(*branches[1:])


def look_up_addresses(session: Session, addresses: list[str],
                      project_ids: Collection[str] | None) -> list[AddressFacts]:
    """Return what is known about each address (in the given order) in those projects."""
    facts = {address: AddressFacts(address) for address in addresses}
    if project_ids is not None and not project_ids:
        return list(facts.values())
    for user_address in session.scalars(_user_addresses(addresses, project_ids)):
        facts[user_address].is_user = True
    contacts = (select(ContactAddress.address, Contact.project_id, Contact.id, Contact.name)
                .join(Contact, Contact.id == ContactAddress.contact_id)
                .where(ContactAddress.address.in_(addresses),
                       _within(ContactAddress.project_id, project_ids))
                .order_by(Contact.project_id, Contact.name, Contact.id))
    for row in session.execute(contacts):
        facts[row.address].contacts.append(ContactHit(row.project_id, row.id, row.name))
    never_log = select(NeverLogEntry.address).where(
        NeverLogEntry.address.in_(addresses), _within(NeverLogEntry.project_id, project_ids))
    for listed in session.scalars(never_log):
        facts[listed].never_log = True
    candidates = sorted({p for a in addresses for p in pattern_candidates(a)})
    ignored = select(IgnoredEntry.pattern).where(
        IgnoredEntry.pattern.in_(candidates),
        or_(IgnoredEntry.project_id.is_(None), _within(IgnoredEntry.project_id, project_ids)))
    patterns = set(session.scalars(ignored))
    for address, known in facts.items():
        known.ignored_patterns = sorted(patterns.intersection(pattern_candidates(address)))
    return list(facts.values())
