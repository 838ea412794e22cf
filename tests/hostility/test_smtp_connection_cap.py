"""A cap on all SMTP connections of the process together (`max_connections`), beyond the
per-client one: past it, every new client is told 421 4.7.0 and disconnected at once.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from blindcopy.runtime import Service
from config.settings import Settings
from tests.client import eventually
from tests.hostility.raw_smtp import RawSmtp

SERVICE_READY = 220
SERVICE_NOT_AVAILABLE = 421
BUSY_STATUS = "4.7.0"
CAP = 3


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Return the hostility settings with a small cap on all connections."""
    return replace(settings, max_connections=CAP)


async def test_connections_past_the_process_cap_get_421_4_7_0(service: Service) -> None:
    # Each from its own address: no per-client limit is near.
    held = [await RawSmtp.connect(service.smtp_port, f"127.0.0.{n}") for n in range(1, CAP + 1)]
    try:
        for client in held:
            assert (await client.reply()).code == SERVICE_READY
        async with await RawSmtp.connect(service.smtp_port, "127.0.0.99") as extra:
            reply = await extra.reply()
            assert (reply.code, reply.enhanced) == (SERVICE_NOT_AVAILABLE, BUSY_STATUS), reply
            assert "Too many connections, try again later" in reply.text
            assert await extra.closed_by_server()
    finally:
        await held.pop().close()

    async def served_again() -> bool:
        async with await RawSmtp.connect(service.smtp_port, "127.0.0.99") as client:
            return (await client.reply()).code == SERVICE_READY

    try:
        assert await eventually(served_again, timeout=5)
    finally:
        for client in held:
            await client.close()
