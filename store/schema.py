"""Bring a database to the newest schema with the Alembic migrations in store/migrations."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"
# Any constant: processes starting together on PostgreSQL migrate one after the other.
MIGRATION_LOCK_KEY = 0x626C696E64


def alembic_config(connection: Connection | None = None) -> Config:
    """Return an Alembic config for our migrations, optionally bound to a connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "head")


async def migrate(engine: AsyncEngine) -> None:
    """Apply every pending migration (idempotent)."""
    async with engine.begin() as connection:
        # SQLite serialises through BEGIN IMMEDIATE; PostgreSQL needs a lock, or two
        # processes starting at once would both try to create the same tables.
        if connection.dialect.name == "postgresql":
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                     {"key": MIGRATION_LOCK_KEY})
        await connection.run_sync(_upgrade)
