"""Shared fixtures: a migrated fresh database per test and test settings."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from blindcopy.runtime import Service, start_service
from config.settings import Settings, load_settings
from store.database import Store, create_engine
from store.schema import migrate
from tests.client import ApiClient
from tests.database import fresh_database_url

ADMIN_TOKEN = "test-admin-token"
CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """Yield the URL of a fresh, empty database for this test."""
    with fresh_database_url(tmp_path) as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """Yield an engine on a migrated fresh database."""
    engine = create_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def store(engine: Engine) -> Iterator[Store]:
    """Return the store of the test database (its sessions and threads)."""
    store = Store(engine)
    yield store
    store.close()


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Return settings for a service on ephemeral loopback ports and the test database."""
    return load_settings(
        {},
        database_url=database_url,
        smtp_port=0,
        http_port=0,
        admin_token=ADMIN_TOKEN,
        secret="test-secret",
        mail_domain="in.blindcopy.test",
        retry_base_seconds=0.05,
    )


@pytest.fixture
async def service(settings: Settings) -> AsyncIterator[Service]:
    """Run the whole service (SMTP, API, 2 workers) on ephemeral loopback ports."""
    running = await start_service(settings)
    yield running
    await running.stop()


@pytest.fixture
async def api(service: Service) -> AsyncIterator[ApiClient]:
    """Return an HTTP client for the running service's API, authenticated as admin."""
    async with ApiClient(f"http://127.0.0.1:{service.http_port}", ADMIN_TOKEN) as client:
        yield client
