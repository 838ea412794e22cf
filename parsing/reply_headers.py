"""mail-parser-reply run faster with the same results: its regexes tried only where they can match.

mail-parser-reply splits a body into replies with three regexes, each one alternation over
13 languages: reply headers ("On … wrote:", "From: … Sent: …" blocks), and in each reply its
disclaimers and signature. The regex engine tries every alternative at every character,
which is most of a message's parse time; and the library builds the three regexes again
for every message. Here they are built once per language list, and run as follows (what
`parsing.regex_shapes` reads from their parse trees decides; every step finds exactly what
the library finds, and the corpus tests compare the two):

- The header alternation is searched one library piece at a time, taking the leftmost
  match (the first piece on a tie). Each piece is tried only at the places it can start (a
  line start, a newline, a "-"), unless there are so many places (short lines) that trying
  every character is cheaper; and only when the words every match of it contains
  ("wrote:", "schrieb", one of "From"/"Sent"/"To"/… before a ":") are in the text. When
  the pieces do not join into the library's pattern (another release) or one could match
  an empty string, the library's regex is used unchanged.
- The disclaimer regex is run only when a text holds one of its words ("caution:",
  "disclaimer", "hinweis:", …); the signature regex only when one of its branches' words is
  there, and then only at line starts and the white space before them.

Pure: no I/O.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Sequence
from re import Match, Pattern
from typing import Any

from mailparser_reply.constants import GENERIC_MAIL_SEPARATOR
from mailparser_reply.parser import EmailMessage, EmailReply, EmailReplyParser

from parsing.regex_shapes import (
    fold,
    match_places,
    may_match,
    never_empty,
    present_words,
    required_words,
    start_set,
    words_of,
)

# Trying a regex at one place costs about as much as searching ten characters.
_CHARACTERS_PER_TRY = 10


def _worth_trying(places: list[int], text: str) -> bool:
    """Tell whether trying a regex at `places` is cheaper than searching all of `text`."""
    return len(places) * _CHARACTERS_PER_TRY <= len(text)


def _leftmost(pattern: Pattern[str], text: str, position: int,
              places: list[int] | None) -> Match[str] | None:
    """Return `pattern`'s leftmost match at or after `position` (None: none).

    With `places` (where it may start, in order), it is tried only there: the first place
    where it matches is where `search` would have found it, with the same match.
    """
    if places is None:
        return pattern.search(text, position)
    for place in places[bisect.bisect_left(places, position):]:
        match = pattern.match(text, place)
        if match is not None:
            return match
    return None


class _PieceWiseSearch:
    """Duck-types `Pattern.findall` for the library: the alternation of `pieces`, piece-wise."""

    def __init__(self, pieces: Sequence[Pattern[str]]) -> None:
        self.pieces = tuple(pieces)
        self.starts = tuple(start_set(p) for p in self.pieces)
        self.requirements = tuple(required_words(p) for p in self.pieces)
        self.words = words_of(words for each in self.requirements for words in each)

    def _places_of_each_piece(self, text: str, tried: Sequence[bool]
                              ) -> list[list[int] | None]:
        """Return where each tried piece may start, or None where searching is cheaper."""
        by_starts: dict[frozenset[str], list[int] | None] = {}
        for starts in {s for s, wanted in zip(self.starts, tried, strict=True) if wanted} - {None}:
            assert starts is not None
            places = match_places(text, starts)
            by_starts[starts] = places if _worth_trying(places, text) else None
        return [by_starts[starts] if wanted and starts is not None else None
                for starts, wanted in zip(self.starts, tried, strict=True)]

    def findall(self, text: str) -> list[tuple[str, ...]]:
        """Return, per match of the alternation, the groups of the piece that matched.

        The alternation's own tuples also hold the other pieces' groups, always empty
        there; the library keeps only non-empty groups, so both give it the same headers.
        """
        found: list[tuple[str, ...]] = []
        present = present_words(self.words, fold(text))
        tried = [may_match(words, present) for words in self.requirements]
        places = self._places_of_each_piece(text, tried)
        # Leftmost match of each piece at or after `position` (None: no more matches).
        # A piece's match stays valid while it starts at or after `position`.
        next_match = [_leftmost(piece, text, 0, where) if wanted else None
                      for piece, where, wanted in zip(self.pieces, places, tried, strict=True)]
        position = 0
        while True:
            best: Match[str] | None = None
            for index, piece in enumerate(self.pieces):
                match = next_match[index]
                if match is not None and match.start() < position:
                    match = next_match[index] = _leftmost(piece, text, position, places[index])
                if match is not None and (best is None or match.start() < best.start()):
                    best = match
            if best is None:
                return found
            found.append(tuple(group or "" for group in best.groups()))
            position = best.end()


class _GatedPattern:
    """Duck-types `Pattern.search` and `findall` for the library: tried only where it can match.

    Not at all in a text without the words every match contains; `search` only at the
    places a match can start, when they are few enough.
    """

    def __init__(self, pattern: Pattern[str]) -> None:
        self.pattern = pattern
        self.starts = start_set(pattern)
        # Shortest words first: the likeliest to be there, ending the look-up soonest.
        self.requirements = tuple(tuple(sorted(words, key=lambda word: (len(word), word)))
                                  for words in required_words(pattern))

    def _may_match(self, text: str) -> bool:
        folded = fold(text)
        return all(any(word in folded for word in words) for words in self.requirements)

    def search(self, text: str) -> Match[str] | None:
        """Return what `pattern.search(text)` returns."""
        if not self._may_match(text):
            return None
        places = match_places(text, self.starts) if self.starts is not None else None
        return _leftmost(self.pattern, text, 0,
                         places if places is not None and _worth_trying(places, text) else None)

    def findall(self, text: str) -> list[Any]:
        """Return what `pattern.findall(text)` returns."""
        return self.pattern.findall(text) if self._may_match(text) else []


def _pieces(probe: EmailMessage, library: Pattern[str]) -> _PieceWiseSearch | None:
    """Return the piece-wise search of the library's header regex, or None if unsafe."""
    sources = [probe._get_language_regex(language=lang, regex_key=key)
               for key in ("wrote_header", "from_header") for lang in probe.languages]
    sources.append(f"({GENERIC_MAIL_SEPARATOR})")
    sources = [source for source in sources if source]
    if "|".join(sources) != library.pattern:
        return None
    pieces = [re.compile(source, library.flags) for source in sources]
    return _PieceWiseSearch(pieces) if all(never_empty(p) for p in pieces) else None


@functools.lru_cache(maxsize=4)
def library_regexes(languages: tuple[str, ...]) -> dict[str, Any]:
    """Return the library's three regexes for `languages`, built once, run our way.

    As `EmailMessage` keyword arguments: the library uses regexes given to it as they are.
    """
    probe = EmailMessage(text="", languages=list(languages))
    header = probe.HEADER_REGEX
    return {"_header_regex": _pieces(probe, header) or header,
            "_disclaimers_regex": _GatedPattern(probe.DISCLAIMERS_REGEX),
            "_signature_regex": _GatedPattern(probe.SIGNATURE_REGEX)}


def reply_fragments(text: str, languages: Sequence[str]) -> list[EmailReply]:
    """Return the replies mail-parser-reply finds in `text` (newest first)."""
    # The library's own parser normalizes the language list (and adds English).
    wanted = tuple(EmailReplyParser(languages=list(languages)).languages)
    message = EmailMessage(text=text, languages=list(wanted), **library_regexes(wanted))
    return list(message.read().replies)
