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
- BEGIN IMMEDIATE: it is tried with no busy wait; while another connection holds the write
  lock the coroutine sleeps on the loop and tries again every `BUSY_POLL_SECONDS` (in one
  process the holder may be a coroutine on this loop), and only a wait longer than
  `BUSY_POLL_LIMIT_SECONDS` goes on in the thread, in SQLite's busy handler. That handler
  sleeps 1, 2, 5, 10 … up to 100 ms between tries, so a writer it put to sleep could start
  tens of milliseconds after the lock was free: with two processes writing, the tail
  latency of the Log button (decision 0004);
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

import asyncio
import sqlite3
import weakref
from collections.abc import Callable
from typing import Any, Self, cast

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)
from sqlalchemy.util import await_only

SUPPORTED = callable(getattr(aiosqlite.Connection, "_execute", None)) and isinstance(
    getattr(aiosqlite.Connection, "_conn", None), property)

_Outcome = tuple[Any, int, Any, list[Any]]

SQLITE_BUSY_TIMEOUT_MS = 30_000
# A BEGIN IMMEDIATE that meets another connection's write lock is tried again this often
# from the loop, for at most this long; then it waits in aiosqlite's thread.
BUSY_POLL_SECONDS = 0.001
BUSY_POLL_LIMIT_SECONDS = 1.0
# Execution option: run this statement in aiosqlite's thread even where it could run inline.
IN_THREAD = "blindcopy_sqlite_in_thread"
# Parameters larger than this (a message body) are copied into the database in the thread.
INLINE_PARAMETER_BYTES = 64 * 1024
_BEGIN_WRITE = "BEGIN IMMEDIATE"


class _ConnectionState:
    """What decides whether a connection's next call may run in the loop's thread.

    `writing`: inside a transaction its BEGIN IMMEDIATE began (it holds the write lock).
    `hops_queued` / `hops_done`: calls handed to aiosqlite's thread, counted by the loop's
    thread, and those the thread finished, counted by it (each counter has one writer).
    While they differ no call may run inline, not even after the coroutine awaiting a hop
    was cancelled: sqlite3 would make the loop wait on the connection's mutex, e.g. for as
    long as a BEGIN IMMEDIATE still waits for the lock. (SQLAlchemy invalidates a
    connection whose statement was cancelled, and its close queues behind; this guard
    keeps any other path from touching the connection inline meanwhile.)
    """

    __slots__ = ("hops_done", "hops_queued", "writing")

    def __init__(self) -> None:
        self.hops_done = 0
        self.hops_queued = 0
        self.writing = False

    @property
    def hop_running(self) -> bool:
        """Tell whether a call is in aiosqlite's thread or queued for it."""
        return self.hops_queued != self.hops_done


_STATES: weakref.WeakKeyDictionary[aiosqlite.Connection, _ConnectionState] = (
    weakref.WeakKeyDictionary())


def _state(connection: aiosqlite.Connection) -> _ConnectionState:
    state = _STATES.get(connection)
    if state is None:
        state = _STATES[connection] = _ConnectionState()
    return state


def _run(connection: sqlite3.Connection, sql: str, parameters: Any, many: bool) -> _Outcome:
    """Execute a statement; return description, rowcount, lastrowid and rows."""
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


def _ended_hop(state: _ConnectionState, call: Callable[..., Any], *args: Any) -> Any:
    """Run `call` in aiosqlite's thread, then count the connection's hop as done."""
    try:
        return call(*args)
    finally:
        state.hops_done += 1


async def _hop(connection: aiosqlite.Connection, state: _ConnectionState,
               call: Callable[..., Any], *args: Any) -> Any:
    """Run `call(*args)` in aiosqlite's thread (queued behind any call already there)."""
    state.hops_queued += 1
    run_in_thread: Any = connection._execute  # untyped in aiosqlite
    return await run_in_thread(_ended_hop, state, call, *args)


def _began_now(connection: sqlite3.Connection) -> bool:
    """Try BEGIN IMMEDIATE once; False if another connection holds the lock.

    Tried with the connection's busy timeout at 0, so it answers at once.
    """
    try:
        connection.execute(_BEGIN_WRITE)
    except sqlite3.OperationalError as error:
        if getattr(error, "sqlite_errorcode", None) != sqlite3.SQLITE_BUSY:
            raise
        return False
    return True


