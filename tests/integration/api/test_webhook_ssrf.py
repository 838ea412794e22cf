"""No SSRF (SPEC §10): webhooks may not reach loopback, private, link-local or metadata
addresses, neither when registered nor when delivered (a name that resolves elsewhere by
then is checked again), unless webhook_allow_private is set."""

from __future__ import annotations

import dataclasses

import pytest

from blindcopy.runtime import Service, build_context
from config.settings import Settings
from processing.webhooks import WebhookSender, deliver_due
from store.database import Store
from store.events import EventType, emit
from store.models import Webhook, WebhookDelivery
from tests.client import ApiClient
from tests.webhook_receiver import running_receiver

REFUSED = ["http://127.0.0.1:8080/hook", "http://localhost/hook", "http://[::1]/hook",
           "http://169.254.169.254/latest/meta-data/", "http://10.1.2.3/hook",
           "https://192.168.0.10/hook", "http://[::ffff:127.0.0.1]/hook",
           "http://100.64.0.1/hook", "http://0.0.0.0/hook"]


@pytest.mark.parametrize("url", REFUSED)
async def test_a_webhook_to_a_non_global_address_is_refused(
        service: Service, api: ApiClient, url: str) -> None:
    status, problem = await api.request("POST", "/v1/webhooks", json={"url": url})

    assert status == 422, problem
    [error] = problem["errors"]
    assert error["field"] == "url"
    assert await api.get("/v1/webhooks") == {"items": [], "next": None}


async def test_a_webhook_to_a_global_address_is_registered(
        service: Service, api: ApiClient) -> None:
    created = await api.post("/v1/webhooks", {"url": "https://93.184.216.34/hook"},
                             expect=201)
    await api.delete(f"/v1/webhooks/{created['id']}")


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
async def test_a_delivery_is_refused_when_its_host_reaches_a_private_address(
        store: Store, settings: Settings, host: str) -> None:
    """Registered while allowed (or before its name pointed here), refused at delivery."""
    async with running_receiver() as receiver:
        url = receiver.url.replace("127.0.0.1", host)
        with store.write() as session:
            session.add(Webhook(id="hook", url=url, secret="whsec_" + "A" * 44))
            session.flush()
            emit(session, None, EventType.MESSAGE_FAILED, {"id": "m"})
        ctx = build_context(dataclasses.replace(settings, webhook_allow_private=False))
        try:
            assert deliver_due(store, ctx, "test", WebhookSender(ctx)) == 1
        finally:
            ctx.background.close()

        assert receiver.received == []
        with store.read() as session:
            delivery = session.query(WebhookDelivery).one()
            [attempt] = delivery.attempts_log
        assert (delivery.status, attempt["status_code"]) == ("pending", None)
        assert "not a global address" in attempt["error"]
