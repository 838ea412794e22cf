"""What a regex's parse tree tells about its matches: where they can start, which words they hold.

The libraries' regex tables (mail-parser-reply, crisp's forward parser) are run as they
are; reading their parsed form (`re._parser`) tells which of them cannot match a given
text (a word every match contains is missing) and where in it a match can start (a line
start, a newline, a "-"), so a regex is tried only where it could match. Whatever the
parser gives that is not understood here gives no knowledge (start anywhere, no words):
never a wrong answer, only a slower one. Pure: no I/O.
"""

from __future__ import annotations

import functools
import re
import re._constants as re_constants  # the parse tree's op codes
import re._parser as re_parser
from collections.abc import Iterable, Sequence
from re import Pattern
from typing import Any

from ahocorasick_rs import AhoCorasick

_REPEATS = (re_constants.MAX_REPEAT, re_constants.MIN_REPEAT, re_constants.POSSESSIVE_REPEAT)
_LINE_ANCHORS = (re_constants.AT_BEGINNING, re_constants.AT_BEGINNING_STRING)
_LOOK_AROUNDS = (re_constants.ASSERT, re_constants.ASSERT_NOT)
# In a start set: the start of a line (`^`, `\A`); the other members are characters.
LINE_START = "^"
# In a start set: white space running up to a line start (`\s*^`), or that line start.
SPACE_TO_LINE = r"\s*^"

# What a parsed regex may start with, and whether it may match nothing at all;
# None: it may start anywhere (or nothing is known).
_Starts = tuple[frozenset[str] | None, bool]
# One requirement: at least one of these words (folded) is in every text a regex matches.
Requirement = frozenset[str]

# Characters that match an ASCII letter under IGNORECASE but that `str.lower` does not turn
# into it: the dotted and the dotless i, the long s (the Kelvin sign lowers to "k" itself).
_FOLD_TO_ASCII = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})


def fold(text: str) -> str:
    """Return `text` lower-cased so that a word a case-insensitive regex matches in `text`
    is in it as the word's `fold` (one character for one character)."""
    return text.translate(_FOLD_TO_ASCII).lower()


def word_character(code: int) -> bool:
    """Tell whether a literal character can be part of a required word.

    An ASCII character, which `fold` turns into what it matches; or a character without
    case (CJK, Hangul, "："), which a case-insensitive regex matches only as itself.
    """
    char = chr(code)
    return code <= 0x7F or char.lower() == char == char.upper()


def _class_members(argument: Any) -> list[int] | None:
    """Return the characters a class of literals holds ("[-_]", "[\n.!?]"), else None."""
    codes = [value for op, value in argument if op is re_constants.LITERAL]
    return codes if len(codes) == len(argument) else None


def _uncased_members(argument: Any) -> frozenset[str] | None:
    """Return the characters of a class of uncased literals, else None (see `_item_starts`)."""
    codes = _class_members(argument)
    chars = [chr(code) for code in codes or ()]
    if not chars or any(c.lower() != c or c.upper() != c for c in chars):
        return None
    return frozenset(chars)


def _is_spaces(item: tuple[Any, Any]) -> bool:
    """Tell whether a parsed item is `\\s*`: white space, possibly none."""
    opcode, argument = item
    return (opcode in _REPEATS and argument[0] == 0 and list(argument[2]) == [
        (re_constants.IN, [(re_constants.CATEGORY, re_constants.CATEGORY_SPACE)])])


def _sequence_starts(items: Any) -> _Starts:
    """Return the start set of a parsed sequence and whether all of it may match nothing."""
    found: set[str] = set()
    for index, item in enumerate(items):
        if _is_spaces(item):
            # "\s*^…" starts in the white space before a line start, or at that start.
            rest, rest_may_be_empty = _sequence_starts(items[index + 1:])
            if rest == frozenset(LINE_START) and not rest_may_be_empty:
                return frozenset(found | {SPACE_TO_LINE}), False
            return None, False
        first, may_be_empty = _item_starts(*item)
        if first is None:
            return None, False
        found |= first
        if not may_be_empty:
            return frozenset(found), False
    return frozenset(found), True


def _item_starts(opcode: Any, argument: Any) -> _Starts:
    if opcode is re_constants.LITERAL:
        # A cased character may match others under IGNORECASE: not known here.
        found = _uncased_members([(opcode, argument)])
        return (found, False) if found else (None, False)
    if opcode is re_constants.IN:
        return _uncased_members(argument), False
    if opcode is re_constants.AT:
        # An anchor takes no character but pins where the match starts.
        return (frozenset(LINE_START), False) if argument in _LINE_ANCHORS else (None, False)
    if opcode in _LOOK_AROUNDS:
        return frozenset(), True  # takes no character: the match starts with what follows
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
    """Return what every match of `pattern` starts with (None: anything).

    Members: LINE_START, SPACE_TO_LINE or characters. E.g. "(?:^|\n|\n(?:> ?)*)From:"
    starts at a line or at a newline; the Danish reply header's optional
    "-----Oprindelig meddelelse-----" adds "-"; a signature's "\\s*^-- " starts in the white
    space before a line.
    """
    try:
        first, may_be_empty = _sequence_starts(re_parser.parse(pattern.pattern, pattern.flags))
    except Exception:  # noqa: BLE001 - a private parser may change: then search everywhere
        return None
    return None if may_be_empty else first


def _sequence_words(items: Any) -> list[Requirement]:
    """Return the words every match of a parsed sequence contains, in order found."""
    found: list[Requirement] = []
    word = ""
    for opcode, argument in items:
        if opcode is re_constants.LITERAL and word_character(argument):
            word += chr(argument)
            continue
        if word:
            found.append(frozenset({fold(word)}))
            word = ""
        found += _item_words(opcode, argument)
    if word:
        found.append(frozenset({fold(word)}))
    return found


