"""Engine and session factory for SQLite (WAL, default) and PostgreSQL (asyncpg).

A PostgreSQL URL may carry `?search_path=<schema>` to use a schema other than public.

The caller owns the unit of work: `async with sessionmaker.begin() as session:`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from store.sqlite_one_hop import SQLITE_BUSY_TIMEOUT_MS, mark_in_thread, use_one_hop_cursors

# Store connections per process, all kept open once opened (see _keep_connections).
POOL_SIZE = 15
# SQLSTATE classes that say nothing about the data: connection exception, transaction
# rollback (serialization failure, deadlock), insufficient resources, operator intervention
# (server shutting down), system error.
OUTAGE_SQLSTATE_CLASSES = ("08", "40", "53", "57", "58")
# Execution option of a session that only reads: on SQLite it begins DEFERRED (no write lock).
READ_ONLY = "blindcopy_read_only"


def async_url(url: str) -> str:
    """Return `url` with the async driver of its backend (aiosqlite or asyncpg)."""
    for plain, driver in (
        ("sqlite://", "sqlite+aiosqlite://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain):]
    return url


def is_sqlite(engine: AsyncEngine) -> bool:
    """Tell whether the engine talks to SQLite."""
    return engine.dialect.name == "sqlite"


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN itself (see _begin_immediate), as SQLAlchemy's docs advise.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: WAL mode's NORMAL keeps a commit through a crash of the process but not through
    # one of the machine (power, kernel); SMTP's 250 promises the message is on disk.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _begin_immediate(connection: Any) -> None:
    # Take the write lock at BEGIN: a deferred transaction that later writes fails at once
    # with "database is locked" when another writer committed meanwhile; IMMEDIATE waits
    # for the busy timeout instead. A read-only session begins deferred: it reads a WAL
    # snapshot without holding the one write lock the spool and the workers queue for.
    read_only = connection.get_execution_options().get(READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


async def begin_read_only(session: AsyncSession) -> None:
    """Begin the session's transaction as read-only (call before its first statement)."""
    await session.connection(execution_options={READ_ONLY: True})


@asynccontextmanager
async def read_only_session(sessionmaker: async_sessionmaker[AsyncSession]
                            ) -> AsyncIterator[AsyncSession]:
    """Return a session that only reads: no write lock on SQLite, nothing committed.

    A write lock held for a read makes every other reader and writer of the store queue
    behind it (SQLite's busy handler polls, sleeping 1 ms, 2 ms, 5 ms … between tries).
    Changed objects at the end are a bug, not something to drop quietly.
    """
    async with sessionmaker() as session:
        await begin_read_only(session)
        yield session
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("objects were changed in a read-only session")


def _keep_connections(options: dict[str, Any]) -> None:
    """Pool up to POOL_SIZE connections and keep each open once it is opened.

    SQLAlchemy's default (5 kept + 10 overflow) closes an overflow connection when it is
    returned: under a burst (twenty SMTP sessions looking up recipients) that opened a
    connection per statement (on SQLite a thread, the file and four PRAGMAs; on PostgreSQL a
    server backend). The limit is the same 15.
    """
    options.setdefault("pool_size", POOL_SIZE)
    options.setdefault("max_overflow", 0)


def create_engine(url: str, **options: Any) -> AsyncEngine:
    """Create the async engine for `url`; SQLite gets WAL, a busy timeout, one-hop cursors."""
    full_url = async_url(url)
    _keep_connections(options)
    if full_url.startswith("sqlite"):
        engine = create_async_engine(
            # check_same_thread: a statement that cannot wait runs in the loop's thread.
            full_url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                                    "check_same_thread": False}, **options
        )
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
        event.listen(engine.sync_engine, "connect", use_one_hop_cursors)
        event.listen(engine.sync_engine, "before_cursor_execute", mark_in_thread)
        event.listen(engine.sync_engine, "begin", _begin_immediate)
        return engine
    options.setdefault("pool_pre_ping", True)
    parsed = make_url(full_url)
    search_path = parsed.query.get("search_path")
    if isinstance(search_path, str):
        # asyncpg takes server settings as a keyword, not in the URL.
        options["connect_args"] = {"server_settings": {"search_path": search_path}}
        parsed = parsed.difference_update_query(["search_path"])
    return create_async_engine(parsed, **options)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Return the session factory every edge uses for its unit of work."""
    return async_sessionmaker(engine, expire_on_commit=False)


def is_store_outage(error: BaseException) -> bool:
    """Tell whether a failure is the store's or the network's, not the data's.

    A constraint violation, a value too long or a trigger refusing a row is not: it would
    fail again with the same data.
    """
    # PoolTimeout: every store connection of this process was busy for the pool's timeout.
    if isinstance(error, (OSError, PoolTimeout)):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated or isinstance(error, (OperationalError, InterfaceError)):
        return True
    sqlstate = str(getattr(error.orig, "sqlstate", None) or "")
    return sqlstate.startswith(OUTAGE_SQLSTATE_CLASSES)
