"""mail-parser-reply's reply-header search, one regex per language piece instead of one big one.

mail-parser-reply finds reply headers ("On … wrote:", "From: … Sent: …" blocks in 13
languages) with `findall` of ONE alternation of all of them; the regex engine then tries
every alternative at every character, which is most of a message's parse time. Searching
each piece on its own and taking the leftmost match (the first piece on a tie) finds exactly
what the alternation finds, at about half the cost. The pieces are the library's own; when
they do not join into the library's pattern (another release) or could match an empty
string, the library's regex is used unchanged.

Every piece can only start a match at a line start, at a newline or, for one, at a "-" (its
start set, read from the parsed regex: e.g. "(?:^|\n|\n(?:> ?)*)From:"); the regex engine
still tries it at every character. Each piece is tried only at those places (`pattern.match`
there), which finds the same leftmost match at about a third of the cost, unless there are
so many places (short lines) that trying every character is cheaper.

Most pieces also need words no text without them can match ("wrote:", "schrieb", one of
"From"/"Sent"/"To"/… before a ":"), read from the parsed regex too (`required_words`); a
piece whose words are not in the text (compared case-insensitively, as the regex does) is
not tried at all. Pure: no I/O.
"""

from __future__ import annotations

import bisect
import functools
import re
import re._constants as re_constants  # the parsed pieces' opcodes (see start_set)
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
# In a start set: the start of a line (`^`, `\A`); the other members are characters.
LINE_START = "^"

# What a parsed regex may start with, and whether it may match nothing at all;
# None: it may start anywhere (or nothing is known).
_Starts = tuple[frozenset[str] | None, bool]


def _sequence_starts(items: Any) -> _Starts:
    """Return the start set of a parsed sequence and whether all of it may match nothing."""
    found: set[str] = set()
    for item in items:
        first, may_be_empty = _item_starts(*item)
        if first is None:
            return None, False
        found |= first
        if not may_be_empty:
            return frozenset(found), False
    return frozenset(found), True


def _item_starts(opcode: Any, argument: Any) -> _Starts:
    if opcode is re_constants.LITERAL:
        char = chr(argument)
        # A cased character may match others under IGNORECASE (the regex module's own
        # test: lower or upper case differs from it): not known here.
        uncased = char.lower() == char == char.upper()
        return (frozenset(char), False) if uncased else (None, False)
    if opcode is re_constants.AT:
        # An anchor takes no character but pins where the match starts.
        return (frozenset(LINE_START), False) if argument in _LINE_ANCHORS else (None, False)
    if opcode is re_constants.SUBPATTERN:
        _group, added, removed, inner = argument
        return (None, False) if added or removed else _sequence_starts(inner)
    if opcode is re_constants.BRANCH:
        branches = [_sequence_starts(branch) for branch in argument[1]]
        if any(first is None for first, _empty in branches):
            return None, False
        return (frozenset().union(*(first or () for first, _empty in branches)),
                any(empty for _first, empty in branches))
    if opcode in _REPEATS:
        least, _most, inner = argument
        first, may_be_empty = _sequence_starts(inner)
        return first, may_be_empty or least == 0
    return None, False


def start_set(pattern: Pattern[str]) -> frozenset[str] | None:
    """Return what every match of `pattern` starts with: LINE_START or characters (None: anything).

    E.g. "(?:^|\n|\n(?:> ?)*)From:" starts at a line or at a newline; the Danish piece's
    optional "-----Oprindelig meddelelse-----" adds "-".
    """
    try:
        first, may_be_empty = _sequence_starts(re_parser.parse(pattern.pattern, pattern.flags))
    except Exception:  # noqa: BLE001 - a private parser may change: then search everywhere
        return None
    return None if may_be_empty else first


# Characters that match an ASCII letter under IGNORECASE but that `str.lower` does not turn
# into it: the dotted and the dotless i, the long s (the Kelvin sign lowers to "k" itself).
_FOLD_TO_ASCII = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})
# One requirement: at least one of these words (lower case) is in every text a piece matches.
Requirement = frozenset[str]


def fold(text: str) -> str:
    """Return `text` lower-cased so that an ASCII word a case-insensitive regex matches in
    `text` is in it as the word's lower case (one character for one character)."""
    return text.translate(_FOLD_TO_ASCII).lower()


def _leading_word(items: Any) -> str:
    """Return the ASCII literal characters a parsed sequence starts with ('' if none)."""
    word = ""
    for opcode, argument in items:
        if opcode is not re_constants.LITERAL or argument > 0x7F:
            break
        word += chr(argument)
    return word.lower()


