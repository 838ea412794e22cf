"""mail-parser-reply's reply-header search, one regex per language piece instead of one big one.

mail-parser-reply finds reply headers ("On … wrote:", "From: … Sent: …" blocks in 13
languages) with `findall` of ONE alternation of all of them; the regex engine then tries
every alternative at every character, which is most of a message's parse time. Searching
each piece on its own and taking the leftmost match (the first piece on a tie) finds exactly
what the alternation finds, at about half the cost. The pieces are the library's own; when
they do not join into the library's pattern (another release) or could match an empty
string, the library's regex is used unchanged.

Most pieces can only start a match at the start of a line or at a newline (they begin with
`^` or `\n`, e.g. "(?:^|\n|\n(?:> ?)*)From:"); the regex engine still tries them at
every character. Such a piece is tried only at those places (`pattern.match` there), which
finds the same leftmost match at about a third of the cost, unless the text's lines are so
short that trying every character is cheaper. Pure: no I/O.
"""

from __future__ import annotations

import bisect
import functools
import re
import re._constants as re_constants  # the parsed pieces' opcodes (see _starts_a_line)
import re._parser as re_parser  # widths and starts of the pieces (see _never_empty)
from collections.abc import Sequence
from re import Match, Pattern
from typing import Any

from mailparser_reply.constants import GENERIC_MAIL_SEPARATOR
from mailparser_reply.parser import EmailMessage, EmailReply, EmailReplyParser

# Trying a piece at one place costs about as much as searching ten characters.
_CHARACTERS_PER_TRY = 10
_REPEATS = (re_constants.MAX_REPEAT, re_constants.MIN_REPEAT, re_constants.POSSESSIVE_REPEAT)
_LINE_ANCHORS = (re_constants.AT_BEGINNING, re_constants.AT_BEGINNING_STRING)


def _starts_a_line(items: Any) -> bool:
    """Tell whether every match of the parsed `items` begins with `^`, `\\A` or a newline."""
    if not len(items):
        return False
    opcode, argument = items[0]
    if opcode is re_constants.LITERAL:
        return bool(argument == ord("\n"))
    if opcode is re_constants.AT:
        return argument in _LINE_ANCHORS
    if opcode is re_constants.SUBPATTERN:
        _group, added, removed, inner = argument
        return not added and not removed and _starts_a_line(inner)
    if opcode is re_constants.BRANCH:
        return all(_starts_a_line(branch) for branch in argument[1])
    if opcode in _REPEATS:
        least, _most, inner = argument
        return bool(least >= 1) and _starts_a_line(inner)
    return False


def _line_anchored(pattern: Pattern[str]) -> bool:
    try:
        return _starts_a_line(re_parser.parse(pattern.pattern, pattern.flags))
    except Exception:  # noqa: BLE001 - a private parser may change: then search everywhere
        return False


def _line_starts(text: str) -> list[int]:
    """Return where a line-anchored piece may start: 0, each newline and the place after it."""
    places = [0]
    newline = text.find("\n")
    while newline >= 0:
        if places[-1] != newline:  # not already there as the place after the last newline
            places.append(newline)
        places.append(newline + 1)
        newline = text.find("\n", newline + 1)
    return places


class _PieceWiseSearch:
    """Duck-types `Pattern.findall` for the library: the alternation of `pieces`, piece-wise."""

    def __init__(self, pieces: Sequence[Pattern[str]]) -> None:
        self.pieces = tuple(pieces)
        self.line_anchored = tuple(_line_anchored(p) for p in self.pieces)

    def _search(self, index: int, text: str, position: int,
                places: list[int] | None) -> Match[str] | None:
        """Return piece `index`'s leftmost match at or after `position` (None: none)."""
        pattern = self.pieces[index]
        if places is None or not self.line_anchored[index]:
            return pattern.search(text, position)
        for place in places[bisect.bisect_left(places, position):]:
            match = pattern.match(text, place)
            if match is not None:
                return match
        return None

    def findall(self, text: str) -> list[tuple[str, ...]]:
        """Return, per match of the alternation, the groups of the piece that matched.

        The alternation's own tuples also hold the other pieces' groups, always empty
        there; the library keeps only non-empty groups, so both give it the same headers.
        """
        found: list[tuple[str, ...]] = []
        starts = _line_starts(text)
        # Short lines: searching every character is cheaper than trying every line.
        places = starts if len(starts) * _CHARACTERS_PER_TRY <= len(text) else None
        # Leftmost match of each piece at or after `position` (None: no more matches).
        # A piece's match stays valid while it starts at or after `position`.
        next_match = [self._search(i, text, 0, places) for i in range(len(self.pieces))]
        position = 0
        while True:
            best: Match[str] | None = None
            for index in range(len(self.pieces)):
                match = next_match[index]
                if match is not None and match.start() < position:
                    match = next_match[index] = self._search(index, text, position, places)
                if match is not None and (best is None or match.start() < best.start()):
                    best = match
            if best is None:
                return found
            found.append(tuple(group or "" for group in best.groups()))
            position = best.end()


def _never_empty(pattern: Pattern[str]) -> bool:
    try:
        return bool(re_parser.parse(pattern.pattern, pattern.flags).getwidth()[0] > 0)
    except Exception:  # noqa: BLE001 - a private parser may change: then do not split
        return False


@functools.lru_cache(maxsize=4)
def _pieces(languages: tuple[str, ...], joined: str, flags: int) -> _PieceWiseSearch | None:
    """Return the piece-wise search of the library's header regex, or None if unsafe."""
    probe = EmailMessage(text="", languages=list(languages))
    sources = [probe._get_language_regex(language=lang, regex_key=key)
               for key in ("wrote_header", "from_header") for lang in probe.languages]
    sources.append(f"({GENERIC_MAIL_SEPARATOR})")
    sources = [source for source in sources if source]
    if "|".join(sources) != joined:
        return None
    pieces = [re.compile(source, flags) for source in sources]
    return _PieceWiseSearch(pieces) if all(_never_empty(p) for p in pieces) else None


class _PieceWiseMessage(EmailMessage):  # type: ignore[misc]  # untyped library
    @property
    def HEADER_REGEX(self) -> Any:
        library = super().HEADER_REGEX
        split = _pieces(tuple(self.languages), library.pattern, library.flags)
        return split or library


def reply_fragments(text: str, languages: Sequence[str]) -> list[EmailReply]:
    """Return the replies mail-parser-reply finds in `text` (newest first)."""
    # The library's own parser normalizes the language list (and adds English).
    wanted = EmailReplyParser(languages=list(languages)).languages
    return list(_PieceWiseMessage(text=text, languages=list(wanted)).read().replies)
