"""User queries: users, their addresses, memberships and API tokens."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from store.errors import NotFound
from store.models import ApiToken, Mailbox, Membership, User, UserAlias

# Statements of the API's hot path (every request authenticates), built once.
_EXISTING_USERS = select(User.id).where(User.id.in_(bindparam("ids", expanding=True)))
# One row per membership of the token's owner (one with no project when they have none).
_TOKEN_OWNER = (select(User.id, User.role, Membership.project_id, ApiToken.id.label("token_id"),
                       ApiToken.scopes, ApiToken.expires_at)
                .join(ApiToken, ApiToken.user_id == User.id)
                .outerjoin(Membership, Membership.user_id == User.id)
                .where(ApiToken.token_hash == bindparam("token_hash")))
_MEMBER_PROJECTS = select(Membership.project_id).where(
    Membership.user_id == bindparam("user_id"))


def get_user(session: Session, user_id: str) -> User:
    """Return the user or raise NotFound."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"User {user_id} does not exist.")
    return user


def list_users(session: Session, user_ids: Collection[str] | None = None) -> list[User]:
    """Return users by creation order, all of them or only `user_ids`."""
    query = select(User).order_by(User.created_at, User.id)
    if user_ids is not None:
        query = query.where(User.id.in_(list(user_ids)))
    return list((session.scalars(query)).all())


def existing_user_ids(session: Session, user_ids: Collection[str]) -> set[str]:
    """Return which of `user_ids` exist."""
    if not user_ids:
        return set()
    return set((session.scalars(_EXISTING_USERS, {"ids": list(user_ids)})).all())


def addresses_in_use(
    session: Session, addresses: Collection[str], except_user_id: str | None = None
) -> set[str]:
    """Return which `addresses` are already a user's account address, alias or mailbox."""
    wanted = list(addresses)
    if not wanted:
        return set()
    found: set[str] = set()
    for column, owner in ((User.email, User.id), (UserAlias.address, UserAlias.user_id),
                          (Mailbox.address, Mailbox.user_id)):
        query = select(column).where(column.in_(wanted))
        if except_user_id is not None:
            query = query.where(owner != except_user_id)
        found.update((session.scalars(query)).all())
    return found


@dataclass(frozen=True, slots=True)
class TokenOwner:
    """The user owning an API token, with the projects they are a member of.

    `token_id`, `scopes` and `expires_at` describe the token itself.
    """

    id: str
    role: str
    project_ids: frozenset[str]
    token_id: str
    scopes: frozenset[str]
    expires_at: datetime | None


def token_owner(session: Session, token_hash: str) -> TokenOwner | None:
    """Return the user owning the token with this SHA-256 hash, if any (one statement)."""
    rows = (session.execute(_TOKEN_OWNER, {"token_hash": token_hash})).all()
    if not rows:
        return None
    first = rows[0]
    return TokenOwner(first.id, first.role,
                      frozenset(row.project_id for row in rows if row.project_id),
                      first.token_id, frozenset(first.scopes.split()), first.expires_at)


def member_project_ids(session: Session, user_id: str) -> set[str]:
    """Return the ids of the projects the user is a member of."""
    return set((session.scalars(_MEMBER_PROJECTS, {"user_id": user_id})).all())


def add_membership(session: Session, project_id: str, user_id: str) -> None:
    """Make the user a member of the project (idempotent)."""
    if session.get(Membership, (project_id, user_id)) is None:
        session.add(Membership(project_id=project_id, user_id=user_id))


def remove_membership(session: Session, project_id: str, user_id: str) -> None:
    """End the user's membership of the project (idempotent)."""
    session.execute(
        delete(Membership).where(Membership.project_id == project_id,
                                 Membership.user_id == user_id)
    )


def list_tokens(session: Session, user_id: str) -> list[ApiToken]:
    """Return the user's API tokens (hashes only) by creation order."""
    query = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at)
    return list((session.scalars(query)).all())


def delete_token(session: Session, user_id: str | None, token_id: str) -> None:
    """Revoke a token of the user (any user's with None) or raise NotFound."""
    token = session.get(ApiToken, token_id)
    if token is None or user_id is not None and token.user_id != user_id:
        raise NotFound(f"Token {token_id} does not exist.")
    session.delete(token)
