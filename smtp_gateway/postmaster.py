"""postmaster: the one address besides project addresses that takes mail (RFC 5321 4.5.1).

Mail to `postmaster@<mail_domain>` (or to bare `postmaster`) is for the people who run
this gateway: it is spooled like any message, with channel `postmaster`, but already
settled (`done`), so no worker ever claims it and no rule ever logs it in a project. Admins
find it in GET /v1/messages and read it at GET /v1/messages/{id}/raw. Nothing here parses
the message.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from store import spool
from store.database import Store
from store.models import ReceivedMessage, new_id

POSTMASTER = "postmaster"


def is_postmaster(address: str, mail_domain: str) -> bool:
    """Tell whether `address` is the postmaster of `mail_domain` (case-insensitive)."""
    address = address.lower()
    return address in (POSTMASTER, f"{POSTMASTER}@{mail_domain.lower()}")


def has_postmaster_copy(rows: Sequence[ReceivedMessage]) -> bool:
    """Tell whether a message's spool rows include the postmaster's copy."""
    return any(row.channel == POSTMASTER for row in rows)


async def write_with_postmaster_copy(store: Store, rows: Sequence[ReceivedMessage]) -> None:
    """Commit a message's rows in one transaction: the postmaster's settled, others queued.

    The spool writer queues every row it commits; postmaster mail is rare, so it takes a
    transaction of its own instead, holding the message's other rows too (one commit,
    then one 250).
    """
    kept = [row for row in rows if row.channel == POSTMASTER]
    queued = [row for row in rows if row.channel != POSTMASTER]
    for row in kept:
        row.id = new_id()
        row.status = spool.DONE
    await store.run_write(_insert, queued, kept)


def _insert(session: Session, queued: list[ReceivedMessage],
            kept: list[ReceivedMessage]) -> None:
    if queued:
        spool.insert_queued(session, queued)
    for row in kept:
        spool.insert_settled(session, row)
