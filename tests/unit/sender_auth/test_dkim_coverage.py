"""What an aligned DKIM signature covers (RFC 6376 §5.4.2, §8.15), with keys in a local DNS."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from sender_auth import check_original
from sender_auth.dkim_check import check_dkim
from sender_auth.dkim_coverage import AlignedSignature, aligned_signature, uncovered_fields
from sender_auth.resolver import DnsResolver
from tests.dnsserver import LocalDnsServer
from tests.unit.sender_auth.dkim_keys import SIGNED_HEADERS, a_message, publish, rsa_key, sign

SIGNED_AT = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)


@pytest.fixture
def keys(dns_server: LocalDnsServer) -> LocalDnsServer:
    """Publish the keys of acme.test and evil.test."""
    publish(dns_server, rsa_key(), "acme.test")
    publish(dns_server, rsa_key("evil"), "evil.test")
    return dns_server


async def covered(raw: bytes, resolver: DnsResolver, from_domain: str = "acme.test"
                  ) -> AlignedSignature | None:
    """Return the aligned signature of `raw` that verified, as aligned_signature picks it."""
    return aligned_signature(await check_dkim(raw, resolver), from_domain)


def signed(headers: Sequence[bytes] = SIGNED_HEADERS) -> bytes:
    """Return Alice's message signed by acme.test at SIGNED_AT over `headers`."""
    return sign(a_message(), rsa_key(), "acme.test", headers=headers, signed_at=SIGNED_AT)


async def test_fields_the_signature_lists_are_covered(keys: LocalDnsServer,
                                                      resolver: DnsResolver) -> None:
    assert await covered(signed(), resolver) == AlignedSignature("acme.test", (), SIGNED_AT)


async def test_an_added_cc_verifies_but_is_uncovered(keys: LocalDnsServer,
                                                     resolver: DnsResolver) -> None:
    raw = signed().replace(b"Subject: Quote", b"Cc: Victim <victim@client.test>\r\nSubject: Quote")

    signature = await covered(raw, resolver)

    assert signature is not None and signature.uncovered == ("Cc",)


async def test_a_to_prepended_above_the_signed_one_verifies_but_is_uncovered(
        keys: LocalDnsServer, resolver: DnsResolver) -> None:
    raw = b"To: Victim <victim@client.test>\r\n" + signed()

    signature = await covered(raw, resolver)

    assert signature is not None and signature.uncovered == ("To",)


async def test_a_to_added_below_the_signed_one_breaks_the_signature(
        keys: LocalDnsServer, resolver: DnsResolver) -> None:
    # Instances are counted from the bottom: the signature now covers the new one.
    raw = signed().replace(b"Subject: Quote", b"Subject: Quote\r\nTo: victim@client.test")

    assert await covered(raw, resolver) is None
    assert (await check_dkim(raw, resolver)).signatures[0].result == "fail"


async def test_an_oversigned_field_cannot_be_added(keys: LocalDnsServer,
                                                   resolver: DnsResolver) -> None:
    raw = signed(headers=[*SIGNED_HEADERS, b"to", b"cc"])

    assert await covered(raw, resolver) == AlignedSignature("acme.test", (), SIGNED_AT)
    assert await covered(b"Cc: victim@client.test\r\n" + raw, resolver) is None


async def test_unsigned_thread_fields_and_case_are_counted(keys: LocalDnsServer,
                                                            resolver: DnsResolver) -> None:
    raw = signed().replace(b"Subject: Quote", b"In-Reply-To: <a@x>\r\nREFERENCES: <a@x>\r\n"
                           b"bcc: victim@client.test\r\nSubject: Quote")

    signature = await covered(raw, resolver)

    assert signature is not None
    assert signature.uncovered == ("Bcc", "In-Reply-To", "References")


async def test_the_aligned_signature_covering_most_is_chosen(keys: LocalDnsServer,
                                                             resolver: DnsResolver) -> None:
    narrow = sign(a_message(), rsa_key(), "acme.test", headers=[b"from"], signed_at=SIGNED_AT)
    both = sign(narrow, rsa_key(), "acme.test", signed_at=SIGNED_AT + timedelta(minutes=1))

    signature = await covered(both, resolver)

    assert signature == AlignedSignature("acme.test", (), SIGNED_AT + timedelta(minutes=1))
    assert await covered(narrow, resolver) == AlignedSignature(
        "acme.test", ("To", "Subject", "Date", "Message-ID"), SIGNED_AT)


async def test_an_unaligned_signature_proves_nothing(keys: LocalDnsServer,
                                                     resolver: DnsResolver) -> None:
    raw = sign(a_message(), rsa_key("evil"), "evil.test")

    assert await covered(raw, resolver) is None


def test_instances_beyond_those_listed_are_uncovered() -> None:
    names = ("dkim-signature", "to", "from", "to", "subject", "cc", "cc")

    assert uncovered_fields(names, ("from", "to", "cc", "subject")) == ("To", "Cc")
    assert uncovered_fields(names, ("from", "to", "to", "cc", "cc", "cc", "subject")) == ()


@pytest.mark.parametrize(("change", "verdict"), [
    (lambda raw: raw, "verified"),
    (lambda raw: b"Cc: victim@client.test\r\n" + raw, "uncovered"),
    (lambda raw: raw.replace(b"see you", b"pay now"), "invalid"),
    (lambda raw: a_message(), "unsigned"),
])
async def test_original_verdicts(keys: LocalDnsServer, resolver: DnsResolver,
                                 change: Callable[[bytes], bytes], verdict: str) -> None:
    raw = change(signed())

    check = await check_original(raw, "ACME.test", resolver)

    assert (check.verdict, check.from_domain) == (verdict, "acme.test")


async def test_original_signed_by_another_domain_is_not_aligned(
        keys: LocalDnsServer, resolver: DnsResolver) -> None:
    check = await check_original(sign(a_message(), rsa_key("evil"), "evil.test"), "acme.test",
                                 resolver)

    assert (check.verdict, check.pass_domains, check.signature) == (
        "not_aligned", ("evil.test",), None)
