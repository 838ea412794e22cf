"""Interaction queries: a contact's timeline (newest first), one interaction whole, unlogging."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import and_, literal, or_, select, tuple_, union
from sqlalchemy.orm import InstrumentedAttribute, Session

from store.errors import NotFound
from store.events import EventType, emit, interaction_data
from store.models import (
    Company,
    Deal,
    Interaction,
    InteractionCompany,
    InteractionDeal,
    Mailbox,
    Membership,
    Message,
    ProjectAddress,
    User,
    UserAlias,
)
from store.queries.pages import Page


class Direction(StrEnum):
    """Which way an email went, relative to its project's users (SPEC §12)."""

    OUTBOUND = "outbound"
    INBOUND = "inbound"
    INTERNAL = "internal"


@dataclass(frozen=True, slots=True)
class InteractionRecord:
    """One interaction whole: its message, what it is filed under, and its direction."""

    interaction: Interaction
    message: Message
    companies: list[Company]
    deals: list[Deal]
    direction: Direction


def get_interaction(session: Session, interaction_id: str) -> Interaction:
    """Return the interaction or raise NotFound."""
    interaction = session.get(Interaction, interaction_id)
    if interaction is None:
        raise NotFound(f"Interaction {interaction_id} does not exist.")
    return interaction


def contact_timeline(
    session: Session, contact_id: str, *, before: tuple[datetime, str] | None, limit: int
) -> Page[tuple[Interaction, Message]]:
    """Return a page of the contact's logged interactions with their messages, newest first."""
    query = (
        select(Interaction, Message)
        .join(Message, Message.id == Interaction.message_ref)
        .where(Interaction.contact_id == contact_id, Interaction.unlogged_at.is_(None))
        .order_by(Interaction.logged_at.desc(), Interaction.id.desc())
    )
    if before is not None:
        logged_at, interaction_id = before
        query = query.where(or_(
            Interaction.logged_at < logged_at,
            and_(Interaction.logged_at == logged_at, Interaction.id < interaction_id),
        ))
    rows = [(row[0], row[1]) for row in (session.execute(query.limit(limit + 1))).all()]
    return Page.from_rows(rows, limit)


def private_interaction_users(session: Session,
                              interaction_ids: list[str]) -> dict[str, str | None]:
    """Return, of these interactions, the private ones and the user each is credited to."""
    if not interaction_ids:
        return {}
    return {interaction_id: user_id for interaction_id, user_id in session.execute(
        select(Interaction.id, Interaction.user_id).where(
            Interaction.id.in_(sorted(set(interaction_ids))), Interaction.private.is_(True)))}


def private_credits(session: Session, thread_ids: list[str]) -> dict[str, list[str | None]]:
    """Return, per thread, the users credited with its logged private interactions."""
    if not thread_ids:
        return {}
    credits: dict[str, list[str | None]] = {}
    for thread_id, user_id in session.execute(
            select(Interaction.thread_id, Interaction.user_id).where(
                Interaction.thread_id.in_(thread_ids), Interaction.private.is_(True),
                Interaction.unlogged_at.is_(None))):
        credits.setdefault(thread_id, []).append(user_id)
    return credits


def filed_timeline(
    session: Session, filed: type[InteractionCompany | InteractionDeal],
    owner: InstrumentedAttribute[str], owner_id: str, *,
    before: tuple[datetime, str] | None, limit: int
) -> Page[tuple[Interaction, Message]]:
    """Return a page of the interactions filed under a company or a deal (`owner`: the
    column of `filed` naming it), newest first."""
    query = (
        select(Interaction, Message).select_from(filed)
        .join(Interaction, Interaction.id == filed.interaction_id)
        .join(Message, Message.id == Interaction.message_ref)
        .where(owner == owner_id, Interaction.unlogged_at.is_(None))
        .order_by(filed.logged_at.desc(), filed.interaction_id.desc())
    )
    if before is not None:
        logged_at, interaction_id = before
        # A row value, so the page starts where the index range does (deep pages stay cheap).
        query = query.where(tuple_(filed.logged_at, filed.interaction_id)
                            < tuple_(literal(logged_at, filed.logged_at.type),
                                     literal(interaction_id, filed.interaction_id.type)))
    rows = [(row[0], row[1]) for row in session.execute(query.limit(limit + 1)).all()]
    return Page.from_rows(rows, limit)


def unlog_interaction(session: Session, interaction: Interaction, *, by: str,
                      at: datetime) -> None:
    """Record that the interaction was removed (once; it is kept, not deleted), with its
    `interaction.unlogged` event."""
    if interaction.unlogged_at is not None:
        return
    interaction.unlogged_at = at
    interaction.unlogged_by = by
    message = session.get(Message, interaction.message_ref)
    assert message is not None  # the interaction's foreign key
    emit(session, interaction.project_id, EventType.INTERACTION_UNLOGGED,
         interaction_data(interaction, message))


def internal_addresses(session: Session, project_id: str,
                       addresses: Collection[str]) -> set[str]:
    """Return which addresses are the project's: its members' (account, alias, mailbox) and
    its project addresses. Each looked up by its unique index."""
    wanted = sorted({a.lower() for a in addresses})
    if not wanted:
        return set()
    members = select(Membership.user_id).where(Membership.project_id == project_id)
    query = union(
        select(User.email).where(User.email.in_(wanted), User.id.in_(members)),
        select(UserAlias.address).where(UserAlias.address.in_(wanted),
                                        UserAlias.user_id.in_(members)),
        select(Mailbox.address).where(Mailbox.address.in_(wanted), Mailbox.user_id.in_(members)),
        select(ProjectAddress.address).where(ProjectAddress.address.in_(wanted),
                                             ProjectAddress.project_id == project_id),
    )
    return {address.lower() for address in session.scalars(query)}


def direction_of(message: Message, internal: set[str]) -> Direction:
    """Tell which way the email went: from a user to someone else (outbound), between users
    only (internal), or from anyone else (inbound)."""
    if message.from_address.lower() not in internal:
        return Direction.INBOUND
    recipients = {a.lower() for a in (*message.to, *message.cc)}
    return Direction.INTERNAL if recipients <= internal else Direction.OUTBOUND


def interaction_record(session: Session, interaction: Interaction) -> InteractionRecord:
    """Return the interaction with its message, companies, deals and direction."""
    message = session.get(Message, interaction.message_ref)
    if message is None:
        raise NotFound(f"Interaction {interaction.id} does not exist.")
    companies = list(session.scalars(
        select(Company).join(InteractionCompany, InteractionCompany.company_id == Company.id)
        .where(InteractionCompany.interaction_id == interaction.id).order_by(Company.name,
                                                                             Company.id)))
    deals = list(session.scalars(
        select(Deal).join(InteractionDeal, InteractionDeal.deal_id == Deal.id)
        .where(InteractionDeal.interaction_id == interaction.id)
        .order_by(Deal.updated_at.desc(), Deal.id)))
    internal = internal_addresses(session, interaction.project_id,
                                  [message.from_address, *message.to, *message.cc])
    return InteractionRecord(interaction, message, companies, deals,
                             direction_of(message, internal))
