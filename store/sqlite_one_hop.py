"""SQLite statements with one thread hop, or none when they cannot wait on a lock.

aiosqlite runs each sqlite3 call in its connection's thread and wakes the event loop for
each result; SQLAlchemy's adapter makes four such calls per statement (cursor, execute,
fetchall, close). Here a statement is one call: the sqlite3 cursor is made, executed, read
and closed in that thread, and its description, rowcount, lastrowid and rows come back
together (bench/profile_pipeline.py, side by side: 17.9–18.6 → 15.6–16.4 ms of CPU per message).

A hop still costs ≈ 0.13 ms of CPU (queue, thread wake-up, the loop's self-pipe) against
≈ 0.01 ms for sqlite3 to answer a look-up, so a statement that cannot wait on a lock runs in
the event loop's thread instead, with no hop (`_inline`):
- the deferred BEGIN of a read-only session (it takes no lock), and the reads after it (in
  WAL mode a reader never waits for a writer);
- BEGIN IMMEDIATE when the write lock is free: it is tried with no busy wait, and only if
  another connection holds the lock does it wait, in the thread (the busy handler sleeps
  until the lock is free, and in one process the holder may be a coroutine on this loop);
- every statement of a write transaction, once its BEGIN IMMEDIATE holds the write lock;
- a ROLLBACK, and the COMMIT of a read-only transaction (they release, never wait).
What keeps its hop: the COMMIT of a write transaction (it may checkpoint the WAL and fsync
the file), anything outside a transaction, a statement carrying a value of more than
`INLINE_PARAMETER_BYTES` (a large message body is copied in the thread), and a statement
executed with the `IN_THREAD` execution option (a query that may scan many rows).
Side by side (bench/profile_pipeline.py): 12.4–13.6 → 8.7–11.0 ms of CPU per message.

It uses aiosqlite's own way into its thread (`Connection._execute`, `_conn`), as
SQLAlchemy's adapter already does for the isolation level; with an aiosqlite that lacks
them the engine keeps SQLAlchemy's stock cursor (tests/integration/test_sqlite_one_hop.py
says which is in use). The sqlite3 connection is opened with `check_same_thread=False`
(store.database): calls from both threads never overlap, since SQLAlchemy awaits each.
"""

from __future__ import annotations

import sqlite3
import weakref
from typing import Any, Self, cast

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)

SUPPORTED = callable(getattr(aiosqlite.Connection, "_execute", None)) and isinstance(
    getattr(aiosqlite.Connection, "_conn", None), property)

_Outcome = tuple[Any, int, Any, list[Any]]

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Execution option: run this statement in aiosqlite's thread even where it could run inline.
IN_THREAD = "blindcopy_sqlite_in_thread"
# Parameters larger than this (a message body) are copied into the database in the thread.
INLINE_PARAMETER_BYTES = 64 * 1024
_BEGIN_WRITE = "BEGIN IMMEDIATE"
# Connections inside a transaction their BEGIN IMMEDIATE began (they hold the write lock).
_WRITING: weakref.WeakSet[aiosqlite.Connection] = weakref.WeakSet()


def _run(connection: sqlite3.Connection, sql: str, parameters: Any, many: bool) -> _Outcome:
    """Execute in aiosqlite's thread; return description, rowcount, lastrowid and rows."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


def _began_without_waiting(connection: sqlite3.Connection) -> bool:
    """Try BEGIN IMMEDIATE with no busy wait; False if another connection holds the lock."""
    connection.execute("PRAGMA busy_timeout = 0")
    try:
        connection.execute(_BEGIN_WRITE)
    except sqlite3.OperationalError as error:
        if getattr(error, "sqlite_errorcode", None) != sqlite3.SQLITE_BUSY:
            raise
        return False
    finally:
        connection.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    return True


def _small(parameters: Any, many: bool) -> bool:
    """Tell whether the parameters hold no value of more than INLINE_PARAMETER_BYTES."""
    if many:
        return all(_small(each, False) for each in parameters)
    values = parameters.values() if isinstance(parameters, dict) else parameters
    return not any(isinstance(value, (bytes, str)) and len(value) > INLINE_PARAMETER_BYTES
                   for value in values)


def _inline(connection: aiosqlite.Connection, sql: str, parameters: Any, many: bool,
            in_thread: bool) -> bool:
    """Tell whether the statement cannot wait on a lock, so it may run in the loop's thread."""
    if in_thread or sql.startswith(_BEGIN_WRITE):
        return False
    if sql == "BEGIN":
        _WRITING.discard(connection)  # a deferred transaction never holds the write lock
        return True
    if not connection._conn.in_transaction:
        return False
    writing = connection in _WRITING
    return (writing or sql.lstrip()[:6].upper() == "SELECT") and _small(parameters, many)


