"""The piece-wise reply-header search finds exactly what mail-parser-reply's own regex finds."""

from __future__ import annotations

import re

import pytest
from mailparser_reply import EmailReplyParser
from mailparser_reply.parser import EmailReply

from parsing.preview import _LANGUAGES
from parsing.reply_headers import (
    LINE_START,
    _PieceWiseMessage,
    _places,
    fold,
    may_match,
    reply_fragments,
    required_words,
    start_set,
)

_PARAGRAPH = ("We looked at the figures again and the offer for the house stands as discussed "
              "on Monday; the notary has the papers.\n") * 6


def _shape(replies: list[EmailReply]) -> list[tuple[str, str, str, list[str]]]:
    return [(str(r.content), str(r.headers), str(r.signatures), list(r.disclaimers or []))
            for r in replies]


def test_the_library_pieces_are_searched_one_by_one() -> None:
    message = _PieceWiseMessage(text="Hello", languages=list(_LANGUAGES) + ["en"])
    # Not the library's compiled pattern: the pieces joined back into it were accepted.
    assert not hasattr(message.HEADER_REGEX, "pattern")


def test_each_piece_is_tried_only_where_it_can_start() -> None:
    message = _PieceWiseMessage(text="", languages=list(_LANGUAGES) + ["en"])
    search = message.HEADER_REGEX
    starts = dict(zip((p.pattern for p in search.pieces), search.starts, strict=True))
    line, newline = {LINE_START}, {LINE_START, "\n"}
    # "(?:^|\n|\n(?:> ?)*)From:" starts at a line or a newline, "^(?!…)On … wrote:" at a
    # line; the Danish piece's optional "-----Oprindelig meddelelse-----" may start at "-".
    assert {starts[p] for p in starts if "From|Sent" in p} == {frozenset(newline)}
    assert {starts[p] for p in starts if "wrote" in p} == {frozenset(line)}
    assert {starts[p] for p in starts if "Oprindelig" in p} == {frozenset(newline | {"-"})}
    assert _places("a\nb\n\nc-", frozenset(newline)) == [0, 1, 2, 3, 4, 5]
    assert _places("a\nb-", frozenset(line | {"-"})) == [0, 2, 3]


@pytest.mark.parametrize(("pattern", "expected"), [
    (r"(?m)^a", {LINE_START}),
    (r"(?i)\n?-x", {"\n", "-"}),
    (r"(?i)abc", None),  # a letter may match its other case
    (r"x?", None),  # may match nothing, anywhere
    (r"(?:-|\w)y", None),
    (r"(?:\n{2,}|:)z", {"\n", ":"}),
])
def test_start_sets_of_small_patterns(pattern: str, expected: set[str] | None) -> None:
    assert start_set(re.compile(pattern)) == (None if expected is None else frozenset(expected))


@pytest.mark.parametrize(("pattern", "expected"), [
    (r"(?i)^(?!On\s.+wrote:)((?:> ?)*On\s.+?wrote:)$", [{"on"}, {"wrote:"}]),
    (r"(?:From|Sent|To):[ *]*", [{"from", "sent", "to"}, {":"}]),
    (r"(?:x-)?Mail{2,}", [{"mai"}, {"l"}]),  # optional parts and classes need nothing
    (r"(?:Den|[Mm]an) skrev", [{" skrev"}]),  # a branch starting with a class: nothing
    (r"a écrit", [{"a "}, {"crit"}]),  # only ASCII characters make words
    (r"[a-z]+|x", []),
])
def test_required_words_of_small_patterns(pattern: str, expected: list[set[str]]) -> None:
    assert required_words(re.compile(pattern)) == tuple(frozenset(w) for w in expected)


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


def test_pieces_whose_words_are_missing_are_not_tried() -> None:
    search = _PieceWiseMessage(text="", languages=list(_LANGUAGES) + ["en"]).HEADER_REGEX
    no_header = fold("La De Da De Da 1. La De Da De Da 2.\n" * 20)
    # Only a piece without ASCII words (the Chinese "写道") is tried on a text without ":".
    assert [words for words in search.requirements if may_match(words, no_header)] == [()]
    english = fold("Ok\n\nOn Tue, Bob WROTE:\n> Hi\n")
    assert [p.pattern for p, words in zip(search.pieces, search.requirements, strict=True)
            if "wrote" in p.pattern and may_match(words, english)]


def test_replies_equal_the_librarys_on_the_corpora(corpus_texts: list[str]) -> None:
    texts = [text[:20_000] for text in corpus_texts if text.strip()]
    assert len(texts) > 300
    for text in texts:
        library = EmailReplyParser(languages=list(_LANGUAGES)).read(text).replies
        assert _shape(reply_fragments(text, _LANGUAGES)) == _shape(library), text[:300]


@pytest.mark.parametrize("text", [
    "Thanks!\n\nOn Tue, 24 Nov 2026 at 10:00, Bob <bob@client.test> wrote:\n> Hi\n",
    "Danke\n\nAm 24.11.2026 um 10:00 schrieb Bob <bob@client.test>:\n> Hallo\n",
    "Ok\n\nFrom: Bob\nSent: Tuesday\nTo: Alice\nSubject: Offer\n\nOld text\n",
    "Ok\n\n-----Original Message-----\nFrom: Bob\nSent: Tuesday\n\nOld\n" * 3,
    "",
    # Long lines: the line-anchored pieces are tried at line starts and newlines alone.
    _PARAGRAPH + "From: Bob <bob@client.test>\nSent: Tuesday\nTo: Alice\n\n" + _PARAGRAPH,
    _PARAGRAPH + "> On Tue, 24 Nov 2026 at 10:00, Bob <bob@client.test> wrote:\n> Hi\n",
    _PARAGRAPH + "Fra: Bob\nSendt: tirsdag\n-----Oprindelig meddelelse-----\nFra: Bob\nTil: Ann\n",
    _PARAGRAPH.replace("\n", " ") + "-----Oprindelig meddelelse-----\nFra: Bob\nTil: Ann\n",
    # Words matched case-insensitively through characters that lower to others.
    "Ok\n\nON Tue, Bob <bob@client.test> WROTE:\n> Hi\n",
    "Ok\n\nOn Tue, Bob <bob@client.test> wrote:\n> Hi\n".replace("s", "\u017f"),
    "Ok\n\nFROM: Bob\nSENT: Tuesday\nSUBJECT: Offer\n\nOld\n".replace("I", "\u0130"),
])
def test_replies_equal_the_librarys_on_reply_headers(text: str) -> None:
    library = EmailReplyParser(languages=list(_LANGUAGES)).read(text).replies
    assert _shape(reply_fragments(text, _LANGUAGES)) == _shape(library)
