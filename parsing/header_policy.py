"""policy.default, with each short header value parsed once (SPEC §3 parsing, speed only).

The email package parses a header through its registry on every read: `get_content_type()`,
`get_content_charset()`, `get_filename()` and `get_payload(decode=True)` each read
Content-Type or Content-Disposition again, about thirty parses for a two-part message and
a third of its parse time. A parsed header is an immutable str subclass, so the one parsed
for a (name, value) pair can serve every later read of the same pair; long values (Received,
DKIM-Signature, address lists of a mailing) are read once anyway and are not kept.

The registry builds each header class once: the standard library's
`HeaderRegistry.__getitem__` builds a new class (`type(...)`) for every header it parses, a
few microseconds each, and a class refers to itself, so only the garbage collector frees it
(under the Log button's load, thousands of them between two full collections). Pure: no
I/O; header objects equal to policy.default's, of classes with the same names and bases.
"""

from __future__ import annotations

import functools
from email.headerregistry import BaseHeader, HeaderRegistry
from email.policy import EmailPolicy
from typing import Any

# Values longer than this are parsed every time (they are rarely read twice, and big).
MEMO_MAX_CHARS = 256
MEMO_ENTRIES = 1024


class MemoizingPolicy(EmailPolicy):
    """EmailPolicy whose header_fetch_parse reuses the parse of a short (name, value)."""

    def header_fetch_parse(self, name: str, value: Any) -> Any:
        """Return the header object, parsed once per distinct short (name, value)."""
        if hasattr(value, "name") or len(value) > MEMO_MAX_CHARS:
            return super().header_fetch_parse(name, value)
        return _parsed(self, name, value)


@functools.lru_cache(maxsize=MEMO_ENTRIES)
def _parsed(policy: EmailPolicy, name: str, value: str) -> Any:
    return EmailPolicy.header_fetch_parse(policy, name, value)


class OneClassPerKindRegistry(HeaderRegistry):
    """HeaderRegistry whose header classes are built once each, not once per header parsed."""

    def __init__(self) -> None:
        super().__init__()
        self._built: dict[type, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        """Return the class for `name` headers: the one `HeaderRegistry` builds, built once."""
        kind = self.registry.get(name.lower(), self.default_class)
        built = self._built.get(kind)
        if built is None:
            built = self._built[kind] = super().__getitem__(name)
        return built


MIME_POLICY = MemoizingPolicy(header_factory=OneClassPerKindRegistry())
