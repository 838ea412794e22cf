"""Sender verification for bcc and forward captures, turned into the rules' SenderAuthFacts.

DNS for the sender is skipped where it cannot change the decision: a trusted relay, a
released message, or projects that all trust the From header. An attached forwarded
original's own signature is checked in every case (SPEC §9 original_verified). A DNS
failure becomes TemporaryFailure (retry).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime

from parsing import ForwardKind, ParsedMessage
from processing.context import ProcessingContext
from processing.errors import TemporaryFailure
from rules import DkimProof, OriginalAuthFacts, OriginalProof, SenderAuthFacts
from sender_auth import AlignedSignature, DnsTemporaryFailure, check_original, verify_sender
from sender_auth.dkim_check import check_dkim
from sender_auth.dkim_coverage import aligned_signature
from sender_auth.relays import is_trusted_relay


@dataclass(frozen=True, slots=True)
class Envelope:
    """The SMTP envelope of a received message, with the time it was received."""

    mail_from: str
    client_ip: str
    helo: str
    received_at: datetime


def _dkim_proof(signature: AlignedSignature | None, envelope: Envelope,
                ctx: ProcessingContext) -> DkimProof | None:
    """The rules' view of the aligned signature, with what judging its age takes."""
    if signature is None:
        return None
    return DkimProof(signature.domain, envelope.received_at, ctx.dkim_replay_window,
                     signature.uncovered, signature.signed_at)


@contextmanager
def _dns_trouble_is_temporary() -> Iterator[None]:
    """Turn a DNS failure into TemporaryFailure: the message is retried, never judged."""
    try:
        yield
    except DnsTemporaryFailure as exc:
        raise TemporaryFailure(f"DNS failure during sender verification: {exc}") from exc


async def verify_capture(raw: bytes, parsed: ParsedMessage, envelope: Envelope,
                         ctx: ProcessingContext, *, released: bool,
                         required: bool) -> tuple[SenderAuthFacts, str]:
    """Return the sender facts and the Authentication-Results value for a capture."""
    facts, results = await _verify_sender(raw, parsed, envelope, ctx, released=released,
                                          required=required)
    if parsed.forwarded is None:
        return facts, results
    return replace(facts, original=await _original_facts(parsed.forwarded, ctx)), results


async def _original_facts(original: ParsedMessage, ctx: ProcessingContext) -> OriginalAuthFacts:
    """The rules' view of a forwarded original's own signatures (checked over its bytes)."""
    from_domain = original.author.domain if original.author else ""
    if original.forwarded_as is ForwardKind.INLINE:
        return OriginalAuthFacts(OriginalProof.INLINE, from_domain)
    if not original.source:
        return OriginalAuthFacts(OriginalProof.NO_SOURCE, from_domain)
    with _dns_trouble_is_temporary():
        check = await check_original(original.source, from_domain, ctx.resolver)
    signature = check.signature
    return OriginalAuthFacts(
        OriginalProof(check.verdict), check.from_domain,
        domain=signature.domain if signature else "",
        uncovered=signature.uncovered if signature else (), pass_domains=check.pass_domains,
        failures=check.failures)


async def _verify_sender(raw: bytes, parsed: ParsedMessage, envelope: Envelope,
                         ctx: ProcessingContext, *, released: bool,
                         required: bool) -> tuple[SenderAuthFacts, str]:
    if released:
        return SenderAuthFacts(released=True, summary="released by an admin"), ""
    if not envelope.client_ip:
        # A dry run has no SMTP envelope: only a DKIM signature can prove the sender.
        return await _dkim_only(raw, parsed, envelope, ctx) if required else (
            SenderAuthFacts(summary="not required"), "")
    if is_trusted_relay(envelope.client_ip, ctx.trusted_relays):
        summary = f"{ctx.authserv_id}; none (trusted relay {envelope.client_ip})"
        return SenderAuthFacts(trusted_relay=True, summary=summary), summary
    if not required:
        return SenderAuthFacts(summary="not required"), ""
    author = parsed.author
    with _dns_trouble_is_temporary():
        result = await verify_sender(
            raw, from_domain=author.domain if author else "", mail_from=envelope.mail_from,
            client_ip=envelope.client_ip, helo=envelope.helo,
            resolver=ctx.resolver, trusted_relays=ctx.trusted_relays,
            authserv_id=ctx.authserv_id)
    facts = SenderAuthFacts(dkim_proof=_dkim_proof(result.dkim_signature, envelope, ctx),
                            spf_aligned=result.spf_aligned,
                            trusted_relay=result.trusted_relay,
                            summary=result.authentication_results,
                            from_domain=result.from_domain,
                            dkim_failures=tuple(f"{d}: {why}" for d, why in result.dkim_failures),
                            dkim_pass_domains=result.dkim_pass_domains,
                            spf_result=result.spf_result, spf_domain=result.spf_domain)
    return facts, result.authentication_results


async def _dkim_only(raw: bytes, parsed: ParsedMessage, envelope: Envelope,
                     ctx: ProcessingContext) -> tuple[SenderAuthFacts, str]:
    author = parsed.author
    with _dns_trouble_is_temporary():
        dkim = await check_dkim(raw, ctx.resolver)
    proof = _dkim_proof(aligned_signature(dkim, author.domain if author else ""), envelope, ctx)
    summary = f"{ctx.authserv_id}; dkim={'pass' if proof else 'fail'} (no SMTP envelope)"
    return SenderAuthFacts(dkim_proof=proof, summary=summary), summary
