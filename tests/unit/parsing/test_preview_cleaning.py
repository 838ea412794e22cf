"""Clean previews: quoted replies and signatures stripped, full text kept (SPEC §3)."""

from __future__ import annotations

import json
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from parsing import clean_preview, parse_message
from parsing import preview as preview_module
from parsing.html_text import html_to_text


def test_quoted_reply_is_stripped_but_text_kept() -> None:
    text = "Sounds good, see you Monday.\n\nOn Tue, Apr 4, 2023 at 10:00 AM Bob <bob@x.test> wrote:\n> Shall we meet?\n"
    msg = EmailMessage()
    msg["From"], msg["Subject"] = "carol@client.test", "Re: meeting"
    msg.set_content(text)

    parsed = parse_message(msg.as_bytes())

    assert parsed.preview == "Sounds good, see you Monday."
    assert "Shall we meet?" in parsed.text


def test_signature_is_stripped() -> None:
    assert clean_preview("Here is the file.\n\n--\nCarol Client\nACME Inc.") == "Here is the file."


def test_mobile_signature_is_stripped() -> None:
    assert clean_preview("On my way\n\nSent from my iPhone") == "On my way"


def test_german_reply_header_is_stripped() -> None:
    text = "Danke!\n\nAm 04.04.2023 um 10:00 schrieb Bob <bob@x.test>:\n> Hallo\n"

    assert clean_preview(text) == "Danke!"


def test_bottom_posted_reply_keeps_only_new_lines() -> None:
    assert clean_preview("On Monday, Bob wrote:\n> Hi\n> there\nHello") == "Hello"


def test_preview_is_bounded() -> None:
    assert len(clean_preview("word " * 10_000, limit=100)) == 100


def test_html_only_message_gets_a_text_preview() -> None:
    msg = EmailMessage()
    msg["From"] = "carol@client.test"
    msg.set_content("<p>Hi <b>Alice</b>,</p><p>Thanks!</p><style>p{}</style>", subtype="html")

    assert parse_message(msg.as_bytes()).preview == "Hi Alice, Thanks!"


def _talon_cases(corpora: Path) -> tuple[Path, list[dict[str, str]]]:
    root = corpora / "mailgun-talon"
    return root, json.loads((root / "expected.json").read_text(encoding="utf-8"))["reply_cases"]


def test_talon_plain_replies_are_cleaned(corpora: Path) -> None:
    root, cases = _talon_cases(corpora)
    plain = [case for case in cases if case["file"].endswith(".eml")]
    clean = 0
    for case in plain:
        msg = BytesParser(policy=policy.default).parsebytes((root / case["file"]).read_bytes())
        part = msg.get_body(("plain",))
        assert part is not None
        # Expected replies are "Hello" (iPhone and Sparrow add a signature we strip).
        clean += clean_preview(str(part.get_content())) == "Hello"
    assert len(plain) == 12
    assert clean >= 11


def test_talon_html_replies_are_cleaned(corpora: Path) -> None:
    root, cases = _talon_cases(corpora)
    html_cases = [case for case in cases if case["file"].endswith(".html")]
    for case in html_cases:
        preview = clean_preview(html_to_text((root / case["file"]).read_text(encoding="utf-8")))
        # The expected reply ends with the sign-off "Thanks, Alex", which counts as signature.
        squeezed, expected = "".join(preview.split()), "".join(case["expected_reply"].split())
        assert squeezed and expected.startswith(squeezed), case["file"]
        assert squeezed.startswith("Hi.Iamfine."), case["file"]


def test_multilingual_replies_lose_their_quotes(corpora: Path) -> None:
    folder = corpora / "alfonsrv-mail-parser-reply" / "test" / "emails"
    expected = {
        "email_danish_2.txt": "Hej Hanne, Jeg har modtaget filerne.",
        "email_pl_1_2.txt": "Czesc Anno, Jak się masz?",
        "email_1_4.txt": "Awesome! I haven't had another problem with it.",
        "email_sent_from_iPhone.txt": "Here is another email",
        "email_sig_delimiter_in_middle_of_line.txt": (
            "Hi there! Stuff happened. And here is a fix -- this is not a signature. kthxbai"
        ),
    }
    for name, preview in expected.items():
        assert clean_preview((folder / name).read_text(encoding="utf-8")) == preview, name
    for path in folder.glob("*.txt"):
        assert clean_preview(path.read_text(encoding="utf-8", errors="replace")), path.name


def _unquoted_by_regexes_alone(text: str) -> str:
    """`preview_module._unquoted` as it was before it looked for the "wrote" words first."""
    header = preview_module._WRAPPED_HEADER.search(text)
    if header is not None and header.start() > 0:
        text = text[: header.start()]
    lines = [line for line in text.splitlines() if not preview_module._QUOTED_LINE.match(line)]
    return "\n".join(line for line in lines if not preview_module._WROTE_LINE.match(line))


@pytest.mark.parametrize("text", [
    "Thanks!\nOn Mon, Bob WROTE:\n> old",
    "Danke\nAm Montag SCHRIEB Bob:\n> alt",
    "Спасибо\nВ понедельник Боб НАПИСАЛ:\n> старое",
    "Merci\nLe lundi, Bob <bob@x>\na écrit :\n> ancien",
    "Obrigado\nEm seg, Bob ESCREVEU:",
    "No reply header here,\n> only a quoted line\nand text.",
    "Say what you wrote: it stays in the middle of a line.\nNext line",
    "Plain text without any of the words\nover two lines",
    # Letters the regexes take for ASCII ones ("İ" for "i", "ſ" for "s").
    "Danke\nAm Montag, Bob SCHR\u0130EB:\n> alt",
    "Danke\nAm Montag, Bob \u017fchrieb:\n> alt",
])
def test_unquoting_looks_for_the_words_first_with_the_same_result(text: str) -> None:
    assert preview_module._unquoted(text) == _unquoted_by_regexes_alone(text)


LONG_REPLY = "We can move the viewing to Thursday if that suits you better. " * 30


@pytest.mark.parametrize("text", [
    LONG_REPLY,
    LONG_REPLY + "\nOn Mon, 23 Nov 2026, Bob <bob@client.test> wrote:\n> Can we meet?\n",
    "Thursday works.\n\nOn Mon, Bob wrote:\n" + "> " + LONG_REPLY,
    "Thursday works.\n" + "> quoted line\n" * 120 + "More of my reply after the quote.",
    LONG_REPLY[:1090] + "\nOn Mon, 23 Nov 2026, Bob <bob@client.test> wrote:\n> Can we meet?",
])
def test_a_preview_read_from_the_beginning_is_the_preview_of_the_whole_text(text: str) -> None:
    assert len(text) > preview_module._FIRST_SCAN_CHARS
    assert clean_preview(text) == preview_module._preview(text[:100_000], 500)[0]
