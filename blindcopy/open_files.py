"""The process's open-file limit, and SMTP and API connection caps that stay below it.

Every connection is a file descriptor. Past the limit, accept() fails inside the event
loop, where no client can be told to come back later (421), and asyncio logs a traceback
per failed accept. So at start the soft limit is raised to the hard one (what an
unprivileged process may do), and the connection caps are lowered to fit what is left
after the descriptors the process needs for itself.
"""

from __future__ import annotations

import logging
import resource
from dataclasses import replace

from config.settings import Settings

log = logging.getLogger("blindcopy")
# Descriptors kept beyond the caps. The process's own: the store's pool (15 connections; a
# SQLite one holds the database, its WAL and shared-memory file), listening sockets, the
# event loop, DNS queries, logs and the pipes to child processes (an idle `serve` holds 17):
# 128. And what a flood holds for a moment: asyncio accepts up to 100 connections (its
# listen backlog) in one loop iteration, and a refused one is closed only in the next, so
# each of the two listeners may hold 100 more than its cap (measured: 1,200 connections
# at a 1,024-file limit with 128 kept made accept() fail 891 times in a second).
RESERVED_FILES = 128 + 2 * 100


def raise_open_file_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard limit; return the soft limit in force.

    Nothing is changed when they are equal (systemd's LimitNOFILE= sets both), so a
    sandbox that forbids setrlimit (SystemCallFilter=~@resources) is never asked.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft == resource.RLIM_INFINITY or soft >= hard:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (OSError, ValueError) as error:
        log.warning("could not raise the open-file limit", extra={
            "soft": soft, "hard": hard, "error": str(error)})
        return soft
    log.info("open-file limit raised", extra={"from": soft, "to": hard})
    return hard


def open_file_limit() -> int:
    """Return the soft open-file limit in force (a very large number when unlimited)."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return 2**31 - 1 if soft == resource.RLIM_INFINITY else soft


def fit_connection_caps(settings: Settings, limit: int) -> Settings:
    """Return settings whose SMTP and API connection caps leave RESERVED_FILES free.

    Caps that do not fit are lowered in proportion to each other, with a warning.
    """
    room = max(limit - RESERVED_FILES, limit // 2, 2)
    wanted = settings.max_connections + settings.http_max_connections
    if wanted <= room:
        return settings
    smtp = max(1, room * settings.max_connections // wanted)
    fitted = replace(settings, max_connections=smtp, http_max_connections=max(1, room - smtp))
    log.warning("connection caps lowered to fit the open-file limit", extra={
        "max_connections": fitted.max_connections,
        "http_max_connections": fitted.http_max_connections,
        "configured": [settings.max_connections, settings.http_max_connections],
        "open_file_limit": limit})
    return fitted
