"""What `parsing.regex_shapes` reads from parsed regexes: start sets, required words, folding."""

from __future__ import annotations

import _sre  # the case test the regex compiler itself uses (see the last test)
import re

import pytest

from parsing.regex_shapes import (
    LINE_START,
    SPACE_TO_LINE,
    LiteralFinder,
    fold,
    match_places,
    may_match,
    present_words,
    required_words,
    start_set,
    word_character,
    words_of,
)


@pytest.mark.parametrize(("pattern", "expected"), [
    (r"(?m)^a", {LINE_START}),
    (r"(?i)\n?-x", {"\n", "-"}),
    (r"(?i)abc", None),  # a letter may match its other case
    (r"x?", None),  # may match nothing, anywhere
    (r"(?:-|\w)y", None),
    (r"(?:\n{2,}|:)z", {"\n", ":"}),
    (r"[\n.!?]x", {"\n", ".", "!", "?"}),  # a class of uncased characters
    (r"(?i)[Mm]x", None),
    (r"(?m)(?<!\A)^x", {LINE_START}),  # a look-around takes no character
    (r"(?m)\s*^(?:--|x)", {SPACE_TO_LINE}),
    (r"(?m)(?:\s*^-|\n{2,}_)", {SPACE_TO_LINE, "\n"}),
    (r"\s*x", None),  # white space then anything: anywhere
])
def test_start_sets_of_small_patterns(pattern: str, expected: set[str] | None) -> None:
    assert start_set(re.compile(pattern)) == (None if expected is None else frozenset(expected))


def test_places_are_where_a_match_may_start() -> None:
    newline = frozenset({LINE_START, "\n"})
    assert match_places("a\nb\n\nc-", newline) == [0, 1, 2, 3, 4, 5]
    assert match_places("a\nb-", frozenset({LINE_START, "-"})) == [0, 2, 3]
    # Line starts, and the white space before each (a newline included) back to a character.
    assert match_places("a \n\tb\n", frozenset({SPACE_TO_LINE})) == [0, 1, 2, 3, 5, 6]
    assert match_places("ab", frozenset({SPACE_TO_LINE})) == [0]


@pytest.mark.parametrize(("pattern", "expected"), [
    (r"(?i)^(?!On\s.+wrote:)((?:> ?)*On\s.+?wrote:)$", [{"on"}, {"wrote:"}]),
    (r"(?:From|Sent|To):[ *]*", [{"from", "sent", "to"}, {":"}]),
    (r"(?:x-)?Mail{2,}", [{"mai"}, {"l"}]),  # optional parts need nothing
    # Each branch gives its most telling requirement; a class of letters is one of them.
    (r"(?i)(?:Den|[Mm]an) skrev", [{"den", "an"}, {" skrev"}]),
    # The parser moves the branches' common start ("Not") out of them.
    (r"(?:Privileged|Important) (?:Notice|Note):",
     [{"privileged", "important"}, {" not"}, {"ice", "e"}, {":"}]),
    (r"a écrit", [{"a "}, {"crit"}]),  # "é" has case: not a word character
    (r"(?:[-_]{2}\n|- ?\w)", [{"-", "_"}]),
    (r"注意：|비밀정보:", [{"注意：", "비밀정보:"}]),  # characters without case are words
    (r"[a-z]+|x", []),
    (r"(?i)Hİ", [{"h"}]),
])
def test_required_words_of_small_patterns(pattern: str, expected: list[set[str]]) -> None:
    assert required_words(re.compile(pattern)) == tuple(frozenset(w) for w in expected)


def test_a_text_may_match_only_with_a_word_of_every_requirement() -> None:
    requirements = required_words(re.compile(r"(?i)(?:From|Sent):"))
    words = words_of(requirements)
    assert may_match(requirements, present_words(words, fold("SENT: today")))
    assert not may_match(requirements, present_words(words, fold("Sent today")))


def test_fold_turns_every_character_an_ascii_letter_matches_into_that_letter() -> None:
    # Case-insensitive regexes match "K" (Kelvin), "ı", "İ" and "ſ" as ASCII letters.
    letter = re.compile("[a-z]", re.IGNORECASE)
    for code in range(0x110000):
        char = chr(code)
        assert len(fold(char)) == 1, hex(code)
        if letter.fullmatch(char):
            assert fold(char) in "abcdefghijklmnopqrstuvwxyz", hex(code)
            assert re.fullmatch(fold(char), char, re.IGNORECASE), hex(code)
    assert fold("WROTE: İſK") == "wrote: isk"


def test_word_characters_beyond_ascii_match_only_themselves_and_fold_to_themselves() -> None:
    # The regex compiler matches a character it finds uncased as itself, IGNORECASE or not.
    for code in range(0x80, 0x110000):
        if word_character(code):
            assert not _sre.unicode_iscased(code), hex(code)
            assert fold(chr(code)) == chr(code), hex(code)


@pytest.mark.parametrize(("literals", "text", "present"), [
    # Literals inside, overlapping and ending one another are all found.
    (("ab", "b", "abc", "zz"), "xabcx", {"ab", "b", "abc"}),
    (("wrote:", "schrieb:", "a écrit :"), "Le lundi, Jean a écrit :\n> bonjour", {"a écrit :"}),
    (("写道：", "注意："), "张三 写道：你好", {"写道："}),
    (("---- Forwarded", "Forwarded message"), "no forward here", set()),
    ((), "anything", set()),
    (("", "x"), "x", {"x"}),
])
def test_literal_finder_finds_what_in_finds(literals: tuple[str, ...], text: str,
                                            present: set[str]) -> None:
    assert LiteralFinder(literals).present(text) == present
    assert present == {literal for literal in literals if literal and literal in text}
