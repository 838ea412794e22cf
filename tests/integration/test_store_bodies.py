"""Project setting store_bodies: full bodies are kept only for projects that want them."""

from __future__ import annotations

from sqlalchemy import select

from blindcopy.runtime import Service
from store.models import Message
from tests.client import ApiClient
from tests.directory import a_project, a_token, a_user, contacts, email
from tests.scenarios.world import log


async def _stored(service: Service, project_id: str,
                  message_id: str) -> tuple[str | None, str]:
    """Return the text and preview of the email as recorded in the project."""
    row = await service.store.run_read(lambda session: session.execute(
        select(Message.text, Message.preview).where(
            Message.project_id == project_id, Message.message_id == message_id)).one())
    return row.text, row.preview


async def test_body_is_kept_only_when_a_logging_project_stores_bodies(
        service: Service, api: ApiClient) -> None:
    private = await a_project(api, "Private", store_bodies=False)
    keeping = await a_project(api, "Keeping")
    alice = await a_user(api, "Alice", "alice@acme.test", projects=(private["id"], keeping["id"]))
    for project in (private, keeping):
        await contacts(api, project["id"], ("bob", "Bob", ["bob@client.test"]))
    alice_api = api.as_user(await a_token(api, alice["id"]))
    raw = email("alice@acme.test", "bob@client.test", message_id="<body@acme.test>",
                body="The confidential offer is 500k.")

    await log(alice_api, raw, [private["id"]])
    text, preview = await _stored(service, private["id"], "<body@acme.test>")
    assert text is None
    assert preview == "The confidential offer is 500k."

    await log(alice_api, raw, [keeping["id"]])
    text, _ = await _stored(service, keeping["id"], "<body@acme.test>")
    assert text is not None and "The confidential offer is 500k." in text
    # Each project has its own record of the email (SPEC §9): the private one still has none.
    text, preview = await _stored(service, private["id"], "<body@acme.test>")
    assert text is None
    assert preview == "The confidential offer is 500k."
