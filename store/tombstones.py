"""Keyed hashes of erased addresses (SPEC §13): what the store keeps instead of an address.

An erased address is replaced everywhere by `erased:<hash>`, and its tombstone holds the
hash: HMAC-SHA256 of the lower-cased address under a key derived from the server secret,
so a later capture of the address is recognised without the address being kept, and the
hash cannot be reversed by hashing a list of guessed addresses without the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import ErasedAddress

AddressHash = Callable[[str], str]
TOKEN_PREFIX = "erased:"


def erasure_key(secret: str) -> bytes:
    """Return the key of address hashes, derived from the server secret (one purpose)."""
    return hmac.new(secret.encode(), b"blindcopy address erasure", hashlib.sha256).digest()


def address_hasher(key: bytes) -> AddressHash:
    """Return the function giving an address's keyed hash (case-insensitive)."""
    def address_hash(address: str) -> str:
        return hmac.new(key, address.strip().lower().encode(), hashlib.sha256).hexdigest()
    return address_hash


def token(address_hash: str) -> str:
    """Return what stands in stored text where the erased address was."""
    return TOKEN_PREFIX + address_hash


def erased_among(session: Session, addresses: Iterable[str],
                 address_hash: AddressHash) -> set[tuple[str, str]]:
    """Return (project id or "", address) of each of `addresses` that has a tombstone."""
    by_hash = {address_hash(a): a for a in addresses}
    if not by_hash:
        return set()
    rows = session.execute(select(ErasedAddress.project_id, ErasedAddress.address_hash)
                           .where(ErasedAddress.address_hash.in_(sorted(by_hash))))
    return {(project_id, by_hash[hashed]) for project_id, hashed in rows}


def scrubber(replacements: dict[str, str]) -> Callable[[object], object]:
    """Return a function that replaces each address (any case) by its stand-in, everywhere
    in a string or a JSON value (lists and objects, keys too)."""
    if not replacements:
        return lambda value: value
    # Whole addresses only: not bob@client.test inside jimbob@client.test(.uk).
    alternatives = "|".join(re.escape(a) for a in sorted(replacements, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w.+=-])(?:{alternatives})(?![\w-]|\.\w)", re.IGNORECASE)
    lowered = {a.lower(): t for a, t in replacements.items()}

    def scrub(value: object) -> object:
        if isinstance(value, str):
            return pattern.sub(lambda m: lowered[m.group(0).lower()], value)
        if isinstance(value, list):
            return [scrub(v) for v in value]
        if isinstance(value, dict):
            return {scrub(k): scrub(v) for k, v in value.items()}
        return value
    return scrub
