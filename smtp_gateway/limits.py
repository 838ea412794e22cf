"""Client limits: concurrent connections (per client IP and in all), messages per minute per
client IP, and message shape checks.

All state is in memory of this process (a gateway behind a load balancer counts per node).
"""

from __future__ import annotations

import re
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from smtp_gateway import replies

# Seconds over which messages per client are counted (the limit is per minute).
_RATE_WINDOW = 60.0


@dataclass
class ClientLimits:
    """Counts connections (per client IP and in all) and recent messages per client IP.

    `max_total_connections` (0: none) keeps the process below its open-file limit: past
    that limit accepting fails inside the event loop, where no client can be told 421.
    """

    max_connections: int
    max_messages_per_minute: int
    max_total_connections: int = 0
    clock: Callable[[], float] = time.monotonic
    _connections: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _messages: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    _next_sweep: float = 0.0
    _total: int = 0

    def open_connection(self, ip: str) -> str | None:
        """Count a new connection; return the 421 refusing it when there are too many."""
        if self.max_total_connections and self._total >= self.max_total_connections:
            return replies.SERVER_BUSY
        if self._connections[ip] >= self.max_connections:
            return replies.TOO_MANY_CONNECTIONS
        self._connections[ip] += 1
        self._total += 1
        return None

    def close_connection(self, ip: str) -> None:
        """Forget a closed connection."""
        self._total -= 1
        self._connections[ip] -= 1
        if self._connections[ip] <= 0:
            del self._connections[ip]

    def allow_message(self, ip: str) -> bool:
        """Count a message; False when the client sent too many in the last minute."""
        now = self.clock()
        self._forget_quiet_clients(now)
        recent = self._messages[ip]
        while recent and recent[0] <= now - _RATE_WINDOW:
            recent.popleft()
        if len(recent) >= self.max_messages_per_minute:
            return False
        recent.append(now)
        return True

    @property
    def tracked_clients(self) -> int:
        """Return how many client addresses this process holds state for."""
        return len(self._messages.keys() | self._connections.keys())

    def _forget_quiet_clients(self, now: float) -> None:
        # A client rotating source addresses (an IPv6 /64 holds plenty) would otherwise
        # grow the map by one entry per address forever; once a window, drop quiet ones.
        if now < self._next_sweep:
            return
        self._next_sweep = now + _RATE_WINDOW
        quiet = [ip for ip, times in self._messages.items()
                 if not times or times[-1] <= now - _RATE_WINDOW]
        for ip in quiet:
            del self._messages[ip]


# A header field, a folded continuation, or a Unix "From " line: the standard library's
# feedparser ends a header section at the first line matching none of these.
_HEADER_LINE = re.compile(rb"^(From |[\041-\071\073-\176]*:|[\t ])")
_CONTENT_TYPE = re.compile(rb"^content-type[ \t]*:", re.IGNORECASE)
_BOUNDARY = re.compile(rb'boundary(\*)?[ \t]*=[ \t]*(?:"([^"]*)"|([^;\s]+))', re.IGNORECASE)


def header_section(data: bytes, limit: int | None = None) -> bytes:
    """Return the header section of a raw message: its lines up to the first empty one.

    Any of CRLF, LF or CR ends a line, as in the parser that reads the message later, so a
    message with bare-LF headers and a CRLF body has the same header section there and here.
    Only the first `limit` + 1 bytes are looked at when a limit is given.
    """
    window = data if limit is None else data[: limit + 1]
    size = 0
    for line in window.splitlines(keepends=True):
        # A line cut off by the window counts: it may be the start of a header field.
        if not _HEADER_LINE.match(line) and line.endswith((b"\n", b"\r")):
            break
        size += len(line)
    return window[:size]


def _content_type(field: bytes) -> tuple[bytes, bytes | None]:
    """Return (lower-case type/subtype, boundary or None) of a Content-Type field."""
    value = field.split(b":", 1)[1]
    kind = value.split(b";", 1)[0].strip().lower()
    match = _BOUNDARY.search(value)
    if match is None:
        return kind, None
    boundary = match.group(2) or match.group(3) or b""
    if match.group(1):
        # RFC 2231: boundary*=charset'language'value
        boundary = boundary.split(b"'", 2)[-1]
    return kind, boundary or None


