"""The events outbox under failure (SPEC §10): an event exists exactly when its change
committed, and its webhook deliveries survive a kill -9 between commit and delivery.

The failure is real: a test-only trigger makes the store refuse a recording after its events
were inserted in the same transaction; the process is killed with SIGKILL.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from blindcopy.runtime import Service
from config.settings import Settings
from store.models import Event, Interaction, WebhookDelivery
from tests.client import ApiClient, eventually
from tests.conftest import ADMIN_TOKEN
from tests.reliability.conftest import BlindcopyProcess, _rows, execute
from tests.webhook_receiver import Receiver, running_receiver, verify_signature

MARKER = "refused-recording"
TRIGGER_ERROR = "refused by the test trigger"


def _raw(name: str) -> bytes:
    return (f"From: alice@acme.test\r\nTo: bob@client.test\r\nSubject: {name}\r\n"
            f"Message-ID: <{name}@acme.test>\r\n\r\nHello\r\n").encode()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Test settings: webhooks may reach the receiver on loopback; few, quick attempts."""
    return dataclasses.replace(settings, webhook_allow_private=True, max_attempts=2)


async def _refuse_decisions(engine: Engine) -> None:
    """Make the store refuse the decision of a message carrying the marker: the last write
    of a recording, after its interaction and events."""
    if engine.dialect.name == "sqlite":
        await execute(engine, f"""
            CREATE TRIGGER refuse BEFORE INSERT ON decisions WHEN NEW.body LIKE '%{MARKER}%'
            BEGIN SELECT RAISE(ABORT, '{TRIGGER_ERROR}'); END""")
    else:
        await execute(engine, f"""
            CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '{TRIGGER_ERROR}'; END $$""", f"""
            CREATE TRIGGER refuse BEFORE INSERT ON decisions FOR EACH ROW
            WHEN (NEW.body::text LIKE '%{MARKER}%') EXECUTE FUNCTION refuse()""")


async def _setup(api: ApiClient, receiver: Receiver) -> tuple[str, ApiClient, dict[str, Any]]:
    """A project with a member and contact bob, and a webhook to the receiver."""
    project = await api.post("/v1/projects", {"name": "Acme"}, expect=201)
    user = await api.post("/v1/users", {"name": "alice", "email": "alice@acme.test"},
                          expect=201)
    await api.request("PUT", f"/v1/projects/{project['id']}/members/{user['id']}", expect=204)
    token = await api.post(f"/v1/users/{user['id']}/tokens", expect=201)
    await api.put(f"/v1/projects/{project['id']}/contacts",
                  [{"external_id": "bob", "name": "Bob", "emails": ["bob@client.test"]}])
    webhook = await api.post("/v1/webhooks", {"url": receiver.url}, expect=201)
    return project["id"], api.as_user(token["token"]), webhook


async def _log(user: ApiClient, project_id: str, raw: bytes) -> tuple[int, Any]:
    return await user.request("POST", "/v1/log", data=raw, params={"project_id": project_id},
                              headers={"Content-Type": "message/rfc822"})


async def _events(engine: Engine) -> list[tuple[str, str]]:
    return [(row.id, row.type) for row in
            await _rows(engine, select(Event.id, Event.type).order_by(Event.seq))]


async def _delivery_states(engine: Engine) -> list[tuple[str, str, str]]:
    return [(row.webhook_id, row.event_id, row.status) for row in await _rows(
        engine, select(WebhookDelivery.webhook_id, WebhookDelivery.event_id,
                       WebhookDelivery.status).order_by(WebhookDelivery.event_id))]


async def test_an_event_exists_exactly_when_its_change_committed(
        service: Service, api: ApiClient, observer: Engine, engine: Engine) -> None:
    async with running_receiver() as receiver:
        project_id, user, webhook = await _setup(api, receiver)
        await _refuse_decisions(engine)

        status, _problem = await _log(user, project_id, _raw(MARKER))

        # The recording was refused after its event was written: both rolled back. The
        # workers retry it, are refused again, and keep the message as failed: that change
        # committed, and its event with it.
        assert status == 503
        failed = await eventually(lambda: _events_of(observer, "message.failed"))
        assert [t for _i, t in await _events(observer)] == ["message.failed"]
        assert await _rows(observer, select(Interaction.id)) == []

        status, decision = await _log(user, project_id, _raw("accepted"))

        assert status == 200, decision
        events = await _events(observer)
        assert [t for _i, t in events] == ["message.failed", "interaction.logged"]
        await _received(receiver, 2)
        assert sorted(r.webhook_id for r in receiver.received) == sorted(i for i, _t in events)
        assert all(verify_signature(webhook["secret"], r) for r in receiver.received)
        assert failed[0][0] in {r.webhook_id for r in receiver.received}


async def _events_of(engine: Engine, type_: str) -> list[tuple[str, str]]:
    return [event for event in await _events(engine) if event[1] == type_]


async def _received(receiver: Receiver, count: int, timeout: float = 15.0) -> None:
    async def enough() -> bool:
        return len(receiver.received) >= count
    await eventually(enough, timeout=timeout)


async def test_deliveries_committed_before_a_kill_are_made_after_the_restart_once(
        database_url: str, engine: Engine, observer: Engine, tmp_path: Path,
        processes: list[BlindcopyProcess]) -> None:
    async with running_receiver() as first_receiver, running_receiver() as second_receiver:
        # No workers: the capture commits its interaction, event and deliveries, and
        # nothing delivers them before the kill.
        before = BlindcopyProcess("serve", database_url, tmp_path / "before.log", workers=0,
                                  webhook_allow_private="true")
        processes.append(before.start())
        await before.wait_ready()
        async with ApiClient(f"http://127.0.0.1:{before.http_port}", ADMIN_TOKEN) as api:
            project_id, user, first = await _setup(api, first_receiver)
            second = await api.post("/v1/webhooks", {"url": second_receiver.url}, expect=201)
            status, decision = await _log(user, project_id, _raw("kept"))
            assert status == 200, decision
        before.kill()

        [(event_id, event_type)] = await _events(observer)
        assert event_type == "interaction.logged"
        assert sorted(await _delivery_states(observer)) == sorted(
            [(first["id"], event_id, "pending"), (second["id"], event_id, "pending")])
        assert first_receiver.received == second_receiver.received == []

        after = BlindcopyProcess("serve", database_url, tmp_path / "after.log", workers=2,
                                 webhook_allow_private="true")
        processes.append(after.start())
        await after.wait_ready()

        async def all_delivered() -> bool:
            return {s for _w, _e, s in await _delivery_states(observer)} == {"delivered"}
        await eventually(all_delivered, timeout=20)
        after.stop()

        for receiver, webhook in ((first_receiver, first), (second_receiver, second)):
            [delivery] = receiver.received
            assert delivery.webhook_id == event_id
            assert verify_signature(webhook["secret"], delivery)
            assert delivery.json["type"] == "interaction.logged"
