"""The piece-wise reply-header search finds exactly what mail-parser-reply's own regex finds."""

from __future__ import annotations

import pytest
from mailparser_reply import EmailReplyParser
from mailparser_reply.parser import EmailReply

from parsing.preview import _LANGUAGES
from parsing.reply_headers import _line_starts, _PieceWiseMessage, reply_fragments

_PARAGRAPH = ("We looked at the figures again and the offer for the house stands as discussed "
              "on Monday; the notary has the papers.\n") * 6


def _shape(replies: list[EmailReply]) -> list[tuple[str, str, str, list[str]]]:
    return [(str(r.content), str(r.headers), str(r.signatures), list(r.disclaimers or []))
            for r in replies]


def test_the_library_pieces_are_searched_one_by_one() -> None:
    message = _PieceWiseMessage(text="Hello", languages=list(_LANGUAGES) + ["en"])
    # Not the library's compiled pattern: the pieces joined back into it were accepted.
    assert not hasattr(message.HEADER_REGEX, "pattern")


def test_only_pieces_that_start_at_a_line_are_tried_at_lines_alone() -> None:
    message = _PieceWiseMessage(text="", languages=list(_LANGUAGES) + ["en"])
    search = message.HEADER_REGEX
    anchored = dict(zip((p.pattern for p in search.pieces), search.line_anchored, strict=True))
    # "(?:^|\n|\n(?:> ?)*)From:" and "^(?!…)On … wrote:" start at a line; the Danish
    # piece's optional "-----Oprindelig meddelelse-----" may start anywhere.
    assert any(flag for pattern, flag in anchored.items() if "From|Sent" in pattern)
    assert any(flag for pattern, flag in anchored.items() if "wrote" in pattern)
    assert not any(flag for pattern, flag in anchored.items() if "Oprindelig" in pattern)
    assert _line_starts("a\nb\n\nc") == [0, 1, 2, 3, 4, 5]


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
])
def test_replies_equal_the_librarys_on_reply_headers(text: str) -> None:
    library = EmailReplyParser(languages=list(_LANGUAGES)).read(text).replies
    assert _shape(reply_fragments(text, _LANGUAGES)) == _shape(library)
