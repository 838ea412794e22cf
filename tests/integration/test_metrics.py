"""GET /metrics over HTTP: Prometheus text with received, processed, latency, SMTP replies, queue."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import aiosmtplib
import pytest
from prometheus_client.parser import text_string_to_metric_families

from api.openapi import OPERATIONS
from api.routes import ROUTES
from blindcopy.runtime import Service, start_service
from config.settings import Settings
from metrics import STAGES
from tests.client import ApiClient, eventually, free_port, send_smtp
from tests.conftest import ADMIN_TOKEN
from tests.directory import a_project, a_token, a_user, contacts, email

ROOT = Path(__file__).resolve().parents[2]
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(port: int, token: str | None = ADMIN_TOKEN) -> tuple[int, str, str]:
    """GET /metrics; return (status, content type, body)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{port}/metrics", headers=headers) as response:
            return response.status, response.headers["Content-Type"], await response.text()


def samples(text: str) -> Samples:
    """Return every sample of a Prometheus text body keyed by (name, sorted labels)."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


async def _processed(port: int) -> Samples | None:
    found = samples((await scrape(port))[2])
    return found if found.get(("blindcopy_messages_processed_total",
                               (("status", "done"),))) == 2 else None


async def test_metrics_count_smtp_and_processing(service: Service, api: ApiClient) -> None:
    project = await a_project(api, "Acme Homes")
    await a_user(api, "Alice", "alice@acme.test", projects=(project["id"],))
    await contacts(api, project["id"], ("bob", "Bob", ["bob@client.test"]))
    for number in (1, 2):
        await send_smtp(service.smtp_port, "alice@acme.test", [project["addresses"]["bcc"]],
                        email("alice@acme.test", "bob@client.test", message_id=f"<m{number}@a>"))
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
        await send_smtp(service.smtp_port, "alice@acme.test", ["nobody@elsewhere.test"],
                        email("alice@acme.test", "bob@client.test"))

    found = await eventually(lambda: _processed(service.http_port))

    assert found[("blindcopy_messages_received_total", (("channel", "bcc"),))] == 2
    assert found[("blindcopy_smtp_replies_total", (("code", "550"),))] == 1
    # Per message: 220 greeting, EHLO, MAIL, RCPT, DATA 354, 250 queued, QUIT 221.
    assert found[("blindcopy_smtp_replies_total", (("code", "354"),))] == 2
    assert found[("blindcopy_processing_latency_seconds_count", ())] == 2
    assert found[("blindcopy_queue_depth", (("status", "queued"),))] == 0
    assert found[("blindcopy_queue_depth", (("status", "processing"),))] == 0
    assert found[("blindcopy_messages_retried_total", ())] == 0
    # Each step of processing is timed once per message; idle polls are not claims.
    for stage in STAGES:
        assert found[("blindcopy_stage_seconds_count", (("stage", stage),))] == 2, stage
        assert found[("blindcopy_stage_seconds_sum", (("stage", stage),))] > 0, stage


@pytest.fixture
async def idle_service(settings: Settings) -> AsyncIterator[Service]:
    """Run SMTP and the API without workers, so received mail stays queued."""
    running = await start_service(settings, workers=0)
    yield running
    await running.stop()


async def test_queue_depth_is_read_from_the_store(idle_service: Service) -> None:
    async with ApiClient(f"http://127.0.0.1:{idle_service.http_port}", ADMIN_TOKEN) as api:
        project = await a_project(api, "Acme Homes")
    await send_smtp(idle_service.smtp_port, "alice@acme.test", [project["addresses"]["bcc"]],
                    email("alice@acme.test", "bob@client.test"))

    status, content_type, body = await scrape(idle_service.http_port)

    assert status == 200 and content_type.startswith("text/plain")
    assert samples(body)[("blindcopy_queue_depth", (("status", "queued"),))] == 1


async def test_metrics_need_an_admin_unless_public(service: Service, api: ApiClient,
                                                   settings: Settings) -> None:
    user = await a_user(api, "Alice", "alice@acme.test")
    assert (await scrape(service.http_port, token=None))[0] == 401
    assert (await scrape(service.http_port, token=await a_token(api, user["id"])))[0] == 403

    public = await start_service(dataclasses.replace(settings, metrics_public=True),
                                 smtp=False, workers=0)
    try:
        assert (await scrape(public.http_port, token=None))[0] == 200
    finally:
        await public.stop()


def test_metrics_route_is_in_the_openapi_document() -> None:
    routed = {(route.method, route.path) for route in ROUTES}
    assert ("GET", "/metrics") in routed
    assert routed == set(OPERATIONS)


async def _worker_processed(port: int) -> Samples | None:
    try:
        status, _type, body = await scrape(port)
    except aiohttp.ClientError:
        return None
    found = samples(body) if status == 200 else {}
    return found if found.get(("blindcopy_messages_processed_total",
                               (("status", "done"),))) == 1 else None


async def test_worker_process_serves_its_own_metrics(idle_service: Service,
                                                     settings: Settings) -> None:
    # The gateway has no workers; a `blindcopy worker` process does the processing and
    # shows its counters on its metrics port (the API is not served there).
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BLINDCOPY_DATABASE_URL": settings.database_url,
           "BLINDCOPY_WORKERS": "1", "BLINDCOPY_METRICS_PORT": str(port),
           "BLINDCOPY_ADMIN_TOKEN": ADMIN_TOKEN}
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "blindcopy.cli", "worker", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        async with ApiClient(f"http://127.0.0.1:{idle_service.http_port}", ADMIN_TOKEN) as api:
            project = await a_project(api, "Acme Homes")
            await a_user(api, "Alice", "alice@acme.test", projects=(project["id"],))
            await contacts(api, project["id"], ("bob", "Bob", ["bob@client.test"]))
        await send_smtp(idle_service.smtp_port, "alice@acme.test",
                        [project["addresses"]["bcc"]], email("alice@acme.test", "bob@client.test"))

        found = await eventually(lambda: _worker_processed(port), timeout=30)

        for stage in STAGES:
            assert found[("blindcopy_stage_seconds_count", (("stage", stage),))] == 1, stage
        assert found[("blindcopy_queue_depth", (("status", "queued"),))] == 0
        gateway = samples((await scrape(idle_service.http_port))[2])
        assert ("blindcopy_messages_processed_total", (("status", "done"),)) not in gateway
        assert (await scrape(port, token=None))[0] == 401
        async with aiohttp.ClientSession() as http, http.get(
                f"http://127.0.0.1:{port}/v1/projects",
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as response:
            assert response.status == 404
    finally:
        worker.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(worker.wait(), 30) == 0