def _most_telling(requirements: list[Requirement]) -> Requirement:
    """Return the requirement whose shortest word is the longest (the rarest, as a rule)."""
    return max(requirements, key=lambda words: min(len(word) for word in words))


def _item_words(opcode: Any, argument: Any) -> list[Requirement]:
    if opcode is re_constants.SUBPATTERN:
        _group, added, removed, inner = argument
        return [] if added or removed else _sequence_words(inner)
    if opcode in _REPEATS and argument[0] >= 1:
        return _sequence_words(argument[2])
    if opcode is re_constants.IN:
        codes = _class_members(argument)
        if not codes or not all(word_character(code) for code in codes):
            return []
        return [frozenset(fold(chr(code)) for code in codes)]
    if opcode is re_constants.BRANCH:
        # Every match goes through one branch: a word of that branch's requirement.
        branches = [_sequence_words(branch) for branch in argument[1]]
        if not all(branches):
            return []
        return [frozenset().union(*(_most_telling(words) for words in branches))]
    # A cased letter beyond ASCII, an anchor, a look-around (not part of the match), …
    return []


def required_words(pattern: Pattern[str]) -> tuple[Requirement, ...]:
    """Return the words (`fold`ed) a text must contain for `pattern` to match in it.

    Each requirement is a set of words of which at least one is in the text: a run of
    literal characters, a class of such characters ("[-_]", "[Mm]"), or one requirement of each
    branch of an alternation (e.g. "(?:From|Sent):" needs "from" or "sent", and ":"). Only
    characters matched in every match count: inside groups and repetitions of at least one,
    never in optional parts or look-arounds. Nothing known (an unreadable pattern) is no
    requirement.
    """
    try:
        return tuple(_sequence_words(re_parser.parse(pattern.pattern, pattern.flags)))
    except Exception:  # noqa: BLE001 - a private parser may change: then require nothing
        return ()


@functools.cache
def required_literal(pattern: Pattern[str]) -> str:
    """Return the longest run of plain characters every match of `pattern` contains, or ''.

    Read from the pattern's parse tree: only characters matched one by one at the top level
    of the pattern (never inside a group, a class, a repetition or an alternative) count,
    so a text without that run cannot match. Case-insensitive patterns (and any pattern the
    parser does not read as expected) give '': no run is known.
    """
    try:
        parsed = re_parser.parse(pattern.pattern, pattern.flags)
        if parsed.state.flags & re.IGNORECASE:
            return ""
        best, run = "", ""
        for op, argument in parsed.data:
            if op is re_constants.LITERAL:
                run += chr(argument)
                continue
            best, run = max(best, run, key=len), ""
        return max(best, run, key=len)
    except Exception:  # noqa: BLE001 - a private parser may change: then know nothing
        return ""


def never_empty(pattern: Pattern[str]) -> bool:
    """Tell whether every match of `pattern` takes at least one character (False: unknown)."""
    try:
        return bool(re_parser.parse(pattern.pattern, pattern.flags).getwidth()[0] > 0)
    except Exception:  # noqa: BLE001 - a private parser may change: then know nothing
        return False


def words_of(requirements: Iterable[Requirement]) -> frozenset[str]:
    """Return every word the requirements name."""
    return frozenset(word for words in requirements for word in words)


class LiteralFinder:
    """Which of many literal strings a text holds, found in one pass over it (Aho-Corasick).

    Looking for each with `in` passes over the text once per literal: with the forward
    separators' and reply headers' words, dozens to hundreds of passes per message.
    """

    __slots__ = ("_automaton", "literals")

    def __init__(self, literals: Iterable[str]) -> None:
        self.literals = frozenset(literal for literal in literals if literal)
        self._automaton = AhoCorasick(sorted(self.literals)) if self.literals else None

    def present(self, text: str) -> set[str]:
        """Return the literals that occur in `text`."""
        if self._automaton is None:
            return set()
        return set(self._automaton.find_matches_as_strings(text, overlapping=True))


@functools.lru_cache(maxsize=64)
def literal_finder(literals: frozenset[str]) -> LiteralFinder:
    """Return the finder of these literals, built once."""
    return LiteralFinder(literals)


def present_words(words: frozenset[str], folded: str) -> set[str]:
    """Return which of `words` are in the `fold`ed text (the text passed over once)."""
    return literal_finder(words).present(folded)


def may_match(requirements: Sequence[Requirement], present: set[str]) -> bool:
    """Tell whether a text holding the `present` words has a word of every requirement."""
    return all(not words.isdisjoint(present) for words in requirements)


def match_places(text: str, starts: frozenset[str]) -> list[int]:
    """Return, in order, every position of `text` where a match with these starts may begin."""
    places: set[int] = set()
    for char in starts:
        wanted = "\n" if char in (LINE_START, SPACE_TO_LINE) else char
        found = text.find(wanted)
        while found >= 0:
            places.add(found + 1 if wanted != char else found)
            if char == SPACE_TO_LINE:
                _add_space_before(text, found, places)
            found = text.find(wanted, found + 1)
    if starts & {LINE_START, SPACE_TO_LINE}:
        places.add(0)
    return sorted(places)


def _add_space_before(text: str, newline: int, places: set[int]) -> None:
    """Add the newline at `newline` and the white space running up to it."""
    position = newline
    while position >= 0 and text[position].isspace() and position not in places:
        places.add(position)
        position -= 1
