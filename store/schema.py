"""Bring a database to the newest schema with the Alembic migrations in store/migrations."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, text

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


def _sqlite_pragma(connection: Connection, pragma: str) -> None:
    # On the driver's connection, outside any transaction: SQLite ignores `foreign_keys`
    # inside one.
    cursor = connection.connection.cursor()
    try:
        cursor.execute(f"PRAGMA {pragma}")
    finally:
        cursor.close()


def _upgrade_sqlite(connection: Connection) -> None:
    """Upgrade with foreign keys off, and check them before the upgrade commits.

    A migration that changes a table on SQLite copies it to a new one and drops the old
    (Alembic's batch mode); with foreign keys on, that DROP fails for a table other rows
    refer to, or deletes the rows that cascade from it. SQLite's documented procedure for
    such changes turns them off, then checks `foreign_key_check` before committing.
    """
    _sqlite_pragma(connection, "foreign_keys=OFF")
    try:
        with connection.begin():
            _upgrade(connection)
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                raise RuntimeError(f"the migration left rows without their parents: {broken[:5]}")
    finally:
        _sqlite_pragma(connection, "foreign_keys=ON")


def migrate(engine: Engine) -> None:
    """Apply every pending migration (idempotent)."""
    if engine.dialect.name == "sqlite":
        # BEGIN IMMEDIATE serialises processes starting together.
        with engine.connect() as connection:
            _upgrade_sqlite(connection)
        return
    with engine.begin() as connection:
        # Processes starting at once would both try to create the same tables.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                           {"key": MIGRATION_LOCK_KEY})
        _upgrade(connection)
