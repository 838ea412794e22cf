"""Address parsing with flanker, entry by entry, with a lenient fallback (SPEC §3).

flanker's `parse_list` drops a whole list when one entry is bad, so each entry is parsed
on its own; an entry flanker refuses is kept if it still looks like local@domain.

flanker's grammar parse costs ≈ 0.1 ms an entry, and the same entries come back message
after message (a project's members, its frequent contacts, its own addresses): the last
`PARSED_ENTRIES_KEPT` entries' results (immutable `Address` values) are kept.

flanker builds its grammar's parser tables when it is first imported and reports on that
build through its loggers: 28 "Symbol … is unreachable" lines (its five parsers share one
grammar), and "Couldn't create …" lines where its package folder is read-only (a systemd
unit, a read-only container), where it builds them at every start. They say nothing about
any message, and Python prints them on standard error before the service's logging is set
up, so flanker is imported with its warnings silenced.
"""

from __future__ import annotations

import functools
import importlib
import logging
import re
from email.utils import getaddresses
from types import ModuleType

from parsing.message import Address

_LENIENT = re.compile(r"^[^\s@<>,;]+@[^\s@<>,;]+$")
PARSED_ENTRIES_KEPT = 4096
# An entry longer than this is parsed every time (a kept result must stay small).
_LONGEST_KEPT_ENTRY = 512


def _import_flanker_quietly() -> ModuleType:
    """Import flanker's address module with the reports of its table build silenced."""
    flanker_log = logging.getLogger("flanker")
    level = flanker_log.level
    flanker_log.setLevel(logging.ERROR)
    try:
        return importlib.import_module("flanker.addresslib.address")
    finally:
        flanker_log.setLevel(level)


flanker_address = _import_flanker_quietly()


def _normalize(addr: str) -> str:
    local, _, domain = addr.strip().strip("<>").rpartition("@")
    return f"{local}@{domain.lower()}" if local else addr.strip().lower()


def parse_address(text: str) -> Address | None:
    """Parse one mailbox; return None when nothing address-like is in it."""
    text = text.strip()
    if not text:
        return None
    return _parse_kept(text) if len(text) <= _LONGEST_KEPT_ENTRY else _parse(text)


@functools.lru_cache(maxsize=PARSED_ENTRIES_KEPT)
def _parse_kept(text: str) -> Address | None:
    return _parse(text)


def _parse(text: str) -> Address | None:
    parsed = flanker_address.parse(text)
    if parsed is not None and getattr(parsed, "addr_type", "") == "email":
        return Address(_normalize(parsed.address), str(parsed.display_name or ""))
    for name, addr in getaddresses([text]):
        if _LENIENT.match(addr.strip()):
            return Address(_normalize(addr), name.strip())
    return None


def parse_address_list(values: list[str] | tuple[str, ...]) -> tuple[Address, ...]:
    """Parse header values into unique addresses, in order, skipping unusable entries."""
    seen: set[str] = set()
    result: list[Address] = []
    for name, addr in getaddresses(list(values)):
        entry = f'"{name}" <{addr}>' if name else addr
        parsed = parse_address(entry) or parse_address(addr)
        if parsed is not None and parsed.key not in seen:
            seen.add(parsed.key)
            result.append(parsed)
    return tuple(result)
