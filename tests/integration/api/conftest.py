"""Fixtures of the API tests: the real app over a socket on the real test database."""

from __future__ import annotations

import pytest
from pytest_aiohttp import AiohttpClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from blindcopy.settings import Settings
from tests.integration.api.support import Client, Directory, FakeProcessingPortForApiTests


@pytest.fixture
def fake_processing() -> FakeProcessingPortForApiTests:
    """Return the recording stand-in for the processing layer."""
    return FakeProcessingPortForApiTests()


@pytest.fixture
async def client(
    aiohttp_client: AiohttpClient, settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    fake_processing: FakeProcessingPortForApiTests,
) -> Client:
    """Return an HTTP client of the app served on an ephemeral port."""
    return await aiohttp_client(create_app(settings, sessionmaker, fake_processing))


@pytest.fixture
def directory(client: Client) -> Directory:
    """Return the admin-side builder of projects, users and tokens."""
    return Directory(client)
