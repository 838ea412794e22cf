"""DnsResolver against a real local DNS server: answers, negative answers, cache, failures."""

from __future__ import annotations

import time

import pytest

from sender_auth.errors import DnsTemporaryFailure
from sender_auth.resolver import DnsResolver, parse_dns_servers
from tests.dnsserver import LocalDnsServer


async def test_txt_record_joins_character_strings(
    dns_server: LocalDnsServer, resolver: DnsResolver
) -> None:
    long_text = "v=DKIM1; p=" + "A" * 600
    dns_server.add_txt("sel._domainkey.acme.test", long_text)
    assert await resolver.txt("sel._domainkey.acme.test") == [long_text.encode()]


async def test_a_aaaa_and_mx_records_are_returned(
    dns_server: LocalDnsServer, resolver: DnsResolver
) -> None:
    dns_server.add_a("mail.acme.test", "192.0.2.10")
    dns_server.add_aaaa("mail.acme.test", "2001:db8::10")
    dns_server.add_mx("acme.test", "mail.acme.test", preference=5)
    assert await resolver.a("mail.acme.test") == ["192.0.2.10"]
    assert await resolver.aaaa("mail.acme.test") == ["2001:db8::10"]
    assert await resolver.mx("acme.test") == [(5, "mail.acme.test")]


async def test_nxdomain_and_no_answer_are_empty(
    dns_server: LocalDnsServer, resolver: DnsResolver
) -> None:
    dns_server.add_a("acme.test", "192.0.2.1")
    assert await resolver.txt("missing.acme.test") == []
    assert await resolver.txt("acme.test") == []


async def test_second_lookup_is_answered_from_cache(
    dns_server: LocalDnsServer, resolver: DnsResolver
) -> None:
    dns_server.add_txt("acme.test", "v=spf1 -all")
    await resolver.txt("acme.test")
    dns_server.mode = "drop"
    assert await resolver.txt("ACME.test.") == [b"v=spf1 -all"]
    assert len(dns_server.queries) == 1
    assert (resolver.stats.hits, resolver.stats.misses) == (1, 1)


async def test_negative_answer_is_cached(
    dns_server: LocalDnsServer, resolver: DnsResolver
) -> None:
    assert await resolver.txt("nothing.acme.test") == []
    dns_server.mode = "drop"
    assert await resolver.txt("nothing.acme.test") == []
    assert resolver.stats.hits == 1


async def test_cached_answer_expires_after_its_ttl(dns_server: LocalDnsServer) -> None:
    now = [1000.0]
    resolver = DnsResolver([dns_server.address], timeout=0.5, clock=lambda: now[0])
    dns_server.add_txt("acme.test", "v=spf1 -all", ttl=60)
    await resolver.txt("acme.test")
    now[0] += 61
    await resolver.txt("acme.test")
    assert len(dns_server.queries) == 2


async def test_server_that_never_answers_is_a_temporary_failure(
    dns_server: LocalDnsServer,
) -> None:
    dns_server.mode = "drop"
    resolver = DnsResolver([dns_server.address], timeout=0.2)
    started = time.monotonic()
    with pytest.raises(DnsTemporaryFailure):
        await resolver.txt("acme.test")
    assert time.monotonic() - started < 2


async def test_servfail_is_a_temporary_failure_and_not_cached(
    dns_server: LocalDnsServer, resolver: DnsResolver
) -> None:
    dns_server.add_txt("acme.test", "v=spf1 -all")
    dns_server.mode = "servfail"
    with pytest.raises(DnsTemporaryFailure):
        await resolver.txt("acme.test")
    dns_server.mode = "answer"
    assert await resolver.txt("acme.test") == [b"v=spf1 -all"]


async def test_invalid_name_has_no_records(resolver: DnsResolver) -> None:
    assert await resolver.txt("a..b.test") == []


def test_parse_dns_servers_accepts_ports_and_ipv6() -> None:
    assert parse_dns_servers("127.0.0.1:5353, 192.0.2.1,[::1]:53,2001:db8::1") == [
        ("127.0.0.1", 5353), ("192.0.2.1", 53), ("::1", 53), ("2001:db8::1", 53)]
    assert parse_dns_servers("") == []


@pytest.mark.parametrize("text", ["dns.example.com:53", "127.0.0.1:0", "127.0.0.1:dns"])
def test_parse_dns_servers_rejects_bad_entries(text: str) -> None:
    with pytest.raises(ValueError, match="DNS server"):
        parse_dns_servers(text)


def test_empty_server_list_is_rejected() -> None:
    with pytest.raises(ValueError, match="empty"):
        DnsResolver([])
