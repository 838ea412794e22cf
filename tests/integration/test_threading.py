"""Threads: messages of one conversation share a thread whatever order they are recorded in."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from blindcopy.runtime import Service, build_context, start_service
from config.settings import load_settings
from processing.worker import drain
from store.models import Interaction, Message
from tests.client import ApiClient, send_smtp
from tests.conftest import ADMIN_TOKEN
from tests.database import fresh_database_url
from tests.directory import a_mailbox, a_project, a_user, contacts, email
from tests.scenarios.world import sync


async def _thread_of(service: Service, message_id: str) -> str:
    query = select(Message.thread_id).where(Message.message_id == message_id)
    return str(await service.store.run_read(lambda session: session.execute(query).scalar_one()))


async def test_reply_recorded_before_its_original_joins_the_same_thread(
        service: Service, api: ApiClient) -> None:
    project = await a_project(api, "Acme Homes", logging_mode="all")
    alice = await a_user(api, "Alice", "alice@acme.test", projects=(project["id"],),
                         personal_email_access=True)
    await contacts(api, project["id"], ("bob", "Bob", ["bob@client.test"]))
    mailbox = await a_mailbox(api, alice["id"], "alice@acme.test", [project["id"]])
    reply = email("bob@client.test", "alice@acme.test", "Re: Offer", message_id="<r@client.test>",
                  headers="In-Reply-To: <o@acme.test>\nReferences: <o@acme.test>")
    original = email("alice@acme.test", "bob@client.test", "Offer", message_id="<o@acme.test>")

    await sync(api, mailbox["id"], reply)
    await sync(api, mailbox["id"], original)

    assert await _thread_of(service, "<r@client.test>") == await _thread_of(service, "<o@acme.test>")


# A conversation whose messages arrive in one claim: an original, its reply, the original
# captured a second time, a message referring to an unknown root and the original, and a
# second conversation whose messages meet on a root no stored message has.
CONVERSATION = [
    ("<a@acme.test>", "Offer", ""),
    ("<b@client.test>", "Re: Offer", "In-Reply-To: <a@acme.test>\nReferences: <a@acme.test>"),
    ("<a@acme.test>", "Offer", ""),
    ("<c@client.test>", "Re: Offer", "References: <gone@x.test> <a@acme.test>"),
    ("<d@acme.test>", "Plans", "References: <root@x.test>"),
    ("<e@client.test>", "Re: Plans", "References: <root@x.test> <d@acme.test>"),
    ("<f@client.test>", "Re: Plans", "References: <root@x.test>"),
    ("<g@acme.test>", "Alone", ""),
]


async def _recorded(database_url: str, claim_batch: int
                    ) -> tuple[list[list[str]], int, list[tuple[str, tuple[str, ...]]]]:
    """Send CONVERSATION by BCC and a forward of its first message, record them
    `claim_batch` at a time; return the threads' Message-IDs (grouped), the stored
    messages, and each interaction's Message-ID and channels."""
    service = await start_service(load_settings(
        {}, database_url=database_url, smtp_port=0, http_port=0, admin_token=ADMIN_TOKEN,
        secret="test-secret", mail_domain="in.blindcopy.test", claim_batch=claim_batch),
        workers=0)
    try:
        async with ApiClient(f"http://127.0.0.1:{service.http_port}", ADMIN_TOKEN) as api:
            project = await a_project(api, "Acme Homes", logging_mode="all")
            await a_user(api, "Alice", "alice@acme.test", projects=(project["id"],))
            await contacts(api, project["id"], ("bob", "Bob", ["bob@client.test"]))
            for message_id, subject, headers in CONVERSATION:
                await send_smtp(service.smtp_port, "alice@acme.test",
                                [project["addresses"]["bcc"]],
                                email("alice@acme.test", "bob@client.test", subject,
                                      message_id=message_id, headers=headers))
            # Alice forwards the first message too: its interaction gains the channel.
            await send_smtp(service.smtp_port, "alice@acme.test",
                            [project["addresses"]["forward"]], _forward_of_the_first())
        context = build_context(service.settings)
        try:
            assert await service.store.run(drain, service.store, context) == len(
                CONVERSATION) + 1
        finally:
            context.background.close()
        with service.store.read() as session:
            rows = session.execute(select(Message.thread_id, Message.message_id)).all()
            channels = session.execute(
                select(Message.message_id, Interaction.channels)
                .join(Interaction, Interaction.message_ref == Message.id)).all()
        threads: dict[str, list[str]] = {}
        for thread_id, message_id in rows:
            threads.setdefault(thread_id, []).append(message_id)
        return (sorted(sorted(ids) for ids in threads.values()), len(rows),
                sorted((message_id, tuple(sorted(c))) for message_id, c in channels))

    finally:
        await service.stop()


def _forward_of_the_first() -> bytes:
    message_id, subject, _headers = CONVERSATION[0]
    original = email("alice@acme.test", "bob@client.test", subject, message_id=message_id)
    return (b"From: Alice <alice@acme.test>\r\nTo: fwd@acme.test\r\nSubject: Fwd: Offer\r\n"
            b"Message-ID: <fwd-a@acme.test>\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=B\r\n\r\n"
            b"--B\r\nContent-Type: text/plain\r\n\r\nFYI\r\n--B\r\n"
            b"Content-Type: message/rfc822\r\n\r\n" + original + b"\r\n--B--\r\n")


async def test_a_conversation_recorded_in_one_claim_is_threaded_as_one_by_one(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    for name in ("together", "alone"):
        (tmp_path / name).mkdir()
    with fresh_database_url(tmp_path / "together") as together_url:
        together = await _recorded(together_url, claim_batch=len(CONVERSATION) + 1)
    with fresh_database_url(tmp_path / "alone") as alone_url:
        alone = await _recorded(alone_url, claim_batch=1)

    assert together == alone == ([
        ["<a@acme.test>", "<b@client.test>", "<c@client.test>"],
        ["<d@acme.test>", "<e@client.test>", "<f@client.test>"],
        ["<g@acme.test>"]], 7, [
        ("<a@acme.test>", ("bcc", "forward")), *[
            (f"<{name}@{domain}.test>", ("bcc",))
            for name, domain in zip("bcdefg", ("client", "client", "acme", "client",
                                               "client", "acme"), strict=True)]])
    # The claim was recorded in one transaction, not refused and recorded one by one.
    assert "recording batch refused" not in caplog.text
