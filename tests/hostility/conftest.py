"""Hostility fixtures: a service with small, fast-to-hit limits, loopback only, no workers.

Workers are off so every received message stays `queued` in the spool, where a test can
count and read it; the API still answers (capture routes process synchronously).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from blindcopy.runtime import Service, start_service
from config.settings import Settings, load_settings
from tests.client import ApiClient
from tests.conftest import ADMIN_TOKEN
from tests.directory import a_project

MAIL_DOMAIN = "in.blindcopy.test"
# Small limits so each one is reached with a few kilobytes and about a second of waiting.
LIMITS: dict[str, Any] = {
    "max_message_size": 64 * 1024,
    "max_recipients": 3,
    "max_line_length": 2_000,
    "max_header_count": 50,
    "max_header_bytes": 16 * 1024,
    "max_mime_depth": 5,
    "max_connections_per_ip": 3,
    "max_messages_per_minute": 5,
    "command_timeout": 1.0,
    "data_timeout": 1.5,
    "http_max_body": 64 * 1024,
}


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Return test settings with the hostility limits and no processing workers."""
    return load_settings({}, database_url=database_url, smtp_port=0, http_port=0,
                         admin_token=ADMIN_TOKEN, secret="test-secret", mail_domain=MAIL_DOMAIN,
                         workers=0, **LIMITS)


@pytest.fixture
async def service(settings: Settings) -> AsyncIterator[Service]:
    """Run SMTP and the API on ephemeral loopback ports, without workers."""
    running = await start_service(settings, workers=0)
    yield running
    await running.stop()


@pytest.fixture
async def project(api: ApiClient) -> dict[str, Any]:
    """Create one project; its addresses are the only ones the gateway accepts."""
    return await a_project(api, "Acme Homes")