class OneHopCursor:
    """The part of aiosqlite's Cursor that SQLAlchemy's adapter uses: one hop per call, or none.

    `in_thread` is set (from the IN_THREAD execution option) before the statement runs.
    """

    __slots__ = ("_connection", "_rows", "arraysize", "description", "in_thread", "lastrowid",
                 "rowcount")

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection
        self._rows: list[Any] = []
        self.arraysize = 1
        self.description: Any = None
        self.in_thread = False
        self.lastrowid: Any = None
        self.rowcount = -1

    async def __aenter__(self) -> Self:
        return self

    async def _call(self, sql: str, parameters: Any, many: bool) -> OneHopCursor:
        connection = self._connection
        outcome: _Outcome
        if _inline(connection, sql, parameters, many, self.in_thread):
            outcome = _run(connection._conn, sql, parameters, many)
        elif sql == _BEGIN_WRITE and _began_without_waiting(connection._conn):
            _WRITING.add(connection)
            outcome = (None, -1, None, [])
        else:
            outcome = await connection._execute(  # type: ignore[no-untyped-call]
                _run, connection._conn, sql, parameters, many)
            if sql.startswith(_BEGIN_WRITE):
                _WRITING.add(connection)
        self.description, self.rowcount, self.lastrowid, self._rows = outcome
        return self

    async def execute(self, sql: str, parameters: Any = ()) -> OneHopCursor:
        """Execute one statement and keep its rows."""
        return await self._call(sql, parameters, many=False)

    async def executemany(self, sql: str, parameters: Any) -> OneHopCursor:
        """Execute one statement for each parameter set."""
        return await self._call(sql, parameters, many=True)

    async def fetchall(self) -> list[Any]:
        """Return the rows the last execute read (no hop: they are here already)."""
        rows, self._rows = self._rows, []
        return rows

    async def close(self) -> None:
        """Forget the rows; the sqlite3 cursor was closed in the thread."""
        self._rows = []


class _OneHopAdaptedCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def _make_new_cursor(self, connection: Any) -> Any:
        return OneHopCursor(connection)


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's aiosqlite connection whose (client-side) cursors take one hop at most.

    A ROLLBACK, and the COMMIT of a transaction that holds no write lock, run inline.
    """

    __slots__ = ()
    _cursor_cls = _OneHopAdaptedCursor

    def commit(self) -> None:
        connection = cast(aiosqlite.Connection, self._connection)
        if connection in _WRITING:
            _WRITING.discard(connection)
            super().commit()
        elif connection._connection:
            self._inline_end(connection._conn.commit)

    def rollback(self) -> None:
        connection = cast(aiosqlite.Connection, self._connection)
        _WRITING.discard(connection)
        if connection._connection:
            self._inline_end(connection._conn.rollback)

    def _inline_end(self, end: Any) -> None:
        try:
            end()
        except Exception as error:  # noqa: BLE001 - wrapped as the stock adapter does
            self._handle_exception(error)


def mark_in_thread(_connection: Any, cursor: Any, _statement: str, _parameters: Any,
                   context: Any, _executemany: bool) -> None:
    """Engine "before_cursor_execute" listener: pass the IN_THREAD option to the cursor."""
    inner = getattr(cursor, "_cursor", None)
    if isinstance(inner, OneHopCursor) and context is not None:
        inner.in_thread = bool(context.execution_options.get(IN_THREAD, False))


def use_one_hop_cursors(dbapi_connection: Any, _record: Any) -> None:
    """Pool "connect" listener: give a new SQLite connection one-hop cursors."""
    if SUPPORTED and type(dbapi_connection) is AsyncAdapt_aiosqlite_connection:
        dbapi_connection.__class__ = OneHopConnection
