"""One thread hop per SQLite statement instead of four.

aiosqlite runs each sqlite3 call in its connection's thread and wakes the event loop for
each result; SQLAlchemy's adapter makes four such calls per statement (cursor, execute,
fetchall, close). Here a statement is one call: the sqlite3 cursor is made, executed, read
and closed in that thread, and its description, rowcount, lastrowid and rows come back
together (bench/profile_pipeline.py, side by side: 17.9–18.6 → 15.6–16.4 ms of CPU per message).

It uses aiosqlite's own way into its thread (`Connection._execute`, `_conn`), as
SQLAlchemy's adapter already does for the isolation level; with an aiosqlite that lacks
them the engine keeps SQLAlchemy's stock cursor (tests/integration/test_sqlite_one_hop.py
says which is in use).
"""

from __future__ import annotations

import sqlite3
from typing import Any, Self

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)

SUPPORTED = callable(getattr(aiosqlite.Connection, "_execute", None)) and isinstance(
    getattr(aiosqlite.Connection, "_conn", None), property)

_Outcome = tuple[Any, int, Any, list[Any]]


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


class OneHopCursor:
    """The part of aiosqlite's Cursor that SQLAlchemy's adapter uses, one hop per call."""

    __slots__ = ("_connection", "_rows", "arraysize", "description", "lastrowid", "rowcount")

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection
        self._rows: list[Any] = []
        self.arraysize = 1
        self.description: Any = None
        self.lastrowid: Any = None
        self.rowcount = -1

    async def __aenter__(self) -> Self:
        return self

    async def _call(self, sql: str, parameters: Any, many: bool) -> OneHopCursor:
        outcome: _Outcome = await self._connection._execute(  # type: ignore[no-untyped-call]
            _run, self._connection._conn, sql, parameters, many)
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
    """SQLAlchemy's aiosqlite connection whose (client-side) cursors take one hop."""

    __slots__ = ()
    _cursor_cls = _OneHopAdaptedCursor


def use_one_hop_cursors(dbapi_connection: Any, _record: Any) -> None:
    """Pool "connect" listener: give a new SQLite connection one-hop cursors."""
    if SUPPORTED and type(dbapi_connection) is AsyncAdapt_aiosqlite_connection:
        dbapi_connection.__class__ = OneHopConnection
