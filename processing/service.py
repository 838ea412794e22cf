"""ProcessingService: the processing port the API calls (Log button, sync, explain, assign, release).

Each call processes the raw message synchronously with the same functions the workers use
and returns the stored decision; a new capture's received row is inserted by the transaction
that records it, and spooled for the workers if processing fails (never lost).
"""

from __future__ import annotations

import logging
import re
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from email.errors import HeaderParseError
from email.message import EmailMessage
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parsing import parse_address, parse_message
from processing import pipeline
from processing.admission import CaptureGate
from processing.context import ProcessingContext
from processing.errors import TemporaryFailure
from processing.worker import settle_failure, worker_id
from rules import Channel, OutcomeStatus, Reason
from store import spool
from store.database import read_only_session
from store.models import Mailbox, ReceivedMessage, Thread, new_id
from store.queries.errors import Conflict, Invalid, NotFound, Unavailable
from store.queries.received import thread_decisions

log = logging.getLogger("blindcopy.capture")
DecisionJSON = dict[str, Any]
MESSAGE_ID = re.compile(r"<[^<>\s]+>")


def _header_value(fields: dict[str, Any], key: str) -> str:
    value = fields.get(key)
    text = ", ".join(value) if isinstance(value, list) else str(value or "")
    if "\r" in text or "\n" in text:
        raise Invalid.field(f"message.{key}", "must not contain line breaks")
    return text


def _check_addresses(fields: dict[str, Any], key: str) -> None:
    """Raise Invalid when an entry of an address field (from, to, cc) holds no address.

    Python 3.11's email package refused such a header ("bob@") when composing; 3.13 writes
    it, and the parser would then drop the entry without a word.
    """
    value = fields.get(key)
    entries = value if isinstance(value, list) else [value]
    for entry in entries:
        if entry and str(entry).strip() and parse_address(str(entry)) is None:
            raise Invalid.field(f"message.{key}", f"{entry!r} is not an email address")


def _date_header(value: str) -> str:
    """Return the Date header for an ISO 8601 or RFC 5322 date; raise Invalid otherwise."""
    try:
        return format_datetime(datetime.fromisoformat(value))
    except ValueError:
        pass
    try:
        parsedate_to_datetime(value)
    except (TypeError, ValueError):
        raise Invalid.field("message.date", "must be an ISO 8601 or RFC 5322 date") from None
    return value


def _message_id_header(value: str) -> str:
    """Return the Message-ID header, adding the angle brackets when they were left out."""
    message_id = value if value.startswith("<") else f"<{value}>"
    if not MESSAGE_ID.fullmatch(message_id):
        raise Invalid.field("message.message_id", "must be a Message-ID such as <id@host>")
    return message_id


def compose_message(fields: dict[str, Any]) -> bytes:
    """Build an RFC 5322 message from the structured JSON form of POST /v1/log.

    Raise Invalid (`message.<field>`) for a value that cannot be a header of that field.
    """
    message = EmailMessage()
    for header, key in (("From", "from"), ("To", "to"), ("Cc", "cc"), ("Subject", "subject"),
                        ("In-Reply-To", "in_reply_to"), ("References", "references")):
        value = _header_value(fields, key)
        if key in ("from", "to", "cc"):
            _check_addresses(fields, key)
        if value:
            try:
                message[header] = value
            except (ValueError, IndexError, TypeError, HeaderParseError):
                raise Invalid.field(f"message.{key}", "is not a valid header value") from None
    date = _header_value(fields, "date")
    if date:
        message["Date"] = _date_header(date)
    # Without a Message-ID the parser derives a stable one from sender, date, subject and
    # body (SPEC §3), so logging the same structured message twice logs it once.
    message_id = _header_value(fields, "message_id")
    if message_id:
        message["Message-ID"] = _message_id_header(message_id)
    message.set_content(str(fields.get("text") or ""))
    if fields.get("html"):
        message.add_alternative(str(fields["html"]), subtype="html")
    try:
        return bytes(message)
    except (ValueError, IndexError, TypeError, HeaderParseError):
        raise Invalid.field("message", "cannot be composed into an email") from None


def _api_capture(**fields: Any) -> ReceivedMessage:
    """Return a received message that came through the API: no SMTP envelope."""
    return ReceivedMessage(**fields, rcpt_to=[], mail_from="", client_ip="", helo="", tls=False,
                           released=False)


# What a capture's received row holds before processing (kept if processing fails).
CAPTURED_COLUMNS = ("id", "channel", "raw", "user_id", "mailbox_id", "project_ids",
                    "received_at", "claimed_by")


def _awaits_assignment(outcome: dict[str, Any]) -> bool:
    """Tell whether an outcome depends on the thread's assignment (pending or elsewhere)."""
    return bool(outcome["status"] == OutcomeStatus.PENDING
                or outcome["reason"] == Reason.THREAD_ASSIGNED_ELSEWHERE)


