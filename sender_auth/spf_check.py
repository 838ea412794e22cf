"""SPF (RFC 7208) for the envelope sender and client IP, evaluated by pyspf over our resolver.

Responsible for choosing the identity (MAIL FROM domain, or HELO for the null sender),
running pyspf in a worker thread with its DNS routed through ``DnsResolver`` (see
``spf_dns``), and turning a DNS failure into ``DnsTemporaryFailure`` instead of a verdict.
"""

import asyncio
from dataclasses import dataclass
from typing import Literal

import spf

from sender_auth import spf_dns
from sender_auth.alignment import normalize_domain
from sender_auth.errors import DnsTemporaryFailure
from sender_auth.resolver import DnsResolver

SpfVerdict = Literal["pass", "fail", "softfail", "neutral", "none", "permerror", "temperror"]
SpfIdentity = Literal["mailfrom", "helo"]

VERDICTS: frozenset[str] = frozenset(
    ("pass", "fail", "softfail", "neutral", "none", "permerror", "temperror"))


@dataclass(frozen=True, slots=True)
class SpfCheck:
    """The SPF verdict for one identity."""

    result: SpfVerdict
    domain: str
    identity: SpfIdentity
    explanation: str


def spf_identity(mail_from: str, helo: str) -> tuple[SpfIdentity, str]:
    """Return which identity SPF checks and its domain (RFC 7208 §2.3, §2.4)."""
    sender = mail_from.strip().strip("<>")
    if not sender:
        return "helo", normalize_domain(helo)
    return "mailfrom", normalize_domain(sender.rpartition("@")[2] or helo)


async def check_spf(mail_from: str, client_ip: str, helo: str, resolver: DnsResolver,
                    ) -> SpfCheck:
    """Evaluate SPF for ``client_ip`` sending as ``mail_from`` (or ``helo`` if it is null).

    Raise DnsTemporaryFailure when DNS failed (SPF's temperror); never return that verdict.
    """
    identity, domain = spf_identity(mail_from, helo)
    if not domain:
        return SpfCheck("none", "", identity, "no domain to check")
    sender = mail_from.strip().strip("<>")
    try:
        query = spf.query(i=client_ip, s=sender, h=helo, timeout=resolver.timeout)
    except spf.PermError as exc:
        return SpfCheck("permerror", domain, identity, f"client IP {client_ip!r}: {exc}")
    with spf_dns.bridged(resolver) as bridge:
        result, _, explanation = await asyncio.to_thread(query.check)
    if result == "temperror":
        raise bridge.failures[0] if bridge.failures else DnsTemporaryFailure(explanation)
    verdict: SpfVerdict = result if result in VERDICTS else "permerror"
    return SpfCheck(verdict, domain, identity, explanation)
