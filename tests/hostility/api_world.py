"""Two projects seen from a hostile member: the directory the API hostility tests attack.

Alice is a member of project A only and holds a user token; Bob is a member of project B,
which has a contact, an ignored and a never-log entry, Bob's mailbox, a logged interaction,
its received message and thread, and a token of Bob's. Everything is built through the real
API (and the Log button), except the thread id, which the API exposes only when pending.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from blindcopy.runtime import Service
from store.models import Message
from tests.client import ApiClient
from tests.directory import a_mailbox, a_project, a_token, a_user, contacts, email


@dataclass(frozen=True)
class World:
    """Ids of everything in the two projects."""

    project_a: str
    project_b: str
    alice: str
    alice_token: str
    bob: str
    bob_token: str
    bob_token_id: str
    b_contact: str
    b_ignored: str
    b_never_log: str
    b_mailbox: str
    b_interaction: str
    b_received: str
    b_thread: str
    global_ignored: str
    b_company: str
    b_deal: str
    b_personal_never_log: str

    def b_ids(self) -> list[str]:
        """Return the ids of project B's side, none of which Alice may see."""
        return [self.project_b, self.bob, self.bob_token, self.bob_token_id, self.b_contact, self.b_ignored,
                self.b_never_log, self.b_mailbox, self.b_interaction, self.b_received,
                self.b_thread, self.b_company, self.b_deal, self.b_personal_never_log]


def raw_message(message_id: str = "<b-offer@b.test>") -> bytes:
    """Return the message Bob logged in project B."""
    return email("Bob <bob@b.test>", "Carol <carol@client.test>", "Project B offer",
                 message_id=message_id)


def base64_message() -> str:
    """Return the message as base64 for JSON capture bodies."""
    return base64.b64encode(raw_message("<alice-try@a.test>")).decode()


async def build_world(service: Service, api: ApiClient) -> World:
    """Create both projects and everything in B through the API."""
    project_a = (await a_project(api, "Project A"))["id"]
    project_b = (await a_project(api, "Project B"))["id"]
    alice = (await a_user(api, "Alice", "alice@a.test", projects=(project_a,)))["id"]
    bob = (await a_user(api, "Bob", "bob@b.test", projects=(project_b,)))["id"]
    alice_token = await a_token(api, alice)
    bob_token = await api.post(f"/v1/users/{bob}/tokens", expect=201)
    b_contact = (await contacts(api, project_b, ("carol", "Carol", ["carol@client.test"])))["carol"]
    b_ignored = (await api.post(f"/v1/projects/{project_b}/ignored", {"pattern": "spam.test"},
                                expect=201))["id"]
    global_ignored = (await api.post("/v1/ignored", {"pattern": "bulk.test"}, expect=201))["id"]
    b_never_log = (await api.post(f"/v1/projects/{project_b}/never-log",
                                  {"address": "private@client.test"}, expect=201))["id"]
    b_mailbox = (await a_mailbox(api, bob, "bob@mail.b.test", [project_b]))["id"]
    decision = await api.as_user(bob_token["token"]).post(
        f"/v1/log?project_id={project_b}", data=raw_message(), json=None,
        headers={"Content-Type": "message/rfc822"})
    [outcome] = decision["outcomes"]
    assert outcome["status"] == "logged", decision
    thread = await service.store.run_read(lambda session: session.execute(
        select(Message.thread_id).where(Message.message_id == decision["message_id"])
    ).scalar_one())
    [b_company] = (await api.put(f"/v1/projects/{project_b}/companies", [
        {"external_id": "client", "name": "Client", "domains": ["client.test"]}]))["companies"]
    [b_deal] = (await api.put(f"/v1/projects/{project_b}/deals", [
        {"external_id": "deal", "name": "Deal", "status": "open",
         "contact_external_ids": ["carol"], "updated_at": "2026-11-23T16:12:00Z"}]))["deals"]
    b_personal_never_log = (await api.post(f"/v1/users/{bob}/never-log",
                                           {"address": "secret@client.test"}, expect=201))["id"]
    return World(project_a, project_b, alice, alice_token, bob, bob_token["token"],
                 bob_token["id"], b_contact,
                 b_ignored, b_never_log, b_mailbox, outcome["interaction_id"],
                 decision["received_id"], thread, global_ignored, b_company["id"],
                 b_deal["id"], b_personal_never_log)


async def project_b_state(api: ApiClient, world: World) -> dict[str, Any]:
    """Return everything about project B an admin can read, to compare before and after."""
    b, bob = world.project_b, world.bob
    paths = [f"/v1/projects/{b}", f"/v1/projects/{b}/contacts", f"/v1/projects/{b}/ignored",
             "/v1/ignored",
             f"/v1/projects/{b}/never-log",
             f"/v1/projects/{b}/contacts/{world.b_contact}/interactions",
             f"/v1/projects/{b}/companies/{world.b_company}/interactions",
             f"/v1/projects/{b}/deals/{world.b_deal}/interactions",
             f"/v1/interactions/{world.b_interaction}",
             f"/v1/mailboxes/{world.b_mailbox}", f"/v1/users/{bob}", f"/v1/users/{bob}/tokens",
             f"/v1/users/{bob}/never-log",
             f"/v1/messages/{world.b_received}/decision", "/v1/projects", "/v1/users",
             "/v1/mailboxes", "/v1/threads?status=open"]
    state = {path: await api.get(path) for path in paths}
    # Memberships show in what Bob himself sees (and his token must still work).
    state["bob sees"] = await api.as_user(world.bob_token).get("/v1/projects")
    return state
