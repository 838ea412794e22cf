"""Verify who sent a message: DKIM, ARC, SPF, alignment and trusted relays in one call.

Responsible for running the checks (DKIM/ARC and SPF concurrently) and assembling one
``SenderAuthResult`` with its ``Authentication-Results`` value. It does not apply a project's
``sender_auth`` policy: callers decide what is enough. A DNS failure raises
``DnsTemporaryFailure``; a verdict is never returned then.
"""

import asyncio
from dataclasses import dataclass
from typing import TypeVar

from sender_auth.alignment import is_aligned, normalize_domain
from sender_auth.dkim_check import check_dkim
from sender_auth.dkim_coverage import AlignedSignature, aligned_signature
from sender_auth.relays import Network, is_trusted_relay
from sender_auth.resolver import DnsResolver
from sender_auth.results_header import render_authentication_results
from sender_auth.spf_check import check_spf

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SenderAuthResult:
    """Every verdict about the sender of one message."""

    from_domain: str
    dkim_pass_domains: tuple[str, ...]
    dkim_aligned: bool
    spf_result: str        # pass|fail|softfail|neutral|none|permerror|temperror
    spf_domain: str
    spf_aligned: bool
    arc_result: str        # pass|fail|none
    trusted_relay: bool    # client IP inside one of the trusted relay CIDRs
    authentication_results: str   # RFC 8601 header value
    # (d= domain, why) of every DKIM signature that did not verify, in header order.
    dkim_failures: tuple[tuple[str, str], ...] = ()
    # The aligned signature that verified and covers most (None when dkim_aligned is False).
    dkim_signature: AlignedSignature | None = None

    @property
    def aligned(self) -> bool:
        """Return whether an aligned DKIM pass or an aligned SPF pass was found."""
        return self.dkim_aligned or self.spf_aligned


async def verify_sender(
    raw: bytes,
    *,
    from_domain: str,
    mail_from: str,
    client_ip: str,
    helo: str,
    resolver: DnsResolver,
    trusted_relays: tuple[Network, ...],
    authserv_id: str,
) -> SenderAuthResult:
    """Verify ``raw`` received from ``client_ip`` with envelope ``mail_from`` and ``helo``.

    Raise DnsTemporaryFailure when DNS timed out or failed, so the message is retried.
    """
    from_domain = normalize_domain(from_domain)
    # Both checks always run to the end, so no worker thread outlives this call.
    dkim_outcome, spf_outcome = await asyncio.gather(
        check_dkim(raw, resolver), check_spf(mail_from, client_ip, helo, resolver),
        return_exceptions=True)
    dkim, spf = _unwrap(dkim_outcome), _unwrap(spf_outcome)
    signature = aligned_signature(dkim, from_domain)
    dkim_aligned = signature is not None
    spf_aligned = spf.result == "pass" and is_aligned(spf.domain, from_domain)
    header = render_authentication_results(
        authserv_id, dkim.signatures, (spf.result, spf.identity, spf.domain),
        dkim.arc_result, (dkim_aligned or spf_aligned, from_domain))
    return SenderAuthResult(
        from_domain=from_domain,
        dkim_pass_domains=dkim.pass_domains,
        dkim_aligned=dkim_aligned,
        spf_result=spf.result,
        spf_domain=spf.domain,
        spf_aligned=spf_aligned,
        arc_result=dkim.arc_result,
        trusted_relay=is_trusted_relay(client_ip, trusted_relays),
        authentication_results=header,
        dkim_failures=tuple((s.domain, s.reason) for s in dkim.signatures if s.result != "pass"),
        dkim_signature=signature,
    )


def _unwrap(outcome: T | BaseException) -> T:
    """Return a gathered result, or raise the exception it ended with."""
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome
