"""The piece-wise reply-header search finds exactly what mail-parser-reply's own regex finds."""

from __future__ import annotations

from typing import Any

import pytest
from mailparser_reply import EmailReplyParser
from mailparser_reply.parser import EmailReply

from parsing.preview import _LANGUAGES
from parsing.regex_shapes import LINE_START, SPACE_TO_LINE, fold, may_match, present_words
from parsing.reply_headers import library_regexes, reply_fragments

_PARAGRAPH = ("We looked at the figures again and the offer for the house stands as discussed "
              "on Monday; the notary has the papers.\n") * 6


def _shape(replies: list[EmailReply]) -> list[tuple[str, str, str, list[str]]]:
    return [(str(r.content), str(r.headers), str(r.signatures), list(r.disclaimers or []))
            for r in replies]


def _regexes() -> dict[str, Any]:
    return library_regexes(tuple(EmailReplyParser(languages=list(_LANGUAGES)).languages))


def test_the_library_pieces_are_searched_one_by_one() -> None:
    # Not the library's compiled pattern: the pieces joined back into it were accepted.
    assert not hasattr(_regexes()["_header_regex"], "pattern")


def test_each_piece_is_tried_only_where_it_can_start() -> None:
    search = _regexes()["_header_regex"]
    starts = dict(zip((p.pattern for p in search.pieces), search.starts, strict=True))
    line, newline = {LINE_START}, {LINE_START, "\n"}
    # "(?:^|\n|\n(?:> ?)*)From:" starts at a line or a newline, "^(?!…)On … wrote:" at a
    # line; the Danish piece's optional "-----Oprindelig meddelelse-----" may start at "-".
    assert {starts[p] for p in starts if "From|Sent" in p} == {frozenset(newline)}
    assert {starts[p] for p in starts if "wrote" in p} == {frozenset(line)}
    assert {starts[p] for p in starts if "Oprindelig" in p} == {frozenset(newline | {"-"})}


def test_the_signature_is_tried_at_line_starts_and_the_disclaimers_only_with_their_words(
) -> None:
    signature, disclaimers = _regexes()["_signature_regex"], _regexes()["_disclaimers_regex"]
    assert signature.starts == {SPACE_TO_LINE, LINE_START, "\n"}
    assert disclaimers.findall("Hello Bob, here is the offer.\n" * 20) == []
    warned = "Hi\n\nCAUTION: external mail"
    assert disclaimers.findall(warned) == disclaimers.pattern.findall(warned) != []


def test_pieces_whose_words_are_missing_are_not_tried() -> None:
    search = _regexes()["_header_regex"]
    no_header = present_words(search.words, fold("La De Da De Da 1. La De Da De Da 2.\n" * 20))
    assert [words for words in search.requirements if may_match(words, no_header)] == []
    english = present_words(search.words, fold("Ok\n\nOn Tue, Bob WROTE:\n> Hi\n"))
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
    # Signatures and disclaimers: found where the library finds them, short lines or long.
    "Thanks,\nBob\n",
    "Hi Bob\n\nThanks,\nAlice\n",
    "Hi\n \n\t-- \nAlice\nAcme\n",
    "Hi\n\n- Alice\n",
    "Hi\n\nSent from my iPhone\n",
    "Hi\n\n" + "_" * 32 + "\nFrom: Bob\nSent: Tue\n",
    "Hi\n\n此致，\n敬礼\n",
    "Hi\nMit freundlichen Gr\u00fc\u00dfen\nBob\n",
    "Hi\r\n\r\nBest regards\r\nBob\r\n",
    "Hi\n\nCAUTION: This email came from outside. Do not click links in this mail.\n",
    _PARAGRAPH + "\nBest regards,\nBob\n\nDisclaimer: this mail is confidential.\n",
    _PARAGRAPH + "\n-- \nBob\n" + _PARAGRAPH,
    _PARAGRAPH.replace("\n", " ") + "\n\n\n" + "-" * 40 + "\nBob\n",
])
def test_replies_equal_the_librarys_on_reply_headers(text: str) -> None:
    library = EmailReplyParser(languages=list(_LANGUAGES)).read(text).replies
    assert _shape(reply_fragments(text, _LANGUAGES)) == _shape(library)
