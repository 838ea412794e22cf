"""Declarative base, id generation and column types shared by every model.

Timestamps are stored as UTC and always come back timezone-aware, also on SQLite.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import JSON, DateTime, MetaData, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Store datetimes as UTC; return them timezone-aware on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value


class Base(DeclarativeBase):
    """Base class of every table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[str]: JSON,
        list[dict[str, Any]]: JSON,
    }


def table_of(model: type[Base]) -> Table:
    """Return the model's table, for Core statements on its columns.

    A statement naming an ORM attribute (`User.id`) is an ORM statement even when it selects
    plain columns: autoflush first, ORM compile state and result handling. Hot statements
    are written on the table's columns (`table_of(User).c.id`) and stay Core.
    """
    return cast(Table, model.__table__)


def new_id() -> str:
    """Return a new random string id."""
    return uuid.uuid4().hex


def utcnow() -> datetime:
    """Return the current time in UTC (the one clock the store uses)."""
    return datetime.now(UTC)
