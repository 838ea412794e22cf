"""Read the spool directly: the ground truth of what the gateway accepted."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from blindcopy.runtime import Service
from store.models import ReceivedMessage


def _every_received(session: Session) -> list[ReceivedMessage]:
    rows = session.execute(
        select(ReceivedMessage).order_by(ReceivedMessage.received_at, ReceivedMessage.id))
    return list(rows.unique().scalars())


async def spooled(service: Service) -> list[ReceivedMessage]:
    """Return every received message in the spool, oldest first."""
    return await service.store.run_read(_every_received)
