"""DMARC-style relaxed identifier alignment (RFC 7489 §3.1) using the Public Suffix List.

Responsible for deciding whether an authenticated domain (a DKIM ``d=`` or the SPF domain)
belongs to the same organizational domain as the From domain. It uses the list bundled with
``publicsuffixlist`` (ICANN and private sections) and never fetches anything at run time.
"""

from functools import lru_cache

from publicsuffixlist import PublicSuffixList

_PSL = PublicSuffixList()


def normalize_domain(domain: str) -> str:
    """Return ``domain`` lower-cased, without surrounding dots or spaces, as IDNA A-labels."""
    cleaned = domain.strip().strip(".").lower()
    try:
        return cleaned.encode("idna").decode("ascii")
    except UnicodeError:
        return cleaned


@lru_cache(maxsize=4096)
def organizational_domain(domain: str) -> str:
    """Return the registrable domain of ``domain`` (the domain itself if it is a suffix)."""
    normalized = normalize_domain(domain)
    registrable = _PSL.privatesuffix(normalized)
    return str(registrable) if registrable else normalized


def is_aligned(authenticated_domain: str, from_domain: str) -> bool:
    """Return whether the two domains share an organizational domain (relaxed mode)."""
    if not authenticated_domain or not from_domain:
        return False
    return organizational_domain(authenticated_domain) == organizational_domain(from_domain)
