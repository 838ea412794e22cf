"""The exact bytes of a message attached to another (message/rfc822), as it was sent.

A forwarded original's own DKIM signature can only be checked over the bytes its author's
server signed. The email package parses an attached message into objects, and serialising
them again changes bytes a signature covers (header folding, line endings, the space after
a colon). So this module finds the attached message's byte range in the raw bytes of the
message that carries it, following the MIME boundaries the email package found (RFC 2046
§5.1.1), and hands the range back only when it parses to the very message the parser read.
It never guesses: when the range cannot be told exactly, there are no bytes. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import Message
from email.parser import BytesParser

from parsing.header_policy import MIME_POLICY
from parsing.parts import MAX_MIME_DEPTH

_LINE_END = re.compile(rb"\r\n|\r|\n")


def enclosed_source(raw: bytes, msg: Message, part: Message) -> bytes | None:
    """Return the bytes of the message `part` encloses, `part` being inside `msg` (`raw`).

    `part` is a message/rfc822 (or message/global) part sent as 7bit, 8bit or binary,
    found in `msg`'s own MIME tree (not inside another attached message). Return None when
    the bytes cannot be told exactly.
    """
    path = _path_to(msg, part)
    if path is None:
        return None
    entity: bytes | None = raw
    for node, index in path:
        entity = _child(entity, node, index) if entity is not None else None
    enclosed = _body(entity) if entity is not None else None
    if enclosed is None or not _reads_as(enclosed, part):
        return None
    return enclosed


def _path_to(msg: Message, part: Message) -> list[tuple[Message, int]] | None:
    """Return the (multipart, child index) steps from `msg` down to `part`, or None."""
    stack: list[tuple[Message, list[tuple[Message, int]]]] = [(msg, [])]
    while stack:
        node, path = stack.pop()
        if node is part:
            return path
        children = node.get_payload()
        if not node.is_multipart() or node.get_content_maintype() != "multipart" \
                or not isinstance(children, list) or len(path) >= MAX_MIME_DEPTH:
            continue
        stack.extend((child, [*path, (node, index)]) for index, child in enumerate(children))
    return None


def _lines(data: bytes) -> Iterator[tuple[int, int, int]]:
    """Yield (start, end, next start) of each line: `end` excludes its line ending."""
    start = 0
    for ending in _LINE_END.finditer(data):
        yield start, ending.start(), ending.end()
        start = ending.end()
    if start < len(data):
        yield start, len(data), len(data)


def _body(entity: bytes) -> bytes | None:
    """Return what follows the header block (up to the first empty line), or None."""
    for start, end, after in _lines(entity):
        if start == end:
            return entity[after:]
    return None


def _child(entity: bytes, multipart: Message, index: int) -> bytes | None:
    """Return the bytes of child `index` of `multipart`, whose bytes are `entity`."""
    boundary = multipart.get_boundary()
    children = multipart.get_payload()
    body = _body(entity)
    if boundary is None or body is None or not isinstance(children, list):
        return None
    parts = _split(body, boundary.encode("ascii", "surrogateescape"))
    # The email package found as many parts in the same bytes, or these are not the same.
    return parts[index] if len(parts) == len(children) else None


def _split(body: bytes, boundary: bytes) -> list[bytes]:
    """Return the body parts between delimiter lines (preamble and epilogue left out).

    A delimiter line starts the body or a line; the line ending before it belongs to it
    (RFC 2046 §5.1.1). Like the email package's, it may end in blanks, the last one in "--".
    """
    delimiter = re.compile(b"--" + re.escape(boundary) + rb"(--)?[ \t]*(?:\r\n|\r|\n|\Z)")
    parts: list[bytes] = []
    opened: int | None = None
    for found in delimiter.finditer(body):
        line_start = found.start()
        if line_start > 0 and body[line_start - 1] not in b"\r\n":
            continue
        if opened is not None:
            parts.append(body[opened:max(opened, _line_end_before(body, line_start))])
        if found.group(1):
            return parts
        opened = found.end()
    if opened is not None:
        parts.append(body[opened:])
    return parts


def _line_end_before(body: bytes, line_start: int) -> int:
    """Return where the line ending just before `line_start` begins."""
    return line_start - 2 if body[line_start - 2:line_start] == b"\r\n" else line_start - 1


def _reads_as(enclosed: bytes, part: Message) -> bool:
    """Tell whether `enclosed` parses to the message the email package read in `part`."""
    payload = part.get_payload()
    if not isinstance(payload, list) or len(payload) != 1 or not isinstance(payload[0], Message):
        return False
    try:
        return _same(BytesParser(policy=MIME_POLICY).parsebytes(enclosed), payload[0], 0)
    except Exception:  # noqa: BLE001 - a message that cannot be read again is not proved equal
        return False


def _same(one: Message, other: Message, depth: int) -> bool:
    """Tell whether two parsed messages hold the same header fields and contents, as read."""
    if depth > MAX_MIME_DEPTH or list(one.raw_items()) != list(other.raw_items()) \
            or _around(one) != _around(other):
        return False
    mine, theirs = one.get_payload(), other.get_payload()
    if isinstance(mine, list) and isinstance(theirs, list):
        return len(mine) == len(theirs) and all(
            _same(a, b, depth + 1) for a, b in zip(mine, theirs, strict=True))
    return bool(mine == theirs)


def _around(msg: Message) -> tuple[str, str]:
    """Return a multipart's preamble and epilogue, an absent one as ''.

    The email package reads an empty epilogue as None at the end of an enclosed message and
    as '' at the end of the message it is given.
    """
    return msg.preamble or "", msg.epilogue or ""
