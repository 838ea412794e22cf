"""policy.default, with each short header value parsed once (SPEC §3 parsing, speed only).

The email package parses a header through its registry on every read: `get_content_type()`,
`get_content_charset()`, `get_filename()` and `get_payload(decode=True)` each read
Content-Type or Content-Disposition again, about thirty parses for a two-part message and
a third of its parse time. A parsed header is an immutable str subclass, so the one parsed
for a (name, value) pair can serve every later read of the same pair; long values (Received,
DKIM-Signature, address lists of a mailing) are read once anyway and are not kept. Pure: no
I/O; the same header objects as policy.default gives.
"""

from __future__ import annotations

import functools
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


MIME_POLICY = MemoizingPolicy()