async def _began_polling(connection: sqlite3.Connection) -> bool:
    """Try BEGIN IMMEDIATE every BUSY_POLL_SECONDS, sleeping on the loop in between.

    Return False if the lock stayed taken for BUSY_POLL_LIMIT_SECONDS. The busy timeout is
    0 while polling (no wait in the loop's thread) and restored after, however it ends.
    """
    loop = asyncio.get_running_loop()
    give_up = loop.time() + BUSY_POLL_LIMIT_SECONDS
    connection.execute("PRAGMA busy_timeout = 0")
    try:
        while not _began_now(connection):
            if loop.time() >= give_up:
                return False
            await asyncio.sleep(BUSY_POLL_SECONDS)
        return True
    finally:
        connection.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")


def _small(parameters: Any, many: bool) -> bool:
    """Tell whether the parameters hold no value of more than INLINE_PARAMETER_BYTES."""
    if many:
        return all(_small(each, False) for each in parameters)
    values = parameters.values() if isinstance(parameters, dict) else parameters
    return not any(isinstance(value, (bytes, str)) and len(value) > INLINE_PARAMETER_BYTES
                   for value in values)


def _inline(connection: aiosqlite.Connection, state: _ConnectionState, sql: str,
            parameters: Any, many: bool) -> bool:
    """Tell whether the statement cannot wait on a lock, so it may run in the loop's thread."""
    if sql == "BEGIN":
        return True
    if not connection._conn.in_transaction:
        return False
    return ((state.writing or sql.lstrip()[:6].upper() == "SELECT")
            and _small(parameters, many))


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
        state = _state(connection)
        may_inline = not state.hop_running and not self.in_thread
        outcome: _Outcome
        if sql == "BEGIN":
            state.writing = False  # a deferred transaction never holds the write lock
        if sql == _BEGIN_WRITE:
            if not (may_inline and await _began_polling(connection._conn)):
                await _hop(connection, state, _run, connection._conn, sql, parameters, many)
            state.writing = True
            outcome = (None, -1, None, [])
        elif may_inline and _inline(connection, state, sql, parameters, many):
            outcome = _run(connection._conn, sql, parameters, many)
        else:
            outcome = await _hop(connection, state, _run, connection._conn, sql, parameters,
                                 many)
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
        self.forget_rows()

    def forget_rows(self) -> None:
        """Drop the rows the last statement read and nobody fetched."""
        self._rows = []


class _OneHopAdaptedCursor(AsyncAdapt_aiosqlite_cursor):
    """SQLAlchemy's adapter cursor over a OneHopCursor, without awaiting what awaits nothing.

    The stock adapter awaits every cursor call through the event loop's greenlet: making
    the cursor, executing, closing, three switches there and back per statement. Making a
    OneHopCursor and closing it are bookkeeping in this thread, so they are done directly.
    (Executing stays awaited even when it runs inline: `AsyncConnection.execute` requires
    its greenlet to have awaited something.)
    """

    __slots__ = ()

    def _make_new_cursor(self, connection: Any) -> Any:
        return OneHopCursor(connection)

    def _aenter_cursor(self, cursor: Any) -> Any:
        return cursor  # OneHopCursor's __aenter__ returns it, and does nothing else

    def close(self) -> None:
        """Forget the rows, as OneHopCursor.close does, without awaiting it."""
        self._rows.clear()
        if self._cursor is not None:
            cast(OneHopCursor, self._cursor).forget_rows()


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's aiosqlite connection whose (client-side) cursors take one hop at most.

    A ROLLBACK, and the COMMIT of a transaction that holds no write lock, run inline.
    """

    __slots__ = ()
    _cursor_cls = _OneHopAdaptedCursor

    def commit(self) -> None:
        connection = cast(aiosqlite.Connection, self._connection)
        state = _state(connection)
        # A write transaction's COMMIT may checkpoint the WAL and fsync: in the thread.
        in_thread, state.writing = state.writing, False
        self._end(connection, state, "commit", in_thread)

    def rollback(self) -> None:
        connection = cast(aiosqlite.Connection, self._connection)
        state = _state(connection)
        state.writing = False
        self._end(connection, state, "rollback", in_thread=False)

    def _end(self, connection: aiosqlite.Connection, state: _ConnectionState, name: str,
             in_thread: bool) -> None:
        if not connection._connection:
            return
        end = getattr(connection._conn, name)
        try:
            if in_thread or state.hop_running:
                await_only(_hop(connection, state, end))
            else:
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
