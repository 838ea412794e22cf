"""Render the verdicts as an RFC 8601 ``Authentication-Results`` header value.

Responsible only for formatting; the verdicts are computed elsewhere. The ``dmarc`` method
reports the relaxed alignment computed here, not a published DMARC policy (none is fetched).
"""

from collections.abc import Iterable

from sender_auth.dkim_check import DkimSignatureResult


def render_authentication_results(
    authserv_id: str,
    signatures: Iterable[DkimSignatureResult],
    spf: tuple[str, str, str],
    arc_result: str,
    dmarc: tuple[bool, str],
) -> str:
    """Return ``authserv-id; dkim=…; spf=…; [arc=…;] dmarc=…``.

    ``spf`` is (result, identity "mailfrom" or "helo", domain); ``dmarc`` is
    (aligned, From domain).
    """
    parts = [authserv_id, *_dkim_parts(signatures), _spf_part(*spf)]
    if arc_result != "none":
        parts.append(f"arc={arc_result}")
    aligned, from_domain = dmarc
    parts.append(f"dmarc={'pass' if aligned else 'fail'} header.from={_value(from_domain)}")
    return "; ".join(parts)


def _dkim_parts(signatures: Iterable[DkimSignatureResult]) -> list[str]:
    parts = [
        f"dkim={sig.result} header.d={_value(sig.domain)} header.s={_value(sig.selector)}"
        for sig in signatures
    ]
    return parts or ["dkim=none"]


def _spf_part(result: str, identity: str, domain: str) -> str:
    if not domain:
        return f"spf={result}"
    return f"spf={result} smtp.{identity}={_value(domain)}"


def _value(text: str) -> str:
    """Quote a property value unless it is a plain token (RFC 8601 §2.2, RFC 2045 token)."""
    if text and all(c.isalnum() or c in "-._@+" for c in text) and text.isascii():
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
