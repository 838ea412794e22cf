"""DKIM and ARC verification of a raw message with dkimpy, its keys fetched asynchronously.

dkimpy asks for keys through a synchronous ``dnsfunc``. So this module first reads the
``s=``/``d=`` tags of every DKIM-Signature, ARC-Message-Signature and ARC-Seal header, fetches
those keys through the shared ``DnsResolver`` (its cache, its timeout), then runs dkimpy in a
worker thread with a ``dnsfunc`` that only reads the prefetched answers. It reports verdicts;
it does not decide whether they are enough (alignment and policy live elsewhere).
"""

import asyncio
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import dkim
from dkim.util import InvalidTagValueList, parse_tag_value

from sender_auth.resolver import DnsResolver

DkimVerdict = Literal["pass", "fail", "permerror"]
ArcVerdict = Literal["pass", "fail", "none"]

SIGNATURE_HEADERS = (b"dkim-signature", b"arc-message-signature", b"arc-seal")
KeyAnswers = Mapping[str, Sequence[bytes]]


@dataclass(frozen=True, slots=True)
class DkimSignatureResult:
    """The verdict on one DKIM-Signature header, in header order."""

    domain: str
    selector: str
    algorithm: str
    result: DkimVerdict
    reason: str
    # The header field names the signature lists (h=), lower-cased, in order.
    signed_headers: tuple[str, ...] = ()
    # The signature's timestamp (t=, seconds since the epoch), when it has one.
    timestamp: int | None = None


@dataclass(frozen=True, slots=True)
class DkimCheck:
    """Every DKIM signature's verdict and the ARC chain's verdict."""

    signatures: tuple[DkimSignatureResult, ...]
    arc_result: ArcVerdict
    # The name of every header field of the message, lower-cased, top to bottom: what the
    # signatures' h= lists are counted against (RFC 6376 §5.4.2).
    header_names: tuple[str, ...] = ()

    @property
    def pass_domains(self) -> tuple[str, ...]:
        """Return the distinct ``d=`` domains of passing signatures, in header order."""
        passing = (s.domain for s in self.signatures if s.result == "pass")
        return tuple(dict.fromkeys(passing))


async def check_dkim(raw: bytes, resolver: DnsResolver) -> DkimCheck:
    """Verify every DKIM signature and the ARC chain of ``raw``.

    Raise DnsTemporaryFailure when a key cannot be fetched; never return a verdict then.
    """
    header_names, headers = _signature_headers(raw)
    names = sorted({name for tags in headers.values() for name in map(_key_name, tags) if name})
    answers = await asyncio.gather(*(resolver.txt(name) for name in names))
    keys = dict(zip(names, answers, strict=True))
    has_arc = any(headers[name] for name in SIGNATURE_HEADERS[1:])
    check = await asyncio.to_thread(_verify_all, raw, keys, headers[b"dkim-signature"], has_arc)
    return replace(check, header_names=header_names)


def _signature_headers(
    raw: bytes,
) -> tuple[tuple[str, ...], dict[bytes, list[dict[bytes, bytes]]]]:
    """Return every header field name, and the parsed tags of each signature header.

    Read as dkimpy reads the message when it verifies it; names lower-cased.
    """
    found: dict[bytes, list[dict[bytes, bytes]]] = {name: [] for name in SIGNATURE_HEADERS}
    try:
        headers, _ = dkim.rfc822_parse(raw)
    except Exception:  # noqa: BLE001 - dkimpy raises IndexError too on a header it cannot read
        # Nothing dkimpy cannot read can verify: no signature, no ARC set, no verdicts.
        return (), found
    for name, value in headers:
        if name.lower() in found:
            found[name.lower()].append(_parse_tags(value))
    return tuple(_text(name).lower() for name, _ in headers), found


def _parse_tags(value: bytes) -> dict[bytes, bytes]:
    try:
        return dict(parse_tag_value(value))
    except InvalidTagValueList:
        return {}


def _key_name(tags: Mapping[bytes, bytes]) -> str | None:
    """Return ``{s}._domainkey.{d}`` for a signature's tags, or None when they are missing."""
    selector, domain = tags.get(b"s"), tags.get(b"d")
    if not selector or not domain:
        return None
    return _normalize(selector + b"._domainkey." + domain)


def _normalize(name: bytes) -> str:
    return _text(name).strip().rstrip(".").lower()


def _text(value: bytes) -> str:
    return value.decode("ascii", "replace")


def _signed_headers(tags: Mapping[bytes, bytes]) -> tuple[str, ...]:
    """Return the names an h= tag lists, lower-cased (split as dkimpy splits them)."""
    listed = tags.get(b"h", b"").strip()
    return tuple(_text(name).lower() for name in re.split(rb"\s*:\s*", listed)) if listed else ()


def _timestamp(tags: Mapping[bytes, bytes]) -> int | None:
    value = tags.get(b"t", b"").strip()
    return int(value) if value.isdigit() else None


def _verify_all(raw: bytes, keys: KeyAnswers, dkim_tags: list[dict[bytes, bytes]],
                has_arc: bool) -> DkimCheck:
    """Run dkimpy over every signature and the ARC chain (CPU-bound: runs in a thread).

    `has_arc`: whether the header has an ARC set to validate (without one it is "none").
    """
    def dnsfunc(name: bytes, timeout: float = 5) -> bytes | None:
        return _pick_key_record(keys.get(_normalize(name), ()))

    signatures = tuple(
        _verify_signature(raw, index, tags, dnsfunc) for index, tags in enumerate(dkim_tags))
    arc_result = _verify_arc(raw, dnsfunc) if has_arc else "none"
    return DkimCheck(signatures=signatures, arc_result=arc_result)


def _pick_key_record(records: Sequence[bytes]) -> bytes | None:
    """Prefer the record that looks like a DKIM key when a name has several TXT records."""
    for record in records:
        if record.lstrip().startswith(b"v=DKIM1") or b"p=" in record:
            return record
    return records[0] if records else None


def _verify_signature(
    raw: bytes, index: int, tags: Mapping[bytes, bytes], dnsfunc: object
) -> DkimSignatureResult:
    verdict, reason = _run_dkimpy(raw, index, dnsfunc)
    return DkimSignatureResult(
        domain=_normalize(tags.get(b"d", b"")),
        selector=_text(tags.get(b"s", b"")),
        algorithm=_text(tags.get(b"a", b"")),
        result=verdict,
        reason=reason,
        signed_headers=_signed_headers(tags),
        timestamp=_timestamp(tags),
    )


def _run_dkimpy(raw: bytes, index: int, dnsfunc: object) -> tuple[DkimVerdict, str]:
    """Return dkimpy's verdict on signature ``index`` and a short reason."""
    try:
        if dkim.DKIM(raw).verify(idx=index, dnsfunc=dnsfunc):
            return "pass", "signature verified"
        return "fail", "signature or key did not verify"
    except dkim.ValidationError as exc:
        # dkimpy appends both hashes to this message; the hashes help nobody reading it.
        return "fail", str(exc).partition(" (got ")[0]
    except dkim.DKIMException as exc:
        return "permerror", str(exc)


def _verify_arc(raw: bytes, dnsfunc: object) -> ArcVerdict:
    """Return the chain validation status of the ARC set (``none`` when there is none)."""
    try:
        status, _, _ = dkim.arc_verify(raw, dnsfunc=dnsfunc)
    except dkim.DKIMException:
        return "fail"
    if status == b"pass":
        return "pass"
    return "none" if status == b"none" else "fail"
