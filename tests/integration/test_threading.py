"""Threads: messages of one conversation share a thread whatever order they are recorded in."""

from __future__ import annotations

from sqlalchemy import select

from blindcopy.runtime import Service
from store.models import Message
from tests.client import ApiClient
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
