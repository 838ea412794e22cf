"""Slow API clients, over raw loopback sockets: a client gets `http_body_timeout` to send
a request's body; then it is answered 408 and disconnected.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import Any

import pytest

from blindcopy.runtime import Service
from blindcopy.settings import Settings
from tests.conftest import ADMIN_TOKEN

BODY_TIMEOUT = 1.0
# Waiting for an answer that must come after a timeout: the timeout plus ample slack.
ANSWER_WITHIN = 10.0
TIMEOUT_TYPE = "https://blindcopy.dev/problems/request-timeout"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Return the hostility settings with a short body timeout."""
    return replace(settings, http_body_timeout=BODY_TIMEOUT)


class RawHttp:
    """One TCP connection to the API that sends exactly the bytes it is given."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

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

    async def closed_by_server(self, timeout: float = ANSWER_WITHIN) -> bool:
        """Return True once the server has closed the connection."""
        try:
            rest = await asyncio.wait_for(self.reader.read(), timeout)
        except ConnectionError:
            return True
        return rest == b""

    async def close(self) -> None:
        """Close our side."""
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except ConnectionError:
            pass


def problem_type(body: bytes) -> str:
    """Return the `type` of a problem document."""
    document: dict[str, Any] = json.loads(body)
    return str(document["type"])


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
