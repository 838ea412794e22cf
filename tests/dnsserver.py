"""A small real DNS server for tests, on 127.0.0.1 and an ephemeral port (UDP and TCP).

Tests add records (TXT for DKIM keys and SPF, A, AAAA, MX, PTR), point a resolver at
``server.address`` and can make the server stop answering (``mode = "drop"``, to test
timeouts) or answer SERVFAIL (``mode = "servfail"``). Every query received is counted in
``server.queries`` so tests can prove an answer came from a cache. Built on dnslib so later
integration tests can reuse it as is.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from dnslib import AAAA, MX, PTR, QTYPE, RCODE, RR, SOA, TXT, A, DNSRecord
from dnslib.server import BaseResolver, DNSHandler, DNSServer

Mode = Literal["answer", "drop", "servfail"]

TXT_CHUNK = 255


class _Zone(BaseResolver):  # type: ignore[misc]
    """Thread-safe record store that answers queries according to the server's mode."""

    def __init__(self, negative_ttl: int) -> None:
        self.mode: Mode = "answer"
        self.queries: list[tuple[str, str]] = []
        self._records: dict[tuple[str, str], list[RR]] = {}
        self._lock = threading.Lock()
        self._soa = RR("test.", QTYPE.SOA, ttl=negative_ttl, rdata=SOA(
            "ns.test.", "hostmaster.test.", (1, 3600, 600, 86400, negative_ttl)))

    def add(self, name: str, rtype: str, rdata: object, ttl: int) -> None:
        key = (_normalize(name), rtype)
        with self._lock:
            self._records.setdefault(key, []).append(
                RR(key[0], getattr(QTYPE, rtype), rdata=rdata, ttl=ttl))

    def remove(self, name: str, rtype: str | None = None) -> None:
        with self._lock:
            for key in [k for k in self._records if k[0] == _normalize(name)]:
                if rtype is None or key[1] == rtype:
                    del self._records[key]

    def note(self, request: DNSRecord) -> None:
        with self._lock:
            self.queries.append((_normalize(str(request.q.qname)), QTYPE[request.q.qtype]))

    def resolve(self, request: DNSRecord, handler: DNSHandler) -> DNSRecord:
        reply = request.reply()
        if self.mode == "servfail":
            reply.header.rcode = RCODE.SERVFAIL
            return reply
        name, rtype = _normalize(str(request.q.qname)), QTYPE[request.q.qtype]
        with self._lock:
            answers = list(self._records.get((name, rtype), []))
            exists = any(key[0] == name for key in self._records)
        for rr in answers:
            reply.add_answer(rr)
        if not answers:
            reply.add_auth(self._soa)
        if not exists:
            reply.header.rcode = RCODE.NXDOMAIN
        return reply


class _Handler(DNSHandler):  # type: ignore[misc]
    """Count every query, then stay silent in ``drop`` mode or answer normally."""

    def handle(self) -> None:
        zone: _Zone = self.server.resolver
        if self.server.socket_type.name == "SOCK_DGRAM":
            zone.note(DNSRecord.parse(self.request[0]))
        if zone.mode != "drop":
            super().handle()


class _QuietLogger:
    """Discard dnslib's per-packet logging."""

    def __getattr__(self, name: str) -> object:
        return lambda *args: None


class LocalDnsServer:
    """A DNS server on 127.0.0.1 with records the test controls."""

    def __init__(self, host: str = "127.0.0.1", negative_ttl: int = 60) -> None:
        self._zone = _Zone(negative_ttl)
        self._udp = DNSServer(self._zone, address=host, port=0, handler=_Handler,
                              logger=_QuietLogger())
        self.address: tuple[str, int] = self._udp.server.server_address[:2]
        self._tcp = self._bind_tcp(host)

    def _bind_tcp(self, host: str) -> DNSServer | None:
        try:
            return DNSServer(self._zone, address=host, port=self.address[1], tcp=True,
                             handler=_Handler, logger=_QuietLogger())
        except OSError:
            # The same port number is taken for TCP: tests then run over UDP only.
            return None

    @property
    def mode(self) -> Mode:
        """How the server reacts to queries: answer, drop (never answer) or servfail."""
        return self._zone.mode

    @mode.setter
    def mode(self, value: Mode) -> None:
        self._zone.mode = value

    @property
    def queries(self) -> list[tuple[str, str]]:
        """(name, type) of every UDP query received so far, oldest first."""
        return list(self._zone.queries)

    def add_txt(self, name: str, text: str | bytes, ttl: int = 300) -> None:
        """Publish a TXT record, split into 255-byte character-strings as DNS requires."""
        data = text.encode() if isinstance(text, str) else text
        chunks = [data[i:i + TXT_CHUNK] for i in range(0, len(data), TXT_CHUNK)] or [b""]
        self._zone.add(name, "TXT", TXT(chunks), ttl)

    def add_a(self, name: str, address: str, ttl: int = 300) -> None:
        """Publish an A record."""
        self._zone.add(name, "A", A(address), ttl)

    def add_aaaa(self, name: str, address: str, ttl: int = 300) -> None:
        """Publish an AAAA record."""
        self._zone.add(name, "AAAA", AAAA(address), ttl)

    def add_mx(self, name: str, exchange: str, preference: int = 10, ttl: int = 300) -> None:
        """Publish an MX record."""
        self._zone.add(name, "MX", MX(exchange, preference), ttl)

    def add_ptr(self, name: str, target: str, ttl: int = 300) -> None:
        """Publish a PTR record (``name`` is the in-addr.arpa or ip6.arpa name)."""
        self._zone.add(name, "PTR", PTR(target), ttl)

    def remove(self, name: str, rtype: str | None = None) -> None:
        """Withdraw the records of ``name`` (of one type, or all)."""
        self._zone.remove(name, rtype)

    def start(self) -> None:
        """Serve in background threads (polling often so that ``stop`` returns quickly)."""
        for server in (self._udp, self._tcp):
            if server is not None:
                server.thread = threading.Thread(
                    target=server.server.serve_forever, kwargs={"poll_interval": 0.02},
                    daemon=True)
                server.thread.start()

    def stop(self) -> None:
        """Stop serving and close the sockets."""
        for server in (self._udp, self._tcp):
            if server is not None:
                server.stop()
                server.server.server_close()


@contextmanager
def running_dns_server(host: str = "127.0.0.1") -> Iterator[LocalDnsServer]:
    """Run a LocalDnsServer for the duration of a ``with`` block."""
    server = LocalDnsServer(host)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _normalize(name: str) -> str:
    return name.lower().rstrip(".")
