"""The user aggregate: users, their aliases, project memberships and API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.base import Base, new_id, utcnow


class User(Base):
    """A person who works in projects."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[str] = mapped_column(String(16), default="user")
    personal_email_access: Mapped[bool] = mapped_column(default=False)
    # Email the user when a BCC or forward of theirs logs nothing or ends pending (§14).
    notices: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    aliases: Mapped[list[UserAlias]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class UserAlias(Base):
    """Another address of a user (counts as the user for capture and attribution)."""

    __tablename__ = "user_aliases"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    address: Mapped[str] = mapped_column(String(320), unique=True)


class Membership(Base):
    """A user's membership of a project."""

    __tablename__ = "memberships"

    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# Every scope, as stored: what a token without a `scopes` choice may do.
ALL_SCOPES = "log read write"


class ApiToken(Base):
    """A bearer token of a user, stored only as its SHA-256 hash.

    `scopes`: space-separated (`log`, `read`, `write`); `expires_at`: None never expires.
    """

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    name: Mapped[str | None] = mapped_column(String(200), default=None)
    scopes: Mapped[str] = mapped_column(String(64), default=ALL_SCOPES,
                                        server_default=ALL_SCOPES)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
