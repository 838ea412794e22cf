"""Slow and greedy API clients, over raw loopback sockets.

A client gets `http_header_timeout` to send a request's line and headers (counted from
the connection's start, or from its first byte after a response) and `http_body_timeout`
for the body; then it is answered 408 and disconnected. Connections are capped per client
address (`http_max_connections_per_ip`) and in all (`http_max_connections`): past a cap a
new connection is answered 503 with Retry-After and closed. The issue saw 300 connections
sending a header line every 10 s all still open after 130 s.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import aiohttp
import pytest

from blindcopy.runtime import Service, start_service
from config.settings import Settings
from tests.client import eventually
from tests.conftest import ADMIN_TOKEN
from tests.hostility.raw_smtp import RawConnection

HEADER_TIMEOUT = 1.0
BODY_TIMEOUT = 1.0
PER_IP = 3
IN_ALL = 6
# Waiting for an answer that must come after a timeout: the timeout plus ample slack.
ANSWER_WITHIN = 10.0
TIMEOUT_TYPE = "https://blindcopy.dev/problems/request-timeout"
UNAVAILABLE_TYPE = "https://blindcopy.dev/problems/unavailable"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Return the hostility settings with short request timeouts and small caps."""
    return replace(settings, http_header_timeout=HEADER_TIMEOUT,
                   http_body_timeout=BODY_TIMEOUT, http_max_connections=IN_ALL,
                   http_max_connections_per_ip=PER_IP)


@pytest.fixture
async def patient_service(settings: Settings) -> AsyncIterator[Service]:
    """Run the API with long timeouts, so idle connections stay open for the cap tests."""
    running = await start_service(replace(settings, http_header_timeout=60.0), smtp=False,
                                  workers=0)
    yield running
    await running.stop()


class RawHttp(RawConnection):
    """One TCP connection to the API that sends exactly the bytes it is given."""

    @classmethod
    async def connect(cls, port: int, source: str = "127.0.0.1") -> RawHttp:
        """Open a connection from `source` (any 127/8 address)."""
        return cls(*await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0)))

    async def send(self, data: bytes) -> None:
        """Write raw bytes (a closed connection is not an error here)."""
        self.writer.write(data)
        try:
            await self.writer.drain()
        except ConnectionError:
            pass

    async def answer(self, timeout: float = ANSWER_WITHIN) -> tuple[int, dict[str, str], bytes]:
        """Read one response (status, headers, body); the server must then close."""
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), timeout)
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines if ln)}
        body = await asyncio.wait_for(
            self.reader.readexactly(int(headers.get("content-length", "0"))), timeout)
        return int(status_line.split()[1]), headers, body



def problem_type(body: bytes) -> str:
    """Return the `type` of a problem document."""
    document: dict[str, Any] = json.loads(body)
    return str(document["type"])


async def test_request_head_sent_too_slowly_gets_408_and_is_closed(service: Service) -> None:
    client = await RawHttp.connect(service.http_port)
    try:
        await client.send(b"GET /healthz HTTP/1.1\r\nHost: blindcopy\r\n")

        async def trickle() -> None:
            for number in range(int(ANSWER_WITHIN / 0.25)):
                await asyncio.sleep(0.25)
                await client.send(f"X-Slow-{number}: one header line at a time\r\n".encode())

        trickling = asyncio.create_task(trickle())
        try:
            status, headers, body = await client.answer()
        finally:
            trickling.cancel()
        assert (status, problem_type(body)) == (408, TIMEOUT_TYPE), body
        assert headers["connection"] == "close"
        assert await client.closed_by_server()
    finally:
        await client.close()


async def test_connection_that_sends_nothing_gets_408(service: Service) -> None:
    client = await RawHttp.connect(service.http_port)
    try:
        status, _headers, body = await client.answer()
        assert (status, problem_type(body)) == (408, TIMEOUT_TYPE)
        assert await client.closed_by_server()
    finally:
        await client.close()


async def test_body_sent_too_slowly_gets_408_problem(service: Service) -> None:
    client = await RawHttp.connect(service.http_port)
    try:
        await client.send(b"POST /v1/projects HTTP/1.1\r\nHost: blindcopy\r\n"
                          b"Authorization: Bearer " + ADMIN_TOKEN.encode() + b"\r\n"
                          b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                          b'{"name": "sl')
        status, headers, body = await client.answer()
        assert (status, problem_type(body)) == (408, TIMEOUT_TYPE), body
        assert headers["content-type"].startswith("application/problem+json")
        assert headers["connection"] == "close"
    finally:
        await client.close()


async def test_keep_alive_connection_idle_between_requests_is_not_cut(
        service: Service) -> None:
    # The head timeout runs while a request is arriving, not while a client thinks.
    connector = aiohttp.TCPConnector(limit=1)
    async with aiohttp.ClientSession(connector=connector) as http:
        for _ in range(2):
            async with http.get(f"http://127.0.0.1:{service.http_port}/healthz") as response:
                assert response.status == 200
            await asyncio.sleep(HEADER_TIMEOUT * 1.5)


async def _held(port: int, sources: list[str]) -> list[RawHttp]:
    return [await RawHttp.connect(port, source) for source in sources]


async def test_connections_past_the_per_ip_cap_get_503(patient_service: Service) -> None:
    port = patient_service.http_port
    held = await _held(port, ["127.0.0.1"] * PER_IP)
    try:
        async def refused() -> bool:
            extra = await RawHttp.connect(port)
            try:
                status, headers, body = await extra.answer()
            finally:
                await extra.close()
            assert headers["retry-after"].isdigit()
            return status == 503 and problem_type(body) == UNAVAILABLE_TYPE

        assert await eventually(refused, timeout=5)
        # A real client from that address is told the same.
        async with aiohttp.ClientSession() as http, http.get(
                f"http://127.0.0.1:{port}/healthz") as response:
            assert response.status == 503
        # Another address is served.
        connector = aiohttp.TCPConnector(local_addr=("127.0.0.2", 0))
        async with aiohttp.ClientSession(connector=connector) as http, http.get(
                f"http://127.0.0.1:{port}/healthz") as response:
            assert response.status == 200
    finally:
        for client in held:
            await client.close()


async def test_connections_past_the_process_cap_get_503_until_one_closes(
        patient_service: Service) -> None:
    port = patient_service.http_port
    sources = [f"127.0.0.{n % (IN_ALL // 2) + 1}" for n in range(IN_ALL)]
    held = await _held(port, sources)
    try:
        extra = await RawHttp.connect(port, "127.0.0.99")
        try:
            status, _headers, body = await extra.answer()
        finally:
            await extra.close()
        assert (status, problem_type(body)) == (503, UNAVAILABLE_TYPE)
        await held.pop().close()

        async def served() -> bool:
            connector = aiohttp.TCPConnector(local_addr=("127.0.0.99", 0))
            async with aiohttp.ClientSession(connector=connector) as http, http.get(
                    f"http://127.0.0.1:{port}/healthz") as response:
                return response.status == 200

        assert await eventually(served, timeout=5)
    finally:
        for client in held:
            await client.close()
