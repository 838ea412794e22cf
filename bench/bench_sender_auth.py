"""Measure sender verification cost per message with a cold DNS cache and a warm one.

Runs a local DNS server (tests/dnsserver.py) on 127.0.0.1, publishes for each sender domain
a DKIM key and an SPF record that needs MX, A and include lookups, then verifies the same
signed messages twice: cold (the resolver's cache is emptied before each message, so every
lookup goes to the server) and warm (every answer is cached). Prints a markdown table.

Usage: python bench/bench_sender_auth.py [--messages N] [--rounds R]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sender_auth import DnsResolver, verify_sender
from tests.dnsserver import LocalDnsServer, running_dns_server

CLIENT_IP = "203.0.113.9"


def make_key() -> tuple[bytes, str]:
    """Return a 2048-bit RSA private key (PEM) and its DKIM TXT record."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM,
                            serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption())
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem, f"v=DKIM1; k=rsa; p={base64.b64encode(der).decode()}"


def publish_domain(server: LocalDnsServer, domain: str, record: str) -> None:
    """Publish a DKIM key and an SPF record needing MX + A + include lookups."""
    server.add_txt(f"sel._domainkey.{domain}", record)
    server.add_txt(domain, "v=spf1 mx include:_spf.esp.test -all")
    server.add_mx(domain, f"mail.{domain}")
    server.add_a(f"mail.{domain}", "192.0.2.25")


def signed_message(domain: str, pem: bytes, index: int) -> bytes:
    """Return a ~2 KB message from ``domain`` signed with ``pem``."""
    body = ("Hello,\r\nthe quote is attached below.\r\n" + "lorem ipsum dolor " * 100 + "\r\n")
    message = (f"From: Alice <alice@{domain}>\r\nTo: bob@client.test\r\nSubject: Quote {index}\r\n"
               f"Date: Tue, 25 Nov 2025 10:00:00 +0000\r\nMessage-ID: <{index}@{domain}>\r\n"
               f"\r\n{body}").encode()
    return bytes(dkim.sign(message, b"sel", domain.encode(), pem)) + message


async def verify(raw: bytes, domain: str, resolver: DnsResolver) -> None:
    """Verify one message and check it passed (a benchmark of failures would be meaningless)."""
    result = await verify_sender(
        raw, from_domain=domain, mail_from=f"bounce@{domain}", client_ip=CLIENT_IP,
        helo=f"mail.{domain}", resolver=resolver, trusted_relays=(), authserv_id="bench.test")
    assert result.dkim_aligned and result.spf_aligned, result


async def measure(messages: list[tuple[str, bytes]], resolver: DnsResolver,
                  server: LocalDnsServer, cold: bool) -> tuple[list[float], float]:
    """Return per-message seconds and DNS queries per message."""
    asked = len(server.queries)
    timings = []
    for domain, raw in messages:
        if cold:
            resolver.clear_cache()
        started = time.perf_counter()
        await verify(raw, domain, resolver)
        timings.append(time.perf_counter() - started)
    return timings, (len(server.queries) - asked) / len(messages)


def row(name: str, timings: list[float], queries: float) -> str:
    """Return one markdown table row in milliseconds."""
    ms = sorted(t * 1000 for t in timings)
    p95 = ms[int(len(ms) * 0.95) - 1]
    return (f"| {name} | {len(ms)} | {statistics.mean(ms):.2f} | {statistics.median(ms):.2f} "
            f"| {p95:.2f} | {queries:.1f} |")


async def main(count: int, rounds: int) -> None:
    """Run the cold and warm measurements and print the table."""
    pem, record = make_key()
    with running_dns_server() as server:
        server.add_txt("_spf.esp.test", f"v=spf1 ip4:{CLIENT_IP} -all")
        domains = [f"sender{i}.test" for i in range(count)]
        for domain in domains:
            publish_domain(server, domain, record)
        messages = [(d, signed_message(d, pem, i)) for i, d in enumerate(domains)] * rounds
        resolver = DnsResolver([server.address], timeout=2.0)
        await measure(messages[:5], resolver, server, cold=True)  # warm up imports and threads
        cold, cold_queries = await measure(messages, resolver, server, cold=True)
        await measure(messages, resolver, server, cold=False)  # fill the cache
        warm, warm_queries = await measure(messages, resolver, server, cold=False)
    print("| cache | messages | mean ms/msg | median ms | p95 ms | DNS queries/msg |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    print(row("cold", cold, cold_queries))
    print(row("warm", warm, warm_queries))
    ratio = statistics.mean(cold) / statistics.mean(warm)
    print(f"\ncold/warm mean ratio: {ratio:.1f}x (local DNS server on 127.0.0.1; a real "
          "resolver's round trips make the cold case slower still)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100, help="distinct sender domains")
    parser.add_argument("--rounds", type=int, default=2, help="passes over the messages")
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.rounds))
