"""BLINDCOPY_TRUSTED_RELAYS parsing and client IP matching."""

from __future__ import annotations

import ipaddress

import pytest

from sender_auth import parse_trusted_relays
from sender_auth.relays import is_trusted_relay


def test_parses_ipv4_ipv6_and_single_hosts() -> None:
    assert parse_trusted_relays(" 10.0.0.0/8, 2001:db8::/32 ,192.0.2.1,") == (
        ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("2001:db8::/32"),
        ipaddress.ip_network("192.0.2.1/32"))
    assert parse_trusted_relays("") == ()


@pytest.mark.parametrize("text", ["10.0.0.1/8", "relay.acme.test", "10.0.0.0/33"])
def test_invalid_entry_is_a_clear_error(text: str) -> None:
    with pytest.raises(ValueError, match=f"trusted relay '{text}' is not a valid CIDR"):
        parse_trusted_relays(text)


def test_matches_client_ip_including_ipv4_mapped() -> None:
    relays = parse_trusted_relays("10.0.0.0/8,2001:db8::/32")
    assert is_trusted_relay("10.1.2.3", relays)
    assert is_trusted_relay("::ffff:10.1.2.3", relays)
    assert is_trusted_relay("2001:db8::1", relays)
    assert not is_trusted_relay("192.0.2.1", relays)
    assert not is_trusted_relay("unknown", relays)
