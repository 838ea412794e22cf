"""Threads: messages of one conversation share a thread whatever order they are recorded in."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from blindcopy.runtime import Service, build_context, start_service
from blindcopy.settings import load_settings
from processing.worker import drain
from store.models import Interaction, Message
from tests.client import ApiClient, send_smtp
from tests.conftest import ADMIN_TOKEN
from tests.database import fresh_database_url
from tests.directory import a_mailbox, a_project, a_user, contacts, email
from tests.scenarios.world import sync


async def _thread_of(service: Service, message_id: str) -> str:
    async with service.sessionmaker() as session:
        query = select(Message.thread_id).where(Message.message_id == message_id)
        return str((await session.execute(query)).scalar_one())


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


async def _recorded(database_url: str, claim_batch: int) -> tuple[list[list[str]], int, int]:
    """Send CONVERSATION by BCC, record it `claim_batch` at a time; return the threads'
    Message-IDs (grouped), the stored messages and the interactions."""
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
        assert await drain(service.sessionmaker, build_context(service.settings)) == len(
            CONVERSATION)
        async with service.sessionmaker() as session:
            rows = (await session.execute(select(Message.thread_id, Message.message_id))).all()
            interactions = await session.scalar(select(func.count()).select_from(Interaction))
        threads: dict[str, list[str]] = {}
        for thread_id, message_id in rows:
            threads.setdefault(thread_id, []).append(message_id)
        return sorted(sorted(ids) for ids in threads.values()), len(rows), int(interactions or 0)
    finally:
        await service.stop()


async def test_a_conversation_recorded_in_one_claim_is_threaded_as_one_by_one(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    for name in ("together", "alone"):
        (tmp_path / name).mkdir()
    async with fresh_database_url(tmp_path / "together") as together_url:
        together = await _recorded(together_url, claim_batch=len(CONVERSATION))
    async with fresh_database_url(tmp_path / "alone") as alone_url:
        alone = await _recorded(alone_url, claim_batch=1)

    assert together == alone == ([
        ["<a@acme.test>", "<b@client.test>", "<c@client.test>"],
        ["<d@acme.test>", "<e@client.test>", "<f@client.test>"],
        ["<g@acme.test>"]], 7, 7)
    # The claim was recorded in one transaction, not refused and recorded one by one.
    assert "recording batch refused" not in caplog.text
