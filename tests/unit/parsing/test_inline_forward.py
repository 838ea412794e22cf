"""One level of inline forward, read from text (SPEC §3, forwarded mail)."""

from __future__ import annotations

from datetime import UTC, datetime

from parsing import parse_inline_forward
from parsing.dates import parse_date
from parsing.inline_forward import normalize_text

APPLE_DE = """Anfang der weitergeleiteten Nachricht:

Von: Carol Client <carol@client.test>
Betreff: Angebot
Datum: 6. April 2023 um 16:17:08 MESZ
An: alice@acme.test

Bitte um ein Angebot.
"""

OUTLOOK_WROTE = """Thanks!

On 28/10/2021 12:46, "Carol Client" <carol@client.test> wrote:

    Can you send the quote?
"""


def test_german_apple_mail_forward_is_read() -> None:
    found = parse_inline_forward(APPLE_DE)

    assert found is not None
    assert found.from_ is not None and found.from_.address == "carol@client.test"
    assert [a.address for a in found.to] == ["alice@acme.test"]
    assert found.subject == "Angebot"
    assert found.body == "Bitte um ein Angebot."


def test_wrote_line_is_a_forward_only_with_a_forward_subject() -> None:
    assert parse_inline_forward(OUTLOOK_WROTE) is None
    found = parse_inline_forward(OUTLOOK_WROTE, "FW: Quote")

    assert found is not None
    assert found.from_ is not None and found.from_.address == "carol@client.test"
    assert found.subject == "Quote"
    assert found.note == "Thanks!"


def test_reply_subject_means_not_a_forward() -> None:
    assert parse_inline_forward(APPLE_DE, "AW: Angebot") is None


def test_text_without_forward_is_none() -> None:
    assert parse_inline_forward("Hello,\n\nFrom: me\nTo: you\n") is None


def test_addresses_have_lower_case_domains() -> None:
    found = parse_inline_forward(APPLE_DE.replace("client.test", "Client.TEST"))

    assert found is not None and found.from_ is not None
    assert found.from_.address == "carol@client.test"


def test_localized_connectives_and_twelve_hour_clocks_are_read() -> None:
    assert parse_date("Wed, Oct 27, 2021 at 9:31 PM") == datetime(2021, 10, 27, 21, 31, tzinfo=UTC)
    assert parse_date("Thu, 6 April 2023 at 16:17") == datetime(2023, 4, 6, 16, 17, tzinfo=UTC)
    assert parse_date("26 жовтня 2021") is None


def test_ascii_text_loses_the_same_controls_as_any_text() -> None:
    every_ascii = "".join(chr(code) for code in range(128)) * 2
    # A non-ASCII letter sends the same characters through the full Unicode class.
    assert normalize_text(every_ascii) + "é" == normalize_text(every_ascii + "é")
    assert normalize_text("a\tb\x00c\x1fd\x7fe\r\nf") == "a\tbcde\nf"
    assert normalize_text("a\xa0\nb\u200bc\xa0d") == "a\nbc d"
