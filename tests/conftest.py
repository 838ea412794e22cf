"""Shared fixtures: a migrated fresh database per test and test settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from blindcopy.settings import Settings, load_settings
from store.database import create_engine, create_sessionmaker
from store.schema import migrate
from tests.database import fresh_database_url

ADMIN_TOKEN = "test-admin-token"
CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"


@pytest.fixture
async def database_url(tmp_path: Path) -> AsyncIterator[str]:
    """Yield the URL of a fresh, empty database for this test."""
    async with fresh_database_url(tmp_path) as url:
        yield url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """Yield an engine on a migrated fresh database."""
    engine = create_engine(database_url)
    await migrate(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Return the session factory of the test database."""
    return create_sessionmaker(engine)


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
