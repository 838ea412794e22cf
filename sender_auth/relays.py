"""Trusted relays: client networks whose mail counts as authenticated (like an MTA's mynetworks).

Responsible for parsing ``BLINDCOPY_TRUSTED_RELAYS`` and matching a client IP against it.
"""

import ipaddress

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_trusted_relays(text: str) -> tuple[Network, ...]:
    """Parse comma-separated CIDRs (a bare address is a single host).

    Raise ValueError naming the entry when one is not a network or has host bits set.
    """
    return tuple(_parse_network(entry.strip()) for entry in text.split(",") if entry.strip())


def _parse_network(entry: str) -> Network:
    try:
        return ipaddress.ip_network(entry)
    except ValueError as exc:
        raise ValueError(f"trusted relay {entry!r} is not a valid CIDR network: {exc}") from None


def is_trusted_relay(client_ip: str, relays: tuple[Network, ...]) -> bool:
    """Return whether ``client_ip`` lies inside one of ``relays`` (False if it is no IP)."""
    try:
        address = ipaddress.ip_address(client_ip.strip().strip("[]"))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in relays)
