"""Fixtures for sender_auth tests: a local DNS server and a resolver pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sender_auth.resolver import DnsResolver
from tests.dnsserver import LocalDnsServer, running_dns_server


@pytest.fixture
def dns_server() -> Iterator[LocalDnsServer]:
    """Yield a running DNS server on 127.0.0.1 with no records."""
    with running_dns_server() as server:
        yield server


@pytest.fixture
def resolver(dns_server: LocalDnsServer) -> DnsResolver:
    """Return a resolver that asks only the local DNS server, with a short timeout."""
    return DnsResolver([dns_server.address], timeout=0.5)