@dataclass
class _Container:
    """An open multipart (with its boundary) or message/* entity (boundary None)."""

    boundary: bytes | None
    digest: bool = False


class _MimeScanner:
    """Follow MIME structure line by line, the way the standard library's feedparser nests
    entities, to measure nesting depth without building the message.

    A multipart counts once its first boundary line is seen; a message/* entity's body is a
    nested message that ends with its parent's boundary. Parts of a multipart/digest are
    message/rfc822 unless they say otherwise.
    """

    def __init__(self) -> None:
        self.stack: list[_Container] = []
        self.in_headers = True
        self.field = b""
        self.content_type: tuple[bytes, bytes | None] | None = None
        self.deepest = 0

    def feed(self, line: bytes) -> None:
        """Consume one line (without its line ending)."""
        if self.in_headers:
            if line and _HEADER_LINE.match(line):
                self._header_line(line)
                return
            self._end_headers()
            if not line:
                return
        if line.startswith(b"--"):
            self._boundary_line(line.rstrip(b" \t"))

    def _header_line(self, line: bytes) -> None:
        if line[:1] in (b" ", b"\t"):
            self.field += line
            return
        self._finish_field()
        self.field = line

    def _finish_field(self) -> None:
        if _CONTENT_TYPE.match(self.field):
            self.content_type = _content_type(self.field)
        self.field = b""

    def _default_type(self) -> tuple[bytes, bytes | None]:
        parent = self.stack[-1] if self.stack else None
        return (b"message/rfc822" if parent and parent.digest else b"text/plain"), None

    def _end_headers(self) -> None:
        self._finish_field()
        kind, boundary = self.content_type or self._default_type()
        self.content_type = None
        self.in_headers = False
        if kind.startswith(b"multipart/") and boundary:
            self.stack.append(_Container(boundary, digest=kind == b"multipart/digest"))
        elif kind == b"message/delivery-status":
            # Its body is a list of header blocks, one level down, with nothing nested.
            self.deepest = max(self.deepest, len(self.stack) + 1)
        elif kind.startswith(b"message/"):
            self.stack.append(_Container(None))
            self.deepest = max(self.deepest, len(self.stack))
            self.in_headers = True

    def _boundary_line(self, line: bytes) -> None:
        # Any open boundary ends every entity nested inside its multipart, as in the parser.
        for index in range(len(self.stack) - 1, -1, -1):
            boundary = self.stack[index].boundary
            if boundary is None:
                continue
            if line == b"--" + boundary:
                del self.stack[index + 1:]
                self.deepest = max(self.deepest, len(self.stack))
                self.in_headers = True
                return
            if line == b"--" + boundary + b"--":
                del self.stack[index:]
                return


_LINE_END = re.compile(rb"\r\n|\r|\n")


def _lines(data: bytes) -> Iterator[bytes]:
    """Yield what `data.splitlines()` returns, one line at a time (a scan may stop early)."""
    start = 0
    for end in _LINE_END.finditer(data):
        yield data[start:end.start()]
        start = end.end()
    if start < len(data):
        yield data[start:]


def mime_depth(data: bytes, stop_above: int) -> int:
    """Return how many multipart or message/* containers enclose the deepest part.

    Scanning stops as soon as the depth exceeds `stop_above`.
    """
    scanner = _MimeScanner()
    for line in _lines(data):
        scanner.feed(line)
        if scanner.deepest > stop_above:
            break
        if not scanner.stack and not scanner.in_headers:
            # A single-part body (or a multipart's epilogue) nests nothing more.
            break
    if scanner.in_headers:
        scanner.feed(b"")
    return scanner.deepest


def check_message_shape(data: bytes, max_headers: int, max_header_bytes: int,
                        max_depth: int) -> str | None:
    """Return the reply refusing a malformed-by-size message, or None when it is fine."""
    headers = header_section(data, max_header_bytes)
    if len(headers) > max_header_bytes:
        return replies.HEADERS_TOO_BIG
    fields_count = sum(1 for line in headers.splitlines() if line and line[:1] not in b" \t")
    if fields_count > max_headers:
        return replies.TOO_MANY_HEADERS
    if mime_depth(data, max_depth) > max_depth:
        return replies.MIME_TOO_DEEP
    return None
