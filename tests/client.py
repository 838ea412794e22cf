"""Test clients over real sockets: HTTP (aiohttp) and SMTP (aiosmtplib), plus waiting helpers."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import aiosmtplib

T = TypeVar("T")


class ApiClient:
    """A small JSON client for the blindcopy API with a bearer token."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.token = token
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> ApiClient:
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object
                        ) -> None:
        assert self._session is not None
        await self._session.close()

    def as_user(self, token: str) -> ApiClient:
        """Return a client sharing the connection pool but using another token."""
        other = ApiClient(self.base_url, token)
        other._session = self._session
        return other

    async def request(self, method: str, path: str, *, expect: int | None = None,
                      **kwargs: Any) -> tuple[int, Any]:
        """Send a request; return (status, parsed JSON or text); check `expect` if given."""
        assert self._session is not None
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        async with self._session.request(method, self.base_url + path, headers=headers,
                                         **kwargs) as response:
            body: Any = (await response.json(content_type=None)
                         if response.content_length != 0 else None)
            if expect is not None:
                assert response.status == expect, (method, path, response.status, body)
            return response.status, body

    async def get_bytes(self, path: str) -> tuple[int, str, bytes]:
        """GET a body that is not JSON; return (status, media type, bytes)."""
        assert self._session is not None
        headers = {"Authorization": f"Bearer {self.token}"}
        async with self._session.get(self.base_url + path, headers=headers) as response:
            return response.status, response.content_type, await response.read()

    async def get(self, path: str, expect: int = 200, **kwargs: Any) -> Any:
        """GET and return the JSON body."""
        return (await self.request("GET", path, expect=expect, **kwargs))[1]

    async def post(self, path: str, json: Any = None, expect: int = 200, **kwargs: Any) -> Any:
        """POST JSON and return the JSON body."""
        return (await self.request("POST", path, json=json, expect=expect, **kwargs))[1]

    async def put(self, path: str, json: Any = None, expect: int = 200) -> Any:
        """PUT JSON and return the JSON body."""
        return (await self.request("PUT", path, json=json, expect=expect))[1]

    async def patch(self, path: str, json: Any = None, expect: int = 200) -> Any:
        """PATCH JSON and return the JSON body."""
        return (await self.request("PATCH", path, json=json, expect=expect))[1]

    async def delete(self, path: str, expect: int = 204) -> Any:
        """DELETE and return the body (usually none)."""
        return (await self.request("DELETE", path, expect=expect))[1]


async def send_smtp(port: int, mail_from: str, rcpt_to: list[str], raw: bytes) -> Any:
    """Send one message over SMTP to the local gateway; return aiosmtplib's answer."""
    return await aiosmtplib.send(raw, sender=mail_from, recipients=rcpt_to,
                                 hostname="127.0.0.1", port=port, start_tls=False,
                                 use_tls=False, timeout=10)


async def eventually(probe: Callable[[], Awaitable[T | None]], timeout: float = 10.0,
                     interval: float = 0.05) -> T:
    """Poll `probe` until it returns something truthy; fail after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await probe()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)


def child_pids(pid: int) -> list[int]:
    """Return the ids of the processes whose parent is `pid` (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def free_port() -> int:
    """Return a loopback TCP port that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
