"""Whether the spool can commit now: the store's part of GET /readyz.

Cheap and bounded: one statement, plus on SQLite one statvfs of the database's directory.
It writes nothing: a write per probe would take SQLite's one write lock every few seconds.
"""

from __future__ import annotations

import os

from sqlalchemy import text
from sqlalchemy.orm import Session


def spool_refusal(session: Session, reserve_bytes: int) -> str | None:
    """Return why the spool cannot commit a message now, or None when it can.

    PostgreSQL: the server must take writes (not a standby, not read-only); its disk is
    its own to watch. SQLite: the connection must take writes, and the file system holding
    the database must be writable with `reserve_bytes` free (a message is written to the
    WAL and then to the database file).
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        read_only = session.scalar(text("SHOW transaction_read_only"))
        return "The database accepts no writes (read-only)." if read_only == "on" else None
    if session.scalar(text("PRAGMA query_only")):
        return "The database accepts no writes (query_only)."
    path = connection.engine.url.database
    if not path or path == ":memory:":
        return None
    stats = os.statvfs(os.path.dirname(os.path.abspath(path)))
    if stats.f_flag & os.ST_RDONLY:
        return "The database's file system accepts no writes (read-only)."
    free = stats.f_bavail * stats.f_frsize
    if free < reserve_bytes:
        return (f"The database's file system has {free} bytes free; the spool keeps "
                f"{reserve_bytes} free for the largest message.")
    return None
