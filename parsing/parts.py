"""Bounded walk over the MIME tree of one message (SPEC §3, robust parsing).

`Message.walk()` recurses without limit and descends into attached messages; this walk
is iterative, stops at a maximum nesting depth and part count (recording a warning), and
hands back attached messages (message/rfc822, message/global) unopened, so each message's
own bodies are never mixed with those of the messages it carries. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import Message

MAX_MIME_DEPTH = 32
MAX_PARTS = 1000
ATTACHED_MESSAGE_TYPES = frozenset({"message/rfc822", "message/global"})


@dataclass
class PartWalk:
    """The leaves of one message's MIME tree, in order, and what the walk had to skip."""

    leaves: list[Message] = field(default_factory=list)
    attached_messages: list[Message] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _children(part: Message) -> list[Message]:
    payload = part.get_payload()
    if not isinstance(payload, list):
        return []
    return [child for child in payload if isinstance(child, Message)]


def _visit(part: Message, walk: PartWalk) -> bool:
    """Classify one part; return True when its children should be walked."""
    ctype = part.get_content_type()
    if ctype in ATTACHED_MESSAGE_TYPES:
        walk.attached_messages.append(part)
        walk.leaves.append(part)
        return False
    if part.is_multipart() and part.get_content_maintype() == "multipart":
        return True
    walk.leaves.append(part)
    return False


def walk_parts(
    msg: Message, max_depth: int = MAX_MIME_DEPTH, max_parts: int = MAX_PARTS
) -> PartWalk:
    """Walk `msg` depth-first to at most `max_depth` levels and `max_parts` parts."""
    walk = PartWalk()
    stack: list[tuple[Message, int]] = [(msg, 0)]
    seen = 0
    while stack:
        part, depth = stack.pop()
        seen += 1
        if seen > max_parts:
            walk.warnings.append(f"more than {max_parts} MIME parts; the rest ignored")
            break
        if not _visit(part, walk):
            continue
        if depth >= max_depth:
            walk.warnings.append(f"MIME nesting deeper than {max_depth}; deeper parts ignored")
            continue
        stack.extend((child, depth + 1) for child in reversed(_children(part)))
    return walk
