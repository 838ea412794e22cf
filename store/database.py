"""The store's engine and its units of work, for SQLite (WAL, default) and PostgreSQL (psycopg).

Plain synchronous SQLAlchemy. Code that reads or writes the store is a function taking a
`Session`; the caller owns the transaction (`with store.write() as session:`). The
asynchronous edges (the SMTP gateway, the API) run such a function in one of the store's
threads (`await store.run_write(fn, …)`): one thread hop per unit of work, not one per
statement. A PostgreSQL URL may carry `?search_path=<schema>` to use a schema other than
public.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine, event, make_url
from sqlalchemy import create_engine as sqlalchemy_engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

# Store connections per process, and as many threads to run units of work in.
POOL_SIZE = 15
SQLITE_BUSY_TIMEOUT_MS = 30_000
# SQLSTATE classes that say nothing about the data: connection exception, transaction
# rollback (serialization failure, deadlock), insufficient resources, operator intervention
# (server shutting down), system error.
OUTAGE_SQLSTATE_CLASSES = ("08", "40", "53", "57", "58")
# Execution option of a session that only reads: on SQLite it begins DEFERRED (no write lock).
READ_ONLY = "blindcopy_read_only"

P = ParamSpec("P")
T = TypeVar("T")


def engine_url(url: str) -> str:
    """Return `url` with the driver blindcopy uses for its backend (sqlite3 or psycopg)."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain):]
    return url


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN itself (see _begin), as SQLAlchemy's docs advise for pysqlite.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: WAL mode's NORMAL keeps a commit through a crash of the process but not through
    # one of the machine (power, kernel); SMTP's 250 promises the message is on disk.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _begin(connection: Any) -> None:
    # Take the write lock at BEGIN: a deferred transaction that later writes fails at once
    # with "database is locked" when another writer committed meanwhile; IMMEDIATE waits
    # for the busy timeout instead. A read-only session begins deferred: it reads a WAL
    # snapshot without holding the one write lock the spool and the workers queue for.
    read_only = connection.get_execution_options().get(READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def create_engine(url: str, **options: Any) -> Engine:
    """Create the engine for `url`; SQLite gets WAL, synced commits and a busy timeout."""
    full_url = make_url(engine_url(url))
    # Every connection is kept once opened: closing one returned under a burst would open a
    # new one for the next statement (on PostgreSQL a server backend).
    options.setdefault("pool_size", POOL_SIZE)
    options.setdefault("max_overflow", 0)
    if full_url.get_backend_name() == "sqlite":
        engine = sqlalchemy_engine(full_url, connect_args={
            "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}, **options)
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin)
        return engine
    options.setdefault("pool_pre_ping", True)
    search_path = full_url.query.get("search_path")
    if isinstance(search_path, str):
        options["connect_args"] = {"options": f"-csearch_path={search_path}"}
        full_url = full_url.difference_update_query(["search_path"])
    return sqlalchemy_engine(full_url, **options)


class Store:
    """The engine, its sessions, and the threads the asynchronous edges run them in."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessionmaker = sessionmaker(engine, expire_on_commit=False)
        self._threads = ThreadPoolExecutor(POOL_SIZE, thread_name_prefix="store")

    @property
    def is_sqlite(self) -> bool:
        """Tell whether the store is SQLite (one writer at a time, for the whole file)."""
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def write(self) -> Iterator[Session]:
        """Return a session in a transaction committed when the block ends without error."""
        with self.sessionmaker.begin() as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """Return a session that only reads: no write lock on SQLite, nothing committed.

        Changed objects at the end are a bug, not something to drop quietly.
        """
        with self.sessionmaker() as session:
            session.connection(execution_options={READ_ONLY: True})
            yield session
            if session.new or session.dirty or session.deleted:
                raise RuntimeError("objects were changed in a read-only session")

    async def run_write(self, work: Callable[Concatenate[Session, P], T],
                        *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `work(session, …)` in a write transaction in one of the store's threads."""
        return await self._in_thread(self._written, work, *args, **kwargs)

    async def run_read(self, work: Callable[Concatenate[Session, P], T],
                       *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `work(session, …)` in a read-only session in one of the store's threads."""
        return await self._in_thread(self._read, work, *args, **kwargs)

    async def run(self, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `work(…)`, which opens its own units of work, in one of the store's threads."""
        return await self._in_thread(work, *args, **kwargs)

    async def _in_thread(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._threads,
                                          functools.partial(work, *args, **kwargs))

    def _written(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with self.write() as session:
            return work(session, *args, **kwargs)

    def _read(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with self.read() as session:
            return work(session, *args, **kwargs)

    def close(self) -> None:
        """Wait for the units of work under way, then close every connection."""
        self._threads.shutdown(wait=True)
        self.engine.dispose()


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
