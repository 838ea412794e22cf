"""The one asynchronous DNS resolver used by sender verification, with a TTL cache.

Responsible for asking the configured DNS servers (or the system's when none are configured)
and remembering their answers, positive and negative, for their TTL. It must not interpret
records (SPF, DKIM keys): the callers do. A timeout or a server failure raises
``DnsTemporaryFailure``; NXDOMAIN and "no answer" are definite empty answers, cached like any
other answer.
"""

import ipaddress
import time
from collections.abc import Callable, Sequence
from typing import cast

import dns.asyncresolver
import dns.exception
import dns.message
import dns.name
import dns.nameserver
import dns.rdata
import dns.rdatatype
import dns.resolver
from dns.rdtypes.ANY.MX import MX
from dns.rdtypes.ANY.PTR import PTR
from dns.rdtypes.ANY.SOA import SOA
from dns.rdtypes.ANY.TXT import TXT
from dns.rdtypes.IN.A import A
from dns.rdtypes.IN.AAAA import AAAA

from sender_auth.dns_cache import CacheStats, TtlCache
from sender_auth.errors import DnsTemporaryFailure

Records = tuple[dns.rdata.Rdata, ...]

DEFAULT_PORT = 53


def parse_dns_servers(text: str) -> list[tuple[str, int]]:
    """Parse ``BLINDCOPY_DNS_SERVERS``: comma-separated ``host``, ``host:port`` or ``[v6]:port``.

    Hosts must be IP addresses (a resolver cannot resolve its own servers' names).
    Raise ValueError naming the offending entry.
    """
    return [_parse_dns_server(entry.strip()) for entry in text.split(",") if entry.strip()]


def _parse_dns_server(entry: str) -> tuple[str, int]:
    host, port_text = _split_host_port(entry)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"DNS server {entry!r}: {host!r} is not an IP address") from None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"DNS server {entry!r}: port {port_text!r} is not a number in 1-65535")
    return host, int(port_text)


def _split_host_port(entry: str) -> tuple[str, str]:
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        return host, rest.removeprefix(":") or str(DEFAULT_PORT)
    if entry.count(":") == 1:
        host, _, port = entry.partition(":")
        return host, port
    # No colon, or a bare IPv6 address: the whole entry is the host.
    return entry, str(DEFAULT_PORT)


class DnsResolver:
    """Resolve TXT, A, AAAA, MX and PTR records through one cache and one timeout."""

    def __init__(
        self,
        servers: Sequence[tuple[str, int]] | None = None,
        *,
        timeout: float = 5.0,
        negative_ttl: float = 300.0,
        max_ttl: float = 86400.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Use ``servers`` as (IP, port) pairs, or the system configuration when None.

        Raise ValueError for an empty list, or when None and the system has no resolver.
        """
        self.timeout = timeout
        self._negative_ttl = negative_ttl
        self._max_ttl = max_ttl
        self._resolver = _make_resolver(servers, timeout)
        self._cache: TtlCache[Records] = TtlCache(max_entries, clock)

    @property
    def stats(self) -> CacheStats:
        """Return the cache's hit and miss counters."""
        return self._cache.stats()

    def clear_cache(self) -> None:
        """Forget every cached answer (the counters are kept)."""
        self._cache.clear()

    async def txt(self, name: str) -> list[bytes]:
        """Return each TXT record of ``name`` with its character-strings joined."""
        return [b"".join(cast(TXT, r).strings) for r in await self._records(name, "TXT")]

    async def a(self, name: str) -> list[str]:
        """Return the IPv4 addresses of ``name``."""
        return [str(cast(A, r).address) for r in await self._records(name, "A")]

    async def aaaa(self, name: str) -> list[str]:
        """Return the IPv6 addresses of ``name``."""
        return [str(cast(AAAA, r).address) for r in await self._records(name, "AAAA")]

    async def mx(self, name: str) -> list[tuple[int, str]]:
        """Return (preference, exchange) pairs of ``name``, exchanges without the final dot."""
        records = [cast(MX, r) for r in await self._records(name, "MX")]
        return [(r.preference, r.exchange.to_text(omit_final_dot=True)) for r in records]

    async def ptr(self, name: str) -> list[str]:
        """Return the PTR targets of ``name`` (an in-addr.arpa or ip6.arpa name)."""
        records = await self._records(name, "PTR")
        return [cast(PTR, r).target.to_text(omit_final_dot=True) for r in records]

    async def _records(self, name: str, rdtype: str) -> Records:
        try:
            qname = dns.name.from_text(name)
        except dns.exception.DNSException:
            # A syntactically impossible name has no records; asking would only fail.
            return ()
        key = (qname.to_text().lower(), rdtype)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        records, ttl = await self._query(qname, rdtype)
        self._cache.put(key, records, min(ttl, self._max_ttl))
        return records

    async def _query(self, qname: dns.name.Name, rdtype: str) -> tuple[Records, float]:
        try:
            answer = await self._resolver.resolve(
                qname, rdtype, search=False, raise_on_no_answer=False, lifetime=self.timeout
            )
        except dns.resolver.NXDOMAIN as exc:
            return (), self._negative_ttl_of(_nxdomain_response(exc))
        except dns.exception.DNSException as exc:
            # Timeouts, SERVFAIL/REFUSED from every server (NoNameservers), broken answers.
            raise DnsTemporaryFailure(f"DNS {rdtype} lookup of {qname} failed: {exc}") from exc
        if answer.rrset is None:
            return (), self._negative_ttl_of(answer.response)
        return tuple(answer.rrset), float(answer.rrset.ttl)

    def _negative_ttl_of(self, response: dns.message.Message | None) -> float:
        """Return the negative-caching TTL of a response (RFC 2308 §5), or the default."""
        if response is None:
            return self._negative_ttl
        for rrset in response.authority:
            if rrset.rdtype == dns.rdatatype.SOA:
                soa = cast(SOA, rrset[0])
                return float(min(rrset.ttl, soa.minimum))
        return self._negative_ttl


def _nxdomain_response(exc: dns.resolver.NXDOMAIN) -> dns.message.Message | None:
    """Return the server's response carried by an NXDOMAIN exception, if any."""
    responses = cast(dict[dns.name.Name, dns.message.Message], exc.kwargs.get("responses", {}))
    return next(iter(responses.values()), None)


def _make_resolver(
    servers: Sequence[tuple[str, int]] | None, timeout: float
) -> dns.asyncresolver.Resolver:
    if servers is None:
        try:
            resolver = dns.asyncresolver.Resolver(configure=True)
        except dns.resolver.NoResolverConfiguration:
            raise ValueError(
                "no DNS servers configured and none found in the system configuration; "
                "set BLINDCOPY_DNS_SERVERS") from None
    elif not servers:
        raise ValueError("the list of DNS servers is empty; give None to use the system's")
    else:
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [dns.nameserver.Do53Nameserver(h, p) for h, p in servers]
    resolver.timeout = timeout
    resolver.lifetime = timeout
    return resolver
