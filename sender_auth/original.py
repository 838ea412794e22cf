"""How sure blindcopy is of a forwarded original: its own DKIM signature (SPEC §9).

A forward is proved by its forwarder; the original it attaches says who wrote it, and only
the original's own signature, aligned with the original's From and covering the fields
shown, proves that. This module checks the original's exact bytes; it does not decide what
the verdict changes (nothing is stopped by it). DNS trouble raises DnsTemporaryFailure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sender_auth.alignment import normalize_domain
from sender_auth.dkim_check import check_dkim
from sender_auth.dkim_coverage import AlignedSignature, aligned_signature
from sender_auth.resolver import DnsResolver

OriginalVerdict = Literal["verified", "uncovered", "invalid", "not_aligned", "unsigned"]


@dataclass(frozen=True, slots=True)
class OriginalCheck:
    """The verdict on a forwarded original's own DKIM signatures."""

    verdict: OriginalVerdict
    from_domain: str
    # The aligned signature that verified (verified, uncovered), if any.
    signature: AlignedSignature | None = None
    # d= domains of the signatures that verified (aligned or not).
    pass_domains: tuple[str, ...] = ()
    # "d=domain: why" of the signatures that did not verify.
    failures: tuple[str, ...] = ()


async def check_original(source: bytes, from_domain: str, resolver: DnsResolver) -> OriginalCheck:
    """Verify the original whose exact bytes are `source` against its From domain.

    `verified`: an aligned signature verified and signs every field shown; `uncovered`: it
    leaves one unsigned; else `invalid` (a signature failed), `not_aligned` (only another
    domain's signature verified) or `unsigned`.
    """
    from_domain = normalize_domain(from_domain)
    dkim = await check_dkim(source, resolver)
    signature = aligned_signature(dkim, from_domain)
    failures = tuple(f"{s.domain}: {s.reason}" for s in dkim.signatures if s.result != "pass")
    return OriginalCheck(_verdict(signature, dkim.pass_domains, failures), from_domain,
                         signature, dkim.pass_domains, failures)


def _verdict(signature: AlignedSignature | None, pass_domains: tuple[str, ...],
             failures: tuple[str, ...]) -> OriginalVerdict:
    if signature is not None:
        return "uncovered" if signature.uncovered else "verified"
    if failures:
        return "invalid"
    return "not_aligned" if pass_domains else "unsigned"
