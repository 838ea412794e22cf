"""DKIM and ARC verification with keys published in a real local DNS server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sender_auth.dkim_check import check_dkim
from sender_auth.errors import DnsTemporaryFailure
from sender_auth.resolver import DnsResolver
from tests.dnsserver import LocalDnsServer
from tests.unit.sender_auth.dkim_keys import (
    a_message,
    arc_seal,
    ed25519_key,
    publish,
    rsa_key,
    sign,
)


async def test_rsa_signature_verifies(dns_server: LocalDnsServer, resolver: DnsResolver) -> None:
    publish(dns_server, rsa_key(), "acme.test")
    result = await check_dkim(sign(a_message(), rsa_key(), "acme.test"), resolver)
    assert result.pass_domains == ("acme.test",)
    (signature,) = result.signatures
    assert (signature.result, signature.selector, signature.algorithm) == (
        "pass", "sel", "rsa-sha256")


async def test_ed25519_signature_verifies(
    dns_server: LocalDnsServer, resolver: DnsResolver
) -> None:
    publish(dns_server, ed25519_key(), "acme.test", selector="ed")
    raw = sign(a_message(), ed25519_key(), "acme.test", selector="ed")
    result = await check_dkim(raw, resolver)
    assert result.pass_domains == ("acme.test",)
    assert result.signatures[0].algorithm == "ed25519-sha256"


async def test_changed_body_fails(dns_server: LocalDnsServer, resolver: DnsResolver) -> None:
    publish(dns_server, rsa_key(), "acme.test")
    raw = sign(a_message(), rsa_key(), "acme.test").replace(b"see you", b"pay now")
    result = await check_dkim(raw, resolver)
    assert result.pass_domains == ()
    assert result.signatures[0].result == "fail"
    assert "body hash mismatch" in result.signatures[0].reason


async def test_changed_signed_header_fails(
    dns_server: LocalDnsServer, resolver: DnsResolver
) -> None:
    publish(dns_server, rsa_key(), "acme.test")
    raw = sign(a_message(), rsa_key(), "acme.test").replace(b"Subject: Quote", b"Subject: Pay")
    assert (await check_dkim(raw, resolver)).signatures[0].result == "fail"


async def test_missing_signature_has_no_verdicts(resolver: DnsResolver) -> None:
    result = await check_dkim(a_message(), resolver)
    assert (result.signatures, result.pass_domains, result.arc_result) == ((), (), "none")


async def test_unpublished_key_does_not_pass(resolver: DnsResolver) -> None:
    result = await check_dkim(sign(a_message(), rsa_key(), "acme.test"), resolver)
    assert result.pass_domains == ()
    assert result.signatures[0].result != "pass"


async def test_key_of_another_selector_does_not_pass(
    dns_server: LocalDnsServer, resolver: DnsResolver
) -> None:
    publish(dns_server, rsa_key("other"), "acme.test")
    result = await check_dkim(sign(a_message(), rsa_key(), "acme.test"), resolver)
    assert result.signatures[0].result == "fail"


async def test_two_signatures_are_reported_in_order(
    dns_server: LocalDnsServer, resolver: DnsResolver
) -> None:
    publish(dns_server, rsa_key(), "acme.test")
    publish(dns_server, ed25519_key(), "esp.test")
    raw = sign(sign(a_message(), rsa_key(), "acme.test"), ed25519_key(), "esp.test")
    result = await check_dkim(raw, resolver)
    assert result.pass_domains == ("esp.test", "acme.test")


async def test_key_lookup_timeout_is_a_temporary_failure(
    dns_server: LocalDnsServer,
) -> None:
    dns_server.mode = "drop"
    resolver = DnsResolver([dns_server.address], timeout=0.2)
    with pytest.raises(DnsTemporaryFailure):
        await check_dkim(sign(a_message(), rsa_key(), "acme.test"), resolver)


async def test_second_verification_uses_cached_key(
    dns_server: LocalDnsServer, resolver: DnsResolver
) -> None:
    publish(dns_server, rsa_key(), "acme.test")
    raw = sign(a_message(), rsa_key(), "acme.test")
    await check_dkim(raw, resolver)
    dns_server.mode = "drop"
    assert (await check_dkim(raw, resolver)).pass_domains == ("acme.test",)
    assert resolver.stats.hits == 1


async def test_arc_chain_passes(dns_server: LocalDnsServer, resolver: DnsResolver) -> None:
    publish(dns_server, rsa_key("list"), "lists.test")
    raw = arc_seal(a_message(), rsa_key("list"), "lists.test", "mx.lists.test")
    assert (await check_dkim(raw, resolver)).arc_result == "pass"


async def test_arc_chain_over_changed_body_fails(
    dns_server: LocalDnsServer, resolver: DnsResolver
) -> None:
    publish(dns_server, rsa_key("list"), "lists.test")
    raw = arc_seal(a_message(), rsa_key("list"), "lists.test", "mx.lists.test")
    raw = raw.replace(b"see you", b"pay now")
    assert (await check_dkim(raw, resolver)).arc_result == "fail"


async def test_signed_fields_time_and_header_names_are_reported(
    dns_server: LocalDnsServer, resolver: DnsResolver
) -> None:
    publish(dns_server, rsa_key(), "acme.test")
    signed_at = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)
    raw = sign(a_message(), rsa_key(), "acme.test", headers=[b"From", b"to"], signed_at=signed_at)
    result = await check_dkim(raw, resolver)
    (signature,) = result.signatures
    assert (signature.signed_headers, signature.timestamp) == (
        ("from", "to"), int(signed_at.timestamp()))
    assert result.header_names == (
        "dkim-signature", "from", "to", "subject", "date", "message-id")


async def test_a_header_dkimpy_cannot_read_gives_no_verdict_not_a_crash(
    dns_server: LocalDnsServer, resolver: DnsResolver
) -> None:
    # A first header line that starts with white space makes dkimpy's parser raise
    # IndexError: the message has no readable signature, it is not a reason to fail it.
    publish(dns_server, rsa_key(), "acme.test")
    raw = b" stray continuation\r\n" + sign(a_message(), rsa_key(), "acme.test")
    result = await check_dkim(raw, resolver)
    assert (result.signatures, result.arc_result, result.header_names) == ((), "none", ())
