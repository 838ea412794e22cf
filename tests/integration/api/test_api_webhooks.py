"""Webhooks over real sockets (SPEC §10): the service delivers events, signed per Standard
Webhooks, to a receiver on loopback; retries keep the webhook-id; filters keep projects apart.
"""

from __future__ import annotations

import base64
import dataclasses
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook as StandardWebhook

from blindcopy.runtime import Service
from config.settings import Settings
from processing.webhooks import MAX_ATTEMPTS, RETRY_SCHEDULE, retry_after
from store.queries.webhooks import Attempt, ClaimedDelivery
from tests.client import ApiClient, eventually
from tests.webhook_receiver import Receiver, running_receiver, verify_signature

RAW = (b"From: alice@acme.test\r\nTo: bob@client.test\r\nSubject: Offer\r\n"
       b"Date: Tue, 24 Nov 2026 10:00:00 +0000\r\nMessage-ID: <offer@acme.test>\r\n\r\nHi\r\n")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test settings, with webhooks allowed to reach the receiver on loopback."""
    return dataclasses.replace(settings, webhook_allow_private=True)


async def _project_with_user(api: ApiClient, name: str) -> tuple[str, ApiClient]:
    """Create a project, a member with a token and contact bob; return (id, their client)."""
    project = await api.post("/v1/projects", {"name": name}, expect=201)
    user = await api.post("/v1/users", {"name": name.lower(),
                                        "email": f"alice@{name.lower()}.test"}, expect=201)
    await api.request("PUT", f"/v1/projects/{project['id']}/members/{user['id']}", expect=204)
    token = await api.post(f"/v1/users/{user['id']}/tokens", expect=201)
    await api.put(f"/v1/projects/{project['id']}/contacts",
                  [{"external_id": "bob", "name": "Bob", "emails": ["bob@client.test"]}])
    return project["id"], api.as_user(token["token"])


async def _log(user: ApiClient, project_id: str, raw: bytes = RAW) -> dict[str, Any]:
    status, body = await user.request("POST", "/v1/log", data=raw,
                                      params={"project_id": project_id},
                                      headers={"Content-Type": "message/rfc822"})
    assert status == 200, body
    return dict(body)


async def _webhook(api: ApiClient, receiver: Receiver, **fields: Any) -> dict[str, Any]:
    return dict(await api.post("/v1/webhooks", {"url": receiver.url, **fields}, expect=201))


async def _deliveries(api: ApiClient, webhook_id: str, **params: str) -> list[dict[str, Any]]:
    return list((await api.get(f"/v1/webhooks/{webhook_id}/deliveries", params=params)
                 )["items"])


async def _events(reader: ApiClient) -> list[dict[str, Any]]:
    """Return the feed's first page once it shows something.

    On PostgreSQL the feed shows an event once every older transaction has ended (other
    tests' included): a delivery may arrive before it does.
    """
    async def page() -> list[dict[str, Any]]:
        return list((await reader.get("/v1/events"))["items"])
    return await eventually(page)


async def _received(receiver: Receiver, count: int, timeout: float = 10.0) -> None:
    async def enough() -> bool:
        return len(receiver.received) >= count
    await eventually(enough, timeout=timeout)


async def test_an_event_is_delivered_once_signed_per_standard_webhooks(
        service: Service, api: ApiClient) -> None:
    project_id, user = await _project_with_user(api, "Acme")
    async with running_receiver() as receiver:
        webhook = await _webhook(api, receiver, description="CRM")
        assert webhook["secret"].startswith("whsec_")
        assert len(base64.b64decode(webhook["secret"].removeprefix("whsec_"))) >= 24
        listed = await api.get("/v1/webhooks")
        assert [w["id"] for w in listed["items"]] == [webhook["id"]]
        assert "secret" not in listed["items"][0]
        assert "secret" not in await api.get(f"/v1/webhooks/{webhook['id']}")

        decision = await _log(user, project_id)
        await _received(receiver, 1)

        [delivery] = receiver.received
        [event] = await _events(api)
        assert delivery.webhook_id == event["id"]
        assert verify_signature(webhook["secret"], delivery)
        assert abs(int(delivery.headers["webhook-timestamp"]) - time.time()) < 60
        assert StandardWebhook(webhook["secret"]).verify(delivery.body, delivery.headers) == {
            "type": "interaction.logged", "timestamp": event["timestamp"],
            "data": event["data"]}
        assert event["data"]["id"] == decision["outcomes"][0]["interaction_id"]

        async def delivered() -> list[dict[str, Any]]:
            return await _deliveries(api, webhook["id"], status="delivered")
        [kept] = await eventually(delivered)
        assert (kept["event_id"], kept["event_type"]) == (event["id"], "interaction.logged")
        assert [a["status_code"] for a in kept["attempts"]] == [200]
        assert len(receiver.received) == 1


async def test_a_receiver_that_fails_first_gets_the_same_webhook_id_again(
        service: Service, api: ApiClient) -> None:
    project_id, user = await _project_with_user(api, "Acme")
    async with running_receiver(statuses=[500]) as receiver:
        webhook = await _webhook(api, receiver)
        await _log(user, project_id)

        await _received(receiver, 2, timeout=RETRY_SCHEDULE[0].total_seconds() + 10)

        first, second = receiver.received
        assert first.webhook_id == second.webhook_id
        assert verify_signature(webhook["secret"], second)
        [delivery] = await eventually(
            lambda: _deliveries(api, webhook["id"], status="delivered"))
        assert [(a["status_code"], a["error"]) for a in delivery["attempts"]] == [
            (500, "HTTP 500: refused"), (200, None)]


async def test_a_delivery_retried_by_hand_is_due_at_once(
        service: Service, api: ApiClient) -> None:
    project_id, user = await _project_with_user(api, "Acme")
    async with running_receiver(statuses=[503]) as receiver:
        webhook = await _webhook(api, receiver)
        await _log(user, project_id)
        [pending] = await eventually(
            lambda: _deliveries(api, webhook["id"], status="pending"))
        await eventually(lambda: _attempted(api, webhook["id"]))

        retried = await api.post(
            f"/v1/webhooks/{webhook['id']}/deliveries/{pending['id']}/retry")

        assert retried["status"] == "pending"
        await _received(receiver, 2, timeout=4)
        assert len({r.webhook_id for r in receiver.received}) == 1
        await api.post(f"/v1/webhooks/{webhook['id']}/deliveries/nope/retry", expect=404)


async def _attempted(api: ApiClient, webhook_id: str) -> bool:
    return any(d["attempts"] for d in await _deliveries(api, webhook_id))


async def test_filters_keep_other_projects_events_from_a_webhook(
        service: Service, api: ApiClient) -> None:
    acme_id, acme_user = await _project_with_user(api, "Acme")
    other_id, other_user = await _project_with_user(api, "Other")
    async with running_receiver() as for_other, running_receiver() as for_unlogs:
        other_hook = await _webhook(api, for_other, project_ids=[other_id])
        unlog_hook = await _webhook(api, for_unlogs, types=["interaction.unlogged"])

        acme_decision = await _log(acme_user, acme_id)
        await _log(other_user, other_id)
        await acme_user.delete(f"/v1/interactions/{acme_decision['outcomes'][0]['interaction_id']}")
        await _received(for_other, 1)
        await _received(for_unlogs, 1)

        other_events = await _events(other_user)
        assert {e["project_id"] for e in other_events} == {other_id}
        assert [r.webhook_id for r in for_other.received] == [e["id"] for e in other_events]
        [unlogged] = for_unlogs.received
        assert (unlogged.json["type"], unlogged.json["data"]["project_id"]) == (
            "interaction.unlogged", acme_id)
        assert len((await _deliveries(api, other_hook["id"]))) == 1
        assert len((await _deliveries(api, unlog_hook["id"]))) == 1


async def test_webhooks_are_for_admins_and_go_with_their_deliveries(
        service: Service, api: ApiClient) -> None:
    project_id, user = await _project_with_user(api, "Acme")
    async with running_receiver() as receiver:
        await user.post("/v1/webhooks", {"url": receiver.url}, expect=403)
        await user.get("/v1/webhooks", expect=403)
        webhook = await _webhook(api, receiver)
        for body in ({"url": "ftp://example.test/"}, {"url": receiver.url, "types": ["x.y"]},
                     {"url": receiver.url, "project_ids": ["nope"]}, {}):
            await api.post("/v1/webhooks", body, expect=422)
        await api.get(f"/v1/webhooks/{webhook['id']}/deliveries",
                      params={"status": "lost"}, expect=422)

        await api.delete(f"/v1/webhooks/{webhook['id']}")

        await api.get(f"/v1/webhooks/{webhook['id']}", expect=404)
        await api.get(f"/v1/webhooks/{webhook['id']}/deliveries", expect=404)
        await _log(user, project_id)
        assert receiver.received == []


def test_retries_follow_the_schedule_then_stop() -> None:
    def refused(attempt: int) -> Attempt:
        delivery = ClaimedDelivery("d", attempt, "https://crm.test/", "whsec_", "evt_1",
                                   "interaction.logged", datetime.now(UTC), {})
        return Attempt(delivery, datetime.now(UTC), 500, "HTTP 500")

    waits = [retry_after(refused(n)) for n in range(1, MAX_ATTEMPTS + 1)]
    assert [w.total_seconds() if w else None for w in waits] == [
        5, 300, 1800, 7200, 18000, 36000, 36000, None]
