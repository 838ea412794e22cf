"""Test helpers: generate DKIM keys, publish them in the local DNS server, sign messages."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from types import SimpleNamespace
from unittest import mock

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from tests.dnsserver import LocalDnsServer

SIGNED_HEADERS = [b"from", b"to", b"subject", b"date", b"message-id"]


@dataclass(frozen=True)
class DkimKey:
    """A private key in dkimpy's format and its DNS TXT record."""

    algorithm: bytes
    private: bytes
    record: str


@cache
def rsa_key(name: str = "default") -> DkimKey:
    """Return a 2048-bit RSA key (one per name for the whole test run)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return DkimKey(b"rsa-sha256", private, f"v=DKIM1; k=rsa; p={base64.b64encode(public).decode()}")


@cache
def ed25519_key(name: str = "default") -> DkimKey:
    """Return an ed25519 key (RFC 8463) (one per name for the whole test run)."""
    key = ed25519.Ed25519PrivateKey.generate()
    seed = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.Raw,
                                           serialization.PublicFormat.Raw)
    return DkimKey(b"ed25519-sha256", base64.b64encode(seed),
                   f"v=DKIM1; k=ed25519; p={base64.b64encode(public).decode()}")


def publish(server: LocalDnsServer, key: DkimKey, domain: str, selector: str = "sel") -> None:
    """Publish ``key`` at ``selector._domainkey.domain``."""
    server.add_txt(f"{selector}._domainkey.{domain}", key.record)


def a_message(from_: str = "alice@acme.test", body: str = "Hello Bob,\r\nsee you.\r\n") -> bytes:
    """Return a small RFC 5322 message."""
    return (
        f"From: Alice <{from_}>\r\nTo: Bob <bob@client.test>\r\nSubject: Quote\r\n"
        "Date: Tue, 25 Nov 2025 10:00:00 +0000\r\nMessage-ID: <q1@acme.test>\r\n\r\n" + body
    ).encode()


def sign(message: bytes, key: DkimKey, domain: str, selector: str = "sel", *,
         headers: Sequence[bytes] = SIGNED_HEADERS, signed_at: datetime | None = None) -> bytes:
    """Return ``message`` with a DKIM-Signature by ``key`` for ``domain`` prepended.

    ``headers``: the h= list; ``signed_at``: the time dkimpy writes in t= (its clock is
    stopped there while it signs; now by default).
    """
    clock = SimpleNamespace(time=lambda: signed_at.timestamp()) if signed_at else dkim.time
    with mock.patch.object(dkim, "time", clock):
        header = dkim.sign(message, selector.encode(), domain.encode(), key.private,
                           include_headers=list(headers), signature_algorithm=key.algorithm)
    return bytes(header) + message


def arc_seal(message: bytes, key: DkimKey, domain: str, srv_id: str,
             selector: str = "sel") -> bytes:
    """Return ``message`` with an ARC set (instance 1) by ``domain`` prepended."""
    results = f"Authentication-Results: {srv_id}; dkim=pass header.d=acme.test\r\n".encode()
    with_results = results + message
    headers = dkim.arc_sign(with_results, selector.encode(), domain.encode(), key.private,
                            srv_id.encode(), signature_algorithm=key.algorithm)
    return b"".join(headers) + with_results
