"""Fixtures of the API tests: the real app and processing layer on the real test database.

Sender verification asks a real DNS server on loopback (tests/dnsserver.py) that holds no
records unless a test adds some, so SPF and DKIM lookups get definite empty answers
instead of going to the system resolver.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from pytest_aiohttp import AiohttpClient

from api.app import create_app
from blindcopy.runtime import build_context
from config.settings import Settings
from processing.context import ProcessingContext
from processing.service import ProcessingService
from store.database import Store
from tests.dnsserver import LocalDnsServer, running_dns_server
from tests.integration.api.support import Client, Directory


@pytest.fixture
def dns() -> Iterator[LocalDnsServer]:
    """Run an empty real DNS server on loopback for sender verification."""
    with running_dns_server() as server:
        yield server


@pytest.fixture
def api_settings(settings: Settings, dns: LocalDnsServer) -> Settings:
    """Return the test settings with sender verification asking the local DNS server."""
    host, port = dns.address
    return dataclasses.replace(settings, dns_servers=f"{host}:{port}", dns_timeout=2.0)


@pytest.fixture
def context(api_settings: Settings) -> ProcessingContext:
    """Return the processing context built from settings, as the service builds it."""
    return build_context(api_settings)


@pytest.fixture
def processing_service(store: Store, context: ProcessingContext) -> ProcessingService:
    """Return the real processing layer on the test database."""
    return ProcessingService(store, context)


@pytest.fixture
async def client(
    aiohttp_client: AiohttpClient, api_settings: Settings, store: Store,
    processing_service: ProcessingService,
) -> Client:
    """Return an HTTP client of the app served on an ephemeral port."""
    return await aiohttp_client(create_app(api_settings, store, processing_service))


@pytest.fixture
def directory(client: Client) -> Directory:
    """Return the admin-side builder of projects, users and tokens."""
    return Directory(client)
