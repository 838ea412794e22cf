"""Retention windows (SPEC §13), applied by the workers, with the service's clock moved.

Events are stamped with the store's own time (not the service's clock): 31 days ahead,
every one of them is past event_retention_days.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from blindcopy.runtime import Service, start_service
from config.settings import Settings
from tests.client import ApiClient, eventually, send_smtp
from tests.conftest import ADMIN_TOKEN
from tests.directory import a_project, a_token, a_user, contacts, email, timeline
from tests.integration.privacy.support import (
    events_of,
    processed,
    raw_bytes,
    received_exists,
)
from tests.scenarios.world import log


class MovableClock:
    """The service's clock, moved forward by the test."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
async def aging(settings: Settings, clock: MovableClock) -> AsyncIterator[Service]:
    """The service on a movable clock, sweeping retention every few milliseconds."""
    service = await start_service(dataclasses.replace(
        settings, retention_interval_seconds=0.05, retention_batch=2), clock=clock)
    try:
        yield service
    finally:
        await service.stop()


async def _metric(api: ApiClient, name: str) -> str:
    status, _type, body = await api.get_bytes("/metrics")
    assert status == 200
    return next((line for line in body.decode().splitlines() if line.startswith(name)), "")


async def test_old_raws_and_unlogged_messages_go_after_their_windows(
        aging: Service, clock: MovableClock) -> None:
    async with ApiClient(f"http://127.0.0.1:{aging.http_port}", ADMIN_TOKEN) as api:
        project = await a_project(api, "Acme Homes")
        alice = await a_user(api, "Alice", "alice@acme.test", projects=(project["id"],))
        ids = await contacts(api, project["id"], ("bob", "Bob", ["bob@client.test"]))
        alice_api = api.as_user(await a_token(api, alice["id"]))
        logged = []
        for n in range(3):  # more than one batch (retention_batch = 2)
            raw = email("alice@acme.test", "bob@client.test", f"Offer {n}",
                        message_id=f"<logged-{n}@acme.test>")
            await send_smtp(aging.smtp_port, "alice@acme.test",
                            [project["addresses"]["bcc"]], raw)
            logged.append(await processed(api, f"<logged-{n}@acme.test>"))
        unlogged = await log(alice_api, email("alice@acme.test", "stranger@else.test",
                                              message_id="<unlogged@acme.test>"),
                             [project["id"]])
        assert unlogged["outcomes"][0]["status"] == "not_logged"
        assert all([await raw_bytes(aging, m["id"]) for m in logged])
        logged_events = await events_of(api, 3)
        assert [e["type"] for e in logged_events] == ["interaction.logged"] * 3

        clock.offset = timedelta(days=31)
        recent = await log(alice_api, email("alice@acme.test", "stranger@else.test",
                                            message_id="<recent@acme.test>"),
                           [project["id"]])

        async def swept() -> bool:
            raws = [await raw_bytes(aging, m["id"]) for m in logged]
            events = await _metric(api, 'blindcopy_retention_removed_total{kind="events"}')
            return raws == [b""] * 3 and events.endswith(" 3.0") and not await received_exists(
                aging, unlogged["received_id"])
        assert await eventually(swept)

        # What was logged stays: the messages, their decisions and the timeline.
        assert len(await timeline(api, project["id"], ids["bob"])) == 3
        decision = await api.get(f"/v1/messages/{logged[0]['id']}/decision")
        assert decision["outcomes"][0]["status"] == "logged"
        assert await received_exists(aging, recent["received_id"])
        # Four raws: the unlogged message's too (the raw sweep walks first), then it went.
        assert await _metric(api, 'blindcopy_retention_removed_total{kind="raws"}') \
            == 'blindcopy_retention_removed_total{kind="raws"} 4.0'
        assert await _metric(api, 'blindcopy_retention_removed_total{kind="unlogged"}') \
            == 'blindcopy_retention_removed_total{kind="unlogged"} 1.0'
        assert await _metric(api, 'blindcopy_retention_removed_total{kind="events"}') \
            == 'blindcopy_retention_removed_total{kind="events"} 3.0'
