"""The Log button under overload: refused with 503 + Retry-After, never a 500, nothing lost."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from pytest_aiohttp import AiohttpClient
from sqlalchemy import func, select
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from api.app import create_app
from config.settings import Settings
from processing.claim import is_temporary
from processing.context import ProcessingContext
from processing.service import ProcessingService
from store.database import Store, create_engine
from store.models import ReceivedMessage
from tests.integration.api.support import Directory, problem_of

RAW = (b"From: alice@acme.test\r\nTo: bob@client.test\r\nSubject: Hi\r\n"
       b"Date: Tue, 24 Nov 2026 10:00:00 +0000\r\nMessage-ID: <busy-1@acme.test>\r\n\r\nHello\r\n")
RFC822 = {"Content-Type": "message/rfc822"}


def _spooled(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(ReceivedMessage)).scalar_one())


async def test_log_beyond_the_capture_queue_is_503_with_retry_after_and_spools_nothing(
    aiohttp_client: AiohttpClient, api_settings: Settings,
    store: Store, context: ProcessingContext,
) -> None:
    port = ProcessingService(store, context, max_concurrent_captures=1)
    client = await aiohttp_client(create_app(api_settings, store, port))
    directory = Directory(client)
    project = await directory.project()
    _alice, token = await directory.member_with_token(project["id"], "alice@acme.test")
    release = asyncio.Event()

    async def hold() -> None:
        async with port.gate.admit():
            await release.wait()

    # One capture running and one waiting fill a gate of one.
    holders = [asyncio.create_task(hold()) for _ in range(2)]
    await asyncio.sleep(0)
    assert port.gate.admitted == 2

    response = await client.post("/v1/log", data=RAW, params={"project_id": project["id"]},
                                 headers={**token, **RFC822})

    problem = await problem_of(response, 503)
    assert problem["type"].endswith("/unavailable")
    assert response.headers["Retry-After"] == "1"
    assert await store.run_read(_spooled) == 0
    release.set()
    await asyncio.gather(*holders)
    response = await client.post("/v1/log", data=RAW, params={"project_id": project["id"]},
                                 headers={**token, **RFC822})
    assert response.status == 200, await response.text()


@pytest.fixture
def one_connection_store(database_url: str, engine: object) -> Iterator[Store]:
    """Return a store whose pool has one connection and gives up after 0.2 s."""
    small = Store(create_engine(database_url, pool_size=1, max_overflow=0, pool_timeout=0.2))
    yield small
    small.close()


async def test_log_with_the_connection_pool_exhausted_is_503_not_500(
    aiohttp_client: AiohttpClient, api_settings: Settings, context: ProcessingContext,
    one_connection_store: Store,
) -> None:
    store = one_connection_store
    client = await aiohttp_client(create_app(
        api_settings, store, ProcessingService(store, context)))
    directory = Directory(client)
    project = await directory.project()
    _alice, token = await directory.member_with_token(project["id"], "alice@acme.test")

    # The test holds the only connection; the request's units of work run in the store's
    # threads, so they wait for the pool (not the event loop) and give up.
    with store.read() as holder:
        holder.connection()
        response = await client.post("/v1/log", data=RAW, params={"project_id": project["id"]},
                                     headers={**token, **RFC822})
        problem = await problem_of(response, 503)

    assert problem["type"].endswith("/unavailable")
    assert response.headers["Retry-After"].isdigit()


def test_an_exhausted_connection_pool_is_a_temporary_failure() -> None:
    assert is_temporary(PoolTimeout("QueuePool limit reached"))
