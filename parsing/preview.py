"""Clean previews: the newest reply of a body without quotes or signature (SPEC §3).

Quoted history, reply headers ("On … wrote:"), signatures and disclaimers are removed with
`mail-parser-reply` (multilingual rules); lines still quoted with ">" (bottom-posting) are
dropped afterwards. Pure: no I/O. The full body stays in `ParsedMessage.text`.
"""

from __future__ import annotations

import re

from mailparser_reply.constants import MAIL_LANGUAGES

from parsing.regex_shapes import fold
from parsing.reply_headers import reply_fragments

PREVIEW_CHARS = 500
# Reply detection is regex work over the whole body; previews need only its beginning.
_MAX_SCAN_CHARS = 100_000
# Without a reply header the first scan decides only if its reply fills the preview twice
# over, so it need read little more than that (a tenth more: whitespace and quotes).
_FIRST_SCAN_CHARS = 2 * PREVIEW_CHARS * 11 // 10

_LANGUAGES: list[str] = [str(code) for code in MAIL_LANGUAGES]
_QUOTED_LINE = re.compile(r"^\s*>")
_WROTE = ("wrote", "schrieb", "a écrit", "escribió", "scrisse", "schreef", "написал", "napisał",
          "skrev", "escreveu")
_WROTE_WORDS = "(" + "|".join(_WROTE) + ")"
_WROTE_LINE = re.compile(rf"(?i)^.{{0,200}}\b{_WROTE_WORDS}\s*:\s*$")
# A reply header wrapped over two lines ("… пользователь "bob" <\nbob@x> написал:").
_WRAPPED_HEADER = re.compile(rf"(?im)^[^\n]{{0,200}}\n[^\n]{{0,200}}\b{_WROTE_WORDS}\s*:\s*$")


def _newest_reply(text: str) -> tuple[str, bool]:
    """Return the newest reply and whether a reply header ended it (False: ran to the end)."""
    try:
        replies = reply_fragments(text, _LANGUAGES)
    except Exception:  # noqa: BLE001 - a preview must never lose the message
        return text, False
    return (str(replies[0].body), len(replies) > 1) if replies else (text, False)


def _unquoted(text: str) -> str:
    # Both regexes need a "wrote" word (in any case): looking for the words is much cheaper.
    # Folded as the regexes compare ("İ" is "i" to them; `casefold` would make it two).
    folded = fold(text)
    wrote = any(word in folded for word in _WROTE)
    header = _WRAPPED_HEADER.search(text) if wrote else None
    if header is not None and header.start() > 0:
        text = text[: header.start()]
    lines = [line for line in text.splitlines() if not _QUOTED_LINE.match(line)]
    return "\n".join(line for line in lines if not (wrote and _WROTE_LINE.match(line)))


def _preview(text: str, limit: int) -> tuple[str, bool]:
    """Return the preview of `text` and whether a longer text could not change it."""
    reply, ended_by_header = _newest_reply(text.replace("\r\n", "\n"))
    cleaned = " ".join(_unquoted(reply).split())
    if not cleaned:
        return " ".join((_unquoted(text) or text).split())[:limit], False
    # A reply header inside the text ends the newest reply wherever the text is cut after
    # it; a reply that fills the preview twice over is not changed by what follows either.
    return cleaned[:limit], ended_by_header or len(cleaned) >= 2 * limit


def clean_preview(text: str, limit: int = PREVIEW_CHARS) -> str:
    """Return the newest reply in `text`, whitespace collapsed, at most `limit` characters."""
    text = text[:_MAX_SCAN_CHARS]
    # The reply rules are regexes over the whole text (most of a message's parse time):
    # try the beginning first, and scan everything only when the beginning cannot decide.
    if len(text) > _FIRST_SCAN_CHARS:
        preview, decided = _preview(text[:_FIRST_SCAN_CHARS], limit)
        if decided:
            return preview
    return _preview(text, limit)[0]
