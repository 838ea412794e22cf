"""SPF through pyspf with every lookup answered by the local DNS server via DnsResolver."""

from __future__ import annotations

import pytest

from sender_auth.errors import DnsTemporaryFailure
from sender_auth.resolver import DnsResolver
from sender_auth.spf_check import check_spf, spf_identity
from tests.dnsserver import LocalDnsServer


async def test_allowed_ip_passes(dns_server: LocalDnsServer, resolver: DnsResolver) -> None:
    dns_server.add_txt("acme.test", "v=spf1 ip4:192.0.2.0/24 -all")
    result = await check_spf("alice@acme.test", "192.0.2.5", "mx.acme.test", resolver)
    assert (result.result, result.domain, result.identity) == ("pass", "acme.test", "mailfrom")


async def test_other_ip_fails(dns_server: LocalDnsServer, resolver: DnsResolver) -> None:
    dns_server.add_txt("acme.test", "v=spf1 ip4:192.0.2.0/24 -all")
    result = await check_spf("alice@acme.test", "198.51.100.7", "mx.evil.test", resolver)
    assert result.result == "fail"


@pytest.mark.parametrize(("policy", "verdict"), [("~all", "softfail"), ("?all", "neutral")])
async def test_all_qualifiers(
    dns_server: LocalDnsServer, resolver: DnsResolver, policy: str, verdict: str
) -> None:
    dns_server.add_txt("acme.test", f"v=spf1 ip4:192.0.2.0/24 {policy}")
    result = await check_spf("alice@acme.test", "198.51.100.7", "h.test", resolver)
    assert result.result == verdict


async def test_include_a_and_mx_mechanisms_resolve_through_our_server(
    dns_server: LocalDnsServer, resolver: DnsResolver
) -> None:
    dns_server.add_txt("acme.test", "v=spf1 mx include:_spf.esp.test -all")
    dns_server.add_mx("acme.test", "mail.acme.test")
    dns_server.add_a("mail.acme.test", "192.0.2.25")
    dns_server.add_txt("_spf.esp.test", "v=spf1 a:out.esp.test ip6:2001:db8::/32 -all")
    dns_server.add_a("out.esp.test", "203.0.113.9")
    for ip in ("192.0.2.25", "203.0.113.9", "2001:db8::5"):
        assert (await check_spf("a@acme.test", ip, "h.test", resolver)).result == "pass"
    assert ("out.esp.test", "A") in dns_server.queries


async def test_redirect_is_followed(dns_server: LocalDnsServer, resolver: DnsResolver) -> None:
    dns_server.add_txt("acme.test", "v=spf1 redirect=_spf.acme.test")
    dns_server.add_txt("_spf.acme.test", "v=spf1 ip4:192.0.2.1 -all")
    assert (await check_spf("a@acme.test", "192.0.2.1", "h", resolver)).result == "pass"


async def test_no_record_is_none(resolver: DnsResolver) -> None:
    assert (await check_spf("a@acme.test", "192.0.2.1", "h", resolver)).result == "none"


async def test_more_than_ten_lookups_is_permerror(
    dns_server: LocalDnsServer, resolver: DnsResolver
) -> None:
    for n in range(12):
        dns_server.add_txt(f"l{n}.acme.test", f"v=spf1 include:l{n + 1}.acme.test -all")
    dns_server.add_txt("acme.test", "v=spf1 include:l0.acme.test -all")
    assert (await check_spf("a@acme.test", "192.0.2.1", "h", resolver)).result == "permerror"


async def test_null_sender_checks_helo(dns_server: LocalDnsServer, resolver: DnsResolver) -> None:
    dns_server.add_txt("mx.acme.test", "v=spf1 ip4:192.0.2.7 -all")
    result = await check_spf("", "192.0.2.7", "mx.acme.test", resolver)
    assert (result.result, result.domain, result.identity) == ("pass", "mx.acme.test", "helo")


async def test_dns_timeout_is_a_temporary_failure(dns_server: LocalDnsServer) -> None:
    dns_server.mode = "drop"
    resolver = DnsResolver([dns_server.address], timeout=0.2)
    with pytest.raises(DnsTemporaryFailure):
        await check_spf("a@acme.test", "192.0.2.1", "h", resolver)


async def test_servfail_in_an_include_is_a_temporary_failure(
    dns_server: LocalDnsServer, resolver: DnsResolver
) -> None:
    dns_server.add_txt("acme.test", "v=spf1 include:esp.test -all")
    await resolver.txt("acme.test")
    dns_server.mode = "servfail"
    with pytest.raises(DnsTemporaryFailure):
        await check_spf("a@acme.test", "192.0.2.1", "h", resolver)


async def test_invalid_client_ip_is_permerror(resolver: DnsResolver) -> None:
    assert (await check_spf("a@acme.test", "not-an-ip", "h", resolver)).result == "permerror"


def test_identity_is_mail_from_domain_or_helo() -> None:
    assert spf_identity("<Alice@Mail.ACME.test>", "h.test") == ("mailfrom", "mail.acme.test")
    assert spf_identity("<>", "MX.acme.test.") == ("helo", "mx.acme.test")
