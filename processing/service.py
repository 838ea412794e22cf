"""ProcessingService: the processing port the API calls (Log button, sync, explain, assign, release).

Each call spools the raw message first (never lost), then processes it synchronously with the
same functions the workers use, and returns the stored decision.
"""

from __future__ import annotations

import logging
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from processing import pipeline
from processing.context import ProcessingContext
from rules import Channel
from store import spool
from store.models import Mailbox, Message, ReceivedMessage, Thread
from store.queries.errors import Conflict, Invalid, NotFound

DecisionJSON = dict[str, Any]
log = logging.getLogger("blindcopy.capture")


def compose_message(fields: dict[str, Any]) -> bytes:
    """Build an RFC 5322 message from the structured JSON form of POST /v1/log."""
    message = EmailMessage()
    for header, key in (("From", "from"), ("Subject", "subject"), ("In-Reply-To", "in_reply_to")):
        if fields.get(key):
            message[header] = str(fields[key])
    for header, key in (("To", "to"), ("Cc", "cc"), ("References", "references")):
        value = fields.get(key)
        if value:
            message[header] = ", ".join(value) if isinstance(value, list) else str(value)
    date = fields.get("date")
    message["Date"] = (format_datetime(datetime.fromisoformat(date))
                       if isinstance(date, str) and "T" in date else str(date or ""))
    message["Message-ID"] = str(fields.get("message_id") or make_msgid(domain="log.blindcopy"))
    message.set_content(str(fields.get("text") or ""))
    if fields.get("html"):
        message.add_alternative(str(fields["html"]), subtype="html")
    return bytes(message)


class ProcessingService:
    """Run API captures through the pipeline."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession],
                 ctx: ProcessingContext) -> None:
        self.sessionmaker = sessionmaker
        self.ctx = ctx

    async def _capture(self, received: ReceivedMessage) -> DecisionJSON:
        received.status = spool.PROCESSING
        received.attempts = 1
        async with self.sessionmaker.begin() as session:
            session.add(received)
        self.ctx.metrics.count_received(received.channel)
        body = await pipeline.process_received(self.sessionmaker, received.id, self.ctx)
        log.info("message processed", extra={"received_id": received.id,
                                             "message_id": body.get("message_id"),
                                             "channel": received.channel,
                                             "status": body["status"]})
        return body

    async def log_message(self, raw: bytes, *, user_id: str | None,
                          project_ids: list[str]) -> DecisionJSON:
        """Log a raw message on channel log (idempotent) and return its decision."""
        if user_id is None:
            raise Invalid.field("user_id", "The Log button needs a user: use a user's token "
                                "or pass user_id.")
        return await self._capture(ReceivedMessage(
            channel=Channel.LOG, raw=raw, user_id=user_id, project_ids=list(project_ids)))

    async def log_structured(self, message: dict[str, Any], *, user_id: str | None,
                             project_ids: list[str]) -> DecisionJSON:
        """Log a message given as JSON fields on channel log."""
        return await self.log_message(compose_message(message), user_id=user_id,
                                      project_ids=project_ids)

    async def ingest_mailbox_message(self, raw: bytes, *, mailbox_id: str) -> DecisionJSON:
        """Process a message synced from a mailbox (channel sync)."""
        async with self.sessionmaker() as session:
            mailbox = await session.get(Mailbox, mailbox_id)
        if mailbox is None:
            raise NotFound(f"Mailbox {mailbox_id} does not exist.")
        return await self._capture(ReceivedMessage(
            channel=Channel.SYNC, raw=raw, user_id=mailbox.user_id, mailbox_id=mailbox_id,
            project_ids=mailbox.project_ids))

    async def explain(self, raw: bytes, *, channel: str, user_id: str | None,
                      project_ids: list[str]) -> DecisionJSON:
        """Return the decision for a raw message without recording anything."""
        received = ReceivedMessage(channel=Channel(channel), raw=raw, user_id=user_id,
                                   project_ids=list(project_ids), rcpt_to=[], mail_from="",
                                   client_ip="", helo="", released=False)
        async with self.sessionmaker() as session:
            decision = await pipeline.explain(session, received, self.ctx)
            await session.rollback()
        body = decision.to_json()
        body.update(received_id=None, status="explained")
        return body

    async def assign_thread(self, thread_id: str, project_ids: list[str], *,
                            user_id: str | None) -> DecisionJSON:
        """Assign a thread to projects and reprocess its messages; return the last decision."""
        async with self.sessionmaker.begin() as session:
            thread = await session.get(Thread, thread_id)
            if thread is None:
                raise NotFound(f"Thread {thread_id} does not exist.")
            thread.status = "assigned"
            thread.assigned_project_ids = sorted(set(project_ids))
            received_ids = await self._thread_received_ids(session, thread_id)
        body: DecisionJSON = {}
        for received_id in received_ids:
            body = await pipeline.process_received(self.sessionmaker, received_id, self.ctx)
        return body

    @staticmethod
    async def _thread_received_ids(session: AsyncSession, thread_id: str) -> list[str]:
        query = (select(ReceivedMessage.id)
                 .join(Message, Message.id == ReceivedMessage.message_ref)
                 .where(Message.thread_id == thread_id)
                 .order_by(ReceivedMessage.received_at))
        return list((await session.execute(query)).scalars())

    async def release_quarantined(self, received_id: str) -> DecisionJSON:
        """Process a quarantined message as if it had passed sender authentication."""
        async with self.sessionmaker.begin() as session:
            received = await session.get(ReceivedMessage, received_id)
            if received is None:
                raise NotFound(f"Message {received_id} does not exist.")
            if received.status != spool.QUARANTINED:
                raise Conflict(f"Message {received_id} is {received.status}, not quarantined.")
            received.released = True
            received.status = spool.PROCESSING
        return await pipeline.process_received(self.sessionmaker, received_id, self.ctx)

