"""Read the spool directly: the ground truth of what the gateway accepted."""

from __future__ import annotations

from sqlalchemy import select

from blindcopy.runtime import Service
from store.models import ReceivedMessage


async def spooled(service: Service) -> list[ReceivedMessage]:
    """Return every received message in the spool, oldest first."""
    async with service.sessionmaker() as session:
        rows = await session.execute(
            select(ReceivedMessage).order_by(ReceivedMessage.received_at, ReceivedMessage.id))
        return list(rows.scalars())
