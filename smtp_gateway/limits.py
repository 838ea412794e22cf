"""Per-client limits: concurrent connections and messages per minute, and message shape checks.

All state is in memory of this process (a gateway behind a load balancer counts per node).
"""

from __future__ import annotations

import re
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from smtp_gateway import replies

_BOUNDARY = re.compile(rb'boundary="?([^";\r\n]+)"?', re.IGNORECASE)


@dataclass
class ClientLimits:
    """Counts connections and recent messages per client IP."""

    max_connections: int
    max_messages_per_minute: int
    clock: Callable[[], float] = time.monotonic
    _connections: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _messages: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def open_connection(self, ip: str) -> bool:
        """Count a new connection; False when the client has too many already."""
        if self._connections[ip] >= self.max_connections:
            return False
        self._connections[ip] += 1
        return True

    def close_connection(self, ip: str) -> None:
        """Forget a closed connection."""
        self._connections[ip] -= 1
        if self._connections[ip] <= 0:
            del self._connections[ip]

    def allow_message(self, ip: str) -> bool:
        """Count a message; False when the client sent too many in the last minute."""
        now = self.clock()
        recent = self._messages[ip]
        while recent and recent[0] <= now - 60:
            recent.popleft()
        if len(recent) >= self.max_messages_per_minute:
            return False
        recent.append(now)
        return True


def header_section(data: bytes) -> bytes:
    """Return the header section of a raw message (up to the first empty line)."""
    for separator in (b"\r\n\r\n", b"\n\n"):
        index = data.find(separator)
        if index >= 0:
            return data[:index]
    return data


def _mime_depth(data: bytes, max_depth: int) -> int:
    """Estimate MIME nesting from nested boundary declarations (cheap, no full parse)."""
    boundaries = _BOUNDARY.findall(data[: 8 * 1024 * 1024])
    return len(set(boundaries)) if len(boundaries) <= max_depth * 4 else max_depth + 1


def check_message_shape(data: bytes, max_headers: int, max_header_bytes: int,
                        max_depth: int) -> str | None:
    """Return the reply refusing a malformed-by-size message, or None when it is fine."""
    headers = header_section(data)
    if len(headers) > max_header_bytes:
        return replies.HEADERS_TOO_BIG
    fields_count = sum(1 for line in headers.splitlines() if line and line[:1] not in b" \t")
    if fields_count > max_headers:
        return replies.TOO_MANY_HEADERS
    if _mime_depth(data, max_depth) > max_depth:
        return replies.MIME_TOO_DEEP
    return None