def _sequence_words(items: Any) -> list[Requirement]:
    """Return the words every match of a parsed sequence contains, in order found."""
    found: list[Requirement] = []
    word = ""
    for opcode, argument in items:
        if opcode is re_constants.LITERAL and argument <= 0x7F:
            word += chr(argument)
            continue
        if word:
            found.append(frozenset({word.lower()}))
            word = ""
        found += _item_words(opcode, argument)
    if word:
        found.append(frozenset({word.lower()}))
    return found


def _item_words(opcode: Any, argument: Any) -> list[Requirement]:
    if opcode is re_constants.SUBPATTERN:
        _group, added, removed, inner = argument
        return [] if added or removed else _sequence_words(inner)
    if opcode in _REPEATS and argument[0] >= 1:
        return _sequence_words(argument[2])
    if opcode is re_constants.BRANCH:
        leading = {_leading_word(branch) for branch in argument[1]}
        return [] if "" in leading else [frozenset(leading)]
    # A character class, an anchor, a look-around (not part of the match), …: no word.
    return []


def required_words(pattern: Pattern[str]) -> tuple[Requirement, ...]:
    """Return the words (ASCII, lower case) a text must contain for `pattern` to match in it.

    Each requirement is a set of words of which at least one is in the text: a run of
    literal characters, or the literal starts of an alternation's branches (e.g. "(?:From|
    Sent):" needs "from" or "sent", and ":"). Only characters matched in every match
    count: inside groups and repetitions of at least one, never in optional parts, classes
    or look-arounds. Nothing known (an unreadable pattern) is no requirement.
    """
    try:
        return tuple(_sequence_words(re_parser.parse(pattern.pattern, pattern.flags)))
    except Exception:  # noqa: BLE001 - a private parser may change: then require nothing
        return ()


def may_match(requirements: Sequence[Requirement], folded: str) -> bool:
    """Tell whether a text (`fold`ed) has a word of every requirement."""
    return all(any(word in folded for word in words) for words in requirements)


def _places(text: str, starts: frozenset[str]) -> list[int]:
    """Return, in order, every position of `text` where a match with these starts may begin."""
    places: set[int] = set()
    for char in starts:
        wanted = "\n" if char == LINE_START else char
        found = text.find(wanted)
        while found >= 0:
            places.add(found + 1 if char == LINE_START else found)
            found = text.find(wanted, found + 1)
    if LINE_START in starts:
        places.add(0)
    return sorted(places)


class _PieceWiseSearch:
    """Duck-types `Pattern.findall` for the library: the alternation of `pieces`, piece-wise."""

    def __init__(self, pieces: Sequence[Pattern[str]]) -> None:
        self.pieces = tuple(pieces)
        self.starts = tuple(start_set(p) for p in self.pieces)
        self.requirements = tuple(required_words(p) for p in self.pieces)

    def _search(self, index: int, text: str, position: int,
                places: list[int] | None) -> Match[str] | None:
        """Return piece `index`'s leftmost match at or after `position` (None: none).

        With `places` (where the piece may start, in order), it is tried only there.
        """
        pattern = self.pieces[index]
        if places is None:
            return pattern.search(text, position)
        for place in places[bisect.bisect_left(places, position):]:
            match = pattern.match(text, place)
            if match is not None:
                return match
        return None

    def _places_of_each_piece(self, text: str, tried: Sequence[bool]
                              ) -> list[list[int] | None]:
        """Return where each tried piece may start, or None where searching is cheaper."""
        by_starts: dict[frozenset[str], list[int] | None] = {}
        for starts in {s for s, wanted in zip(self.starts, tried, strict=True) if wanted} - {None}:
            assert starts is not None
            places = _places(text, starts)
            # Many places (short lines): searching every character is cheaper.
            by_starts[starts] = places if len(places) * _CHARACTERS_PER_TRY <= len(text) else None
        return [by_starts[starts] if wanted and starts is not None else None
                for starts, wanted in zip(self.starts, tried, strict=True)]

    def findall(self, text: str) -> list[tuple[str, ...]]:
        """Return, per match of the alternation, the groups of the piece that matched.

        The alternation's own tuples also hold the other pieces' groups, always empty
        there; the library keeps only non-empty groups, so both give it the same headers.
        """
        found: list[tuple[str, ...]] = []
        folded = fold(text)
        tried = [may_match(words, folded) for words in self.requirements]
        places = self._places_of_each_piece(text, tried)
        # Leftmost match of each piece at or after `position` (None: no more matches).
        # A piece's match stays valid while it starts at or after `position`.
        next_match = [self._search(i, text, 0, places[i]) if tried[i] else None
                      for i in range(len(self.pieces))]
        position = 0
        while True:
            best: Match[str] | None = None
            for index in range(len(self.pieces)):
                match = next_match[index]
                if match is not None and match.start() < position:
                    match = next_match[index] = self._search(index, text, position,
                                                             places[index])
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
