"""verify_sender end to end against the local DNS server: verdicts, alignment, header, cache."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sender_auth import (
    AlignedSignature,
    DnsResolver,
    DnsTemporaryFailure,
    SenderAuthResult,
    parse_trusted_relays,
    verify_sender,
)
from tests.dnsserver import LocalDnsServer
from tests.unit.sender_auth.dkim_keys import a_message, publish, rsa_key, sign

ACME_IP = "192.0.2.5"
OTHER_IP = "198.51.100.7"


@pytest.fixture
def acme(dns_server: LocalDnsServer) -> LocalDnsServer:
    """Publish acme.test's DKIM key and SPF record (192.0.2.0/24) and evil.test's key."""
    publish(dns_server, rsa_key(), "acme.test")
    publish(dns_server, rsa_key("evil"), "evil.test")
    dns_server.add_txt("acme.test", "v=spf1 ip4:192.0.2.0/24 -all")
    return dns_server


async def verify(raw: bytes, resolver: DnsResolver, *, from_domain: str = "acme.test",
                 mail_from: str = "bounce@acme.test", client_ip: str = ACME_IP,
                 relays: str = "") -> SenderAuthResult:
    return await verify_sender(
        raw, from_domain=from_domain, mail_from=mail_from, client_ip=client_ip,
        helo="mx.acme.test", resolver=resolver, trusted_relays=parse_trusted_relays(relays),
        authserv_id="blindcopy.test")


async def test_signed_message_from_allowed_ip_passes_and_aligns(
    acme: LocalDnsServer, resolver: DnsResolver
) -> None:
    signed_at = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)
    raw = sign(a_message(), rsa_key(), "acme.test", signed_at=signed_at)
    result = await verify(raw, resolver)
    assert result == SenderAuthResult(
        from_domain="acme.test", dkim_pass_domains=("acme.test",), dkim_aligned=True,
        spf_result="pass", spf_domain="acme.test", spf_aligned=True, arc_result="none",
        trusted_relay=False,
        authentication_results="blindcopy.test; dkim=pass header.d=acme.test header.s=sel; "
        "spf=pass smtp.mailfrom=acme.test; dmarc=pass header.from=acme.test",
        dkim_signature=AlignedSignature("acme.test", (), signed_at))


async def test_dkim_alone_aligns_when_spf_fails(
    acme: LocalDnsServer, resolver: DnsResolver
) -> None:
    result = await verify(sign(a_message(), rsa_key(), "acme.test"), resolver, client_ip=OTHER_IP)
    assert (result.dkim_aligned, result.spf_result, result.spf_aligned) == (True, "fail", False)
    assert result.aligned


async def test_subdomain_from_aligns_relaxed(acme: LocalDnsServer, resolver: DnsResolver) -> None:
    raw = sign(a_message(from_="alice@eu.acme.test"), rsa_key(), "acme.test")
    result = await verify(raw, resolver, from_domain="EU.acme.test", client_ip=OTHER_IP)
    assert (result.from_domain, result.dkim_aligned) == ("eu.acme.test", True)


async def test_changed_body_is_not_a_dkim_pass(
    acme: LocalDnsServer, resolver: DnsResolver
) -> None:
    raw = sign(a_message(), rsa_key(), "acme.test").replace(b"see you", b"wire money")
    result = await verify(raw, resolver, client_ip=OTHER_IP)
    assert (result.dkim_pass_domains, result.aligned) == ((), False)
    assert "dkim=fail header.d=acme.test" in result.authentication_results
    assert result.authentication_results.endswith("dmarc=fail header.from=acme.test")


async def test_from_on_another_domain_is_not_aligned(
    acme: LocalDnsServer, resolver: DnsResolver
) -> None:
    raw = sign(a_message(from_="alice@other.test"), rsa_key(), "acme.test")
    result = await verify(raw, resolver, from_domain="other.test", client_ip=OTHER_IP)
    assert (result.dkim_pass_domains, result.dkim_aligned) == (("acme.test",), False)


async def test_forged_from_signed_by_another_domain_is_not_aligned(
    acme: LocalDnsServer, resolver: DnsResolver
) -> None:
    raw = sign(a_message(from_="ceo@acme.test"), rsa_key("evil"), "evil.test")
    result = await verify(raw, resolver, mail_from="x@evil.test", client_ip=OTHER_IP)
    assert result.dkim_pass_domains == ("evil.test",)
    assert (result.dkim_aligned, result.spf_aligned, result.aligned) == (False, False, False)
    assert result.dkim_signature is None


async def test_missing_signature_with_spf_pass_aligns_by_spf(
    acme: LocalDnsServer, resolver: DnsResolver
) -> None:
    result = await verify(a_message(), resolver)
    assert (result.dkim_pass_domains, result.spf_aligned) == ((), True)
    assert result.authentication_results.startswith("blindcopy.test; dkim=none; spf=pass")


async def test_spf_pass_for_unrelated_envelope_is_not_aligned(
    acme: LocalDnsServer, resolver: DnsResolver
) -> None:
    acme.add_txt("esp.test", f"v=spf1 ip4:{OTHER_IP} -all")
    result = await verify(a_message(), resolver, mail_from="b@esp.test", client_ip=OTHER_IP)
    assert (result.spf_result, result.spf_domain, result.spf_aligned) == (
        "pass", "esp.test", False)


async def test_client_in_trusted_relay_is_flagged(
    acme: LocalDnsServer, resolver: DnsResolver
) -> None:
    result = await verify(a_message(), resolver, client_ip="10.1.2.3", relays="10.0.0.0/8")
    assert result.trusted_relay


async def test_dns_timeout_raises_instead_of_a_verdict(dns_server: LocalDnsServer) -> None:
    publish(dns_server, rsa_key(), "acme.test")
    dns_server.mode = "drop"
    resolver = DnsResolver([dns_server.address], timeout=0.2)
    with pytest.raises(DnsTemporaryFailure):
        await verify(sign(a_message(), rsa_key(), "acme.test"), resolver)


async def test_servfail_raises_instead_of_a_verdict(
    acme: LocalDnsServer, resolver: DnsResolver
) -> None:
    acme.mode = "servfail"
    with pytest.raises(DnsTemporaryFailure):
        await verify(a_message(), resolver)


async def test_second_message_is_verified_from_the_cache(
    acme: LocalDnsServer, resolver: DnsResolver
) -> None:
    raw = sign(a_message(), rsa_key(), "acme.test")
    first = await verify(raw, resolver)
    asked = len(acme.queries)
    acme.mode = "drop"
    assert await verify(raw, resolver) == first
    assert len(acme.queries) == asked
    assert resolver.stats.hits == resolver.stats.misses == 2
