"""Helpers of the privacy tests: emails with attachments, raw bytes and rows read back."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from sqlalchemy import select

from blindcopy.runtime import Service
from store.models import Message, ReceivedMessage, ReceivedRaw, Thread
from tests.client import ApiClient, eventually


def email_with_attachment(from_: str, to: str, subject: str, body: str, message_id: str,
                          attachment: bytes = b"%PDF-1.4 offer terms") -> bytes:
    """Return an email with a text body and a PDF attachment."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = from_, to, subject
    message["Date"] = "Tue, 24 Nov 2026 10:00:00 +0000"
    message["Message-ID"] = message_id
    message.set_content(body)
    message.add_attachment(attachment, maintype="application", subtype="pdf",
                           filename="offer.pdf")
    return bytes(message)


async def processed(api: ApiClient, message_id: str) -> dict[str, Any]:
    """Wait until the received message with this Message-ID is processed; return it."""
    async def probe() -> dict[str, Any] | None:
        items = (await api.get("/v1/messages", params={"message_id": message_id}))["items"]
        done = [i for i in items if i["status"] not in ("queued", "processing")]
        return done[0] if done else None
    found: dict[str, Any] = await eventually(probe)
    return found


async def stored_message(service: Service, project_id: str, message_id: str) -> Message:
    """Return the message row of the email as recorded in the project."""
    return await service.store.run_read(lambda session: session.scalars(select(Message).where(
        Message.project_id == project_id, Message.message_id == message_id)).one())


async def thread_subject(service: Service, thread_id: str) -> str:
    """Return the stored subject of a thread."""
    return await service.store.run_read(
        lambda session: session.scalars(select(Thread.subject).where(
            Thread.id == thread_id)).one())


async def raw_bytes(service: Service, received_id: str) -> bytes:
    """Return the raw bytes kept for a received message (b"" once deleted)."""
    return await service.store.run_read(
        lambda session: session.scalars(select(ReceivedRaw.raw).where(
            ReceivedRaw.received_message_id == received_id)).one())


async def received_exists(service: Service, received_id: str) -> bool:
    """Tell whether the received message is still stored."""
    return await service.store.run_read(
        lambda session: session.scalar(select(ReceivedMessage.id).where(
            ReceivedMessage.id == received_id)) is not None)


async def events_of(api: ApiClient, count: int, **params: str) -> list[dict[str, Any]]:
    """Wait until the feed shows `count` events (PostgreSQL shows an event once every older
    transaction has ended); return them."""
    async def probe() -> list[dict[str, Any]] | None:
        items: list[dict[str, Any]] = (await api.get("/v1/events", params=params))["items"]
        return items if len(items) >= count else None
    return await eventually(probe)