class ProcessingService:
    """Run API captures through the pipeline."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession],
                 ctx: ProcessingContext, max_concurrent_captures: int = 4) -> None:
        self.sessionmaker = sessionmaker
        self.ctx = ctx
        self.gate = CaptureGate(max_concurrent_captures)

    def admit(self) -> AbstractAsyncContextManager[None]:
        """Hold a place for one synchronous capture, or raise Unavailable when saturated."""
        return self.gate.admit()

    async def _capture(self, received: ReceivedMessage) -> DecisionJSON:
        """Process a new capture now, claimed by this request, and return its decision.

        Its received row is inserted by the transaction that records the decision (one write
        transaction, not a spool commit and then another): until the answer, the caller
        holds the message. If processing fails, it is spooled for the workers before the
        caller is told to retry, so nothing is lost either way.
        """
        now = self.ctx.now()
        received.id = new_id()
        received.received_at = now
        received.status = spool.PROCESSING
        received.attempts = 1
        received.lease_until = now + timedelta(seconds=self.ctx.lease_seconds)
        received.claimed_by = worker_id("api")
        self.ctx.metrics.count_received(received.channel)
        return await self._process(received.id, received, stored=False)

    async def _process(self, received_id: str, received: ReceivedMessage | None = None,
                       stored: bool = True) -> DecisionJSON:
        """Process a message (`stored`: its received row exists) and return its decision."""
        try:
            body = await pipeline.process_received(self.sessionmaker, received_id, self.ctx,
                                                   received, stored=stored)
        except Exception as exc:
            if not stored:
                assert received is not None
                await self._keep_for_workers(received, exc)
            await self._settle_failure(received_id, exc)
            raise Unavailable(f"Message {received_id} is kept and will be processed again "
                              f"by a worker: {type(exc).__name__}.", retry_after=1) from exc
        log.info("message processed", extra={"received_id": received_id,
                                             "message_id": body.get("message_id"),
                                             "status": body["status"]})
        return body

    async def _keep_for_workers(self, received: ReceivedMessage, error: BaseException) -> None:
        """Spool a capture whose processing failed (its own transaction rolled back)."""
        kept = ReceivedMessage(**{name: getattr(received, name) for name in CAPTURED_COLUMNS},
                               status=spool.PROCESSING, attempts=1,
                               lease_until=received.lease_until)
        try:
            async with self.sessionmaker.begin() as session:
                session.add(kept)
        except Exception as exc:
            log.warning("could not spool a capture whose processing failed",
                        extra={"received_id": received.id, "error": repr(error)}, exc_info=True)
            raise Unavailable("The message could not be stored; send it again.",
                              retry_after=1) from exc

    async def _settle_failure(self, received_id: str, error: BaseException) -> None:
        try:
            await settle_failure(self.sessionmaker, received_id, self.ctx, error)
        except Exception:
            log.warning("could not reschedule message; its lease will expire",
                        extra={"received_id": received_id}, exc_info=True)

    async def log_message(self, raw: bytes, *, user_id: str | None,
                          project_ids: list[str]) -> DecisionJSON:
        """Log a raw message on channel log (idempotent) and return its decision."""
        if user_id is None:
            raise Invalid.field("user_id", "The Log button needs a user: use a user's token "
                                "or pass user_id.")
        return await self._capture(_api_capture(
            channel=Channel.LOG, raw=raw, user_id=user_id, project_ids=list(project_ids)))

    async def log_structured(self, message: dict[str, Any], *, user_id: str | None,
                             project_ids: list[str]) -> DecisionJSON:
        """Log a message given as JSON fields on channel log."""
        return await self.log_message(compose_message(message), user_id=user_id,
                                      project_ids=project_ids)

    async def ingest_mailbox_message(self, raw: bytes, *, mailbox_id: str) -> DecisionJSON:
        """Process a message synced from a mailbox (channel sync)."""
        async with read_only_session(self.sessionmaker) as session:
            mailbox = await session.get(Mailbox, mailbox_id)
        if mailbox is None:
            raise NotFound(f"Mailbox {mailbox_id} does not exist.")
        return await self._capture(_api_capture(
            channel=Channel.SYNC, raw=raw, user_id=mailbox.user_id, mailbox_id=mailbox_id,
            project_ids=mailbox.project_ids))

    async def explain(self, raw: bytes, *, channel: str, user_id: str | None,
                      project_ids: list[str]) -> DecisionJSON:
        """Return the decision for a raw message without recording anything."""
        received = _api_capture(channel=Channel(channel), raw=raw, user_id=user_id,
                                project_ids=list(project_ids))
        async with read_only_session(self.sessionmaker) as session:
            if received.channel == Channel.SYNC:
                mailbox = await self._participating_mailbox(session, raw, user_id)
                received.mailbox_id = mailbox.id if mailbox else None
                received.project_ids = mailbox.project_ids if mailbox else []
            try:
                decision = await pipeline.explain(session, received, self.ctx)
            except TemporaryFailure as exc:
                raise Unavailable(f"The dry run cannot be completed now: {exc}") from exc
        body = decision.to_json()
        body.update(received_id=None, status="explained")
        return body

    @staticmethod
    async def _participating_mailbox(session: AsyncSession, raw: bytes,
                                     user_id: str | None) -> Mailbox | None:
        """Return the user's mailbox that takes part in the message (for a sync dry run)."""
        parsed = parse_message(raw)
        addresses = [a.key for a in (*parsed.from_, *parsed.to, *parsed.cc, *parsed.bcc)]
        query = (select(Mailbox).where(Mailbox.user_id == user_id,
                                       Mailbox.address.in_(addresses)).order_by(Mailbox.id))
        return (await session.execute(query)).scalars().first()

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
        if not received_ids:
            raise Conflict(f"Thread {thread_id} has no message waiting for a project choice.")
        body: DecisionJSON = {}
        for received_id in received_ids:
            body = await self._process(received_id)
        return body

    @staticmethod
    async def _thread_received_ids(session: AsyncSession, thread_id: str) -> list[str]:
        """Return the thread's received messages whose newest decision waits on an assignment."""
        newest = {received_id: body
                  for received_id, body in await thread_decisions(session, thread_id)}
        return [received_id for received_id, body in newest.items()
                if any(_awaits_assignment(o) for o in body["outcomes"])]

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
            received.lease_until = self.ctx.now() + timedelta(seconds=self.ctx.lease_seconds)
        return await self._process(received_id)

