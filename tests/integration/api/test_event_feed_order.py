"""The feed never passes an event that commits later with a smaller sequence (SPEC §10).

On PostgreSQL two transactions take sequence numbers in one order and may commit in the
other; the feed holds back what a still-running older transaction may precede. SQLite's
writers commit one at a time, so the situation cannot arise there.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import pytest

from store.database import Store
from store.events import EventType, emit
from tests.client import eventually
from tests.integration.api.support import ADMIN, Client


async def _feed(client: Client, after: str | None = None) -> tuple[list[str], str | None]:
    response = await client.get("/v1/events", headers=ADMIN,
                                params={"after": after} if after else {})
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return [e["data"]["name"] for e in body["items"]], body["next"]


async def test_an_event_committed_late_with_a_smaller_sequence_is_not_skipped(
        client: Client, store: Store) -> None:
    if store.is_sqlite:
        pytest.skip("SQLite writers commit one at a time: insertion order is commit order")
    with store.write() as session:
        emit(session, None, EventType.MESSAGE_FAILED, {"name": "first"})
    # Other sessions' transactions (other tests') may hold the feed back for a moment too.
    names, cursor = await eventually(lambda: _nonempty(_feed(client)))
    assert names == ["first"]

    with store.write() as slow:
        # The slow transaction takes the smaller sequence number and stays open while a
        # quick one commits an event after it.
        emit(slow, None, EventType.MESSAGE_FAILED, {"name": "slow"})
        with store.write() as quick:
            emit(quick, None, EventType.MESSAGE_FAILED, {"name": "quick"})
        held_back = await _feed(client, cursor)
    # A reader that went on from "quick" would never see "slow".
    assert held_back == ([], cursor)

    names, _cursor = await eventually(lambda: _nonempty(_feed(client, cursor)))
    assert names == ["slow", "quick"]


async def _nonempty(read: Awaitable[tuple[list[str], str | None]]
                    ) -> tuple[list[str], str | None] | None:
    names, cursor = await read
    return (names, cursor) if names else None
