"""The piece-wise reply-header search finds exactly what mail-parser-reply's own regex finds."""

from __future__ import annotations

import pytest
from mailparser_reply import EmailReplyParser
from mailparser_reply.parser import EmailReply

from parsing.preview import _LANGUAGES
from parsing.reply_headers import _PieceWiseMessage, reply_fragments


def _shape(replies: list[EmailReply]) -> list[tuple[str, str, str, list[str]]]:
    return [(str(r.content), str(r.headers), str(r.signatures), list(r.disclaimers or []))
            for r in replies]


def test_the_library_pieces_are_searched_one_by_one() -> None:
    message = _PieceWiseMessage(text="Hello", languages=list(_LANGUAGES) + ["en"])
    # Not the library's compiled pattern: the pieces joined back into it were accepted.
    assert not hasattr(message.HEADER_REGEX, "pattern")


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
])
def test_replies_equal_the_librarys_on_reply_headers(text: str) -> None:
    library = EmailReplyParser(languages=list(_LANGUAGES)).read(text).replies
    assert _shape(reply_fragments(text, _LANGUAGES)) == _shape(library)
