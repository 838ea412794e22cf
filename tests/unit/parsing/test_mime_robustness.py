"""Robust parsing: hostile and broken input gives a best-effort message with warnings (SPEC §3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsing import ParsedMessage, parse_message
from parsing.mime import MAX_DECODED_HEADER_CHARS
from parsing.parts import MAX_MIME_DEPTH

BASE = (
    b"From: Carol <carol@client.test>\r\nTo: alice@acme.test\r\nSubject: Hi\r\n"
    b"Date: Tue, 04 Apr 2023 10:00:00 +0200\r\nMessage-ID: <m1@client.test>\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n"
    b"--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello there\r\n"
    b"--XX\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Transfer-Encoding: base64\r\n"
    b"\r\nJVBERi0xLjQK\r\n--XX--\r\n"
)


def _nested(depth: int) -> bytes:
    head = b"From: a@b.test\r\nSubject: deep\r\nMIME-Version: 1.0\r\n"
    parts = [
        f"Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n" for i in range(depth)
    ]
    tail = [f"\r\n--b{i}--\r\n" for i in reversed(range(depth))]
    leaf = "Content-Type: text/plain\r\n\r\nbottom\r\n"
    return head + "".join(parts).encode() + leaf.encode() + "".join(tail).encode()


def _corpus_files(root: Path) -> list[Path]:
    skipped = {"LICENSE", "NOTICE", "README.md"}
    return sorted(
        p for p in root.rglob("*") if p.is_file() and p.name not in skipped and p.suffix != ".json"
    )


def test_every_corpus_file_parses_without_exception(corpora: Path) -> None:
    files = _corpus_files(corpora)
    assert len(files) > 400
    for path in files:
        parsed = parse_message(path.read_bytes())
        assert isinstance(parsed, ParsedMessage), path
        assert parsed.message_id, path


def test_undecodable_charset_is_decoded_leniently() -> None:
    raw = b"From: a@b.test\r\nContent-Type: text/plain; charset=x-no-such\r\n\r\ncaf\xe9\r\n"

    parsed = parse_message(raw)

    assert parsed.text.startswith("caf")
    assert parsed.warnings


def test_broken_base64_body_does_not_raise() -> None:
    raw = (
        b"From: a@b.test\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n"
        b"\r\n!!!not base64 at all===\r\n"
    )

    parsed = parse_message(raw)

    assert parsed.from_[0].address == "a@b.test"


def test_eight_bit_headers_are_kept() -> None:
    raw = "From: Zoë <zoe@exämple.test>\r\nSubject: Grüße\r\n\r\nbody\r\n".encode()

    parsed = parse_message(raw)

    assert "Gr" in parsed.subject
    assert parsed.text.strip() == "body"


def test_missing_headers_give_a_synthetic_message_id() -> None:
    parsed = parse_message(b"\r\njust a body\r\n")

    assert not parsed.has_message_id
    assert parsed.message_id.endswith("@synthetic.blindcopy>")
    assert parsed.from_ == ()
    assert parsed.date is None


def test_duplicate_headers_keep_the_first_and_list_all() -> None:
    raw = b"Subject: one\r\nSubject: two\r\nFrom: a@b.test\r\nFrom: c@d.test\r\n\r\nx\r\n"

    parsed = parse_message(raw)

    assert parsed.subject == "one"
    assert parsed.header_values("subject") == ("one", "two")


def test_unparseable_date_is_a_warning() -> None:
    parsed = parse_message(b"From: a@b.test\r\nDate: someday soon\r\n\r\nx\r\n")

    assert parsed.date is None
    assert "unparseable Date header" in parsed.warnings


def test_mime_nesting_beyond_the_limit_is_cut_with_a_warning() -> None:
    parsed = parse_message(_nested(MAX_MIME_DEPTH + 5))

    assert parsed.text == ""
    assert any("MIME nesting deeper" in warning for warning in parsed.warnings)


def test_nesting_within_the_limit_reaches_the_bottom() -> None:
    assert parse_message(_nested(10)).text.strip() == "bottom"


def test_pathologically_deep_nesting_still_gives_headers() -> None:
    parsed = parse_message(_nested(3000))

    assert parsed.subject == "deep"
    assert parsed.warnings


def test_enormous_body_is_parsed_and_preview_is_bounded() -> None:
    raw = b"From: a@b.test\r\nSubject: big\r\n\r\n" + b"word " * 400_000

    parsed = parse_message(raw)

    assert len(parsed.text) > 1_000_000
    assert len(parsed.preview) <= 500


@st.composite
def mutated_messages(draw: st.DrawFn) -> bytes:
    """Return BASE mutated by byte flips, truncation, header duplication and nesting."""
    raw = bytearray(BASE)
    for _ in range(draw(st.integers(0, 8))):
        raw[draw(st.integers(0, len(raw) - 1))] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        raw = raw[: draw(st.integers(0, len(raw)))]
    header = draw(
        st.sampled_from(
            [
                b"From: x\r\n",
                b"Content-Type: multipart/mixed\r\n",
                b"Subject: =?utf-8?b?////?=\r\n",
                b"Date: 99 Foo 0\r\n",
            ]
        )
    )
    raw = header * draw(st.integers(0, 3)) + raw
    if draw(st.booleans()):
        raw = _nested(draw(st.integers(1, 60))).replace(b"bottom", bytes(raw))
    return bytes(raw)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_messages())
def test_mutated_messages_never_raise(raw: bytes) -> None:
    parsed = parse_message(raw)

    assert isinstance(parsed, ParsedMessage)
    assert parsed.message_id


@pytest.mark.parametrize("content_type", ["message/rfc822", "message/global"])
def test_broken_enclosed_message_does_not_raise(content_type: str) -> None:
    raw = (
        f"From: a@b.test\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=Z\r\n"
        f"\r\n--Z\r\nContent-Type: {content_type}\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        f"%%%%\r\n--Z--\r\n"
    ).encode()

    assert isinstance(parse_message(raw), ParsedMessage)


def test_nul_characters_are_removed_from_headers_and_text_with_a_warning() -> None:
    parsed = parse_message(b"From: Bob\x00 <bob@client.test>\r\nTo: alice@acme.test\r\n"
                           b"Subject: hi\x00there\r\nMessage-ID: <n\x00ul@x>\r\n\r\n"
                           b"body\x00text\r\n")

    assert (parsed.subject, parsed.message_id, parsed.text) == ("hithere", "<nul@x>",
                                                                "bodytext\r\n")
    assert all("\x00" not in value for _, value in parsed.headers)
    assert "NUL characters removed from subject header" in parsed.warnings


def test_a_long_subject_is_decoded_only_as_far_as_the_cap() -> None:
    # 6,000 encoded words (≈ 300 KB): the email package decodes ≈ 7 a millisecond.
    words = "\r\n ".join(["=?utf-8?q?Zypernsonne_qu=C3=A4lte?="] * 6_000)
    raw = (f"From: Carol <carol@client.test>\r\nTo: alice@acme.test\r\nSubject: {words}\r\n"
           "Message-ID: <long@client.test>\r\n\r\nHello\r\n").encode()
    parsed = parse_message(raw)
    assert parsed.subject.startswith("Zypernsonne quälteZypernsonne quälte")
    assert set(parsed.subject.split("Zypernsonne quälte")) == {""}  # whole words only
    assert 0 < len(parsed.subject) < MAX_DECODED_HEADER_CHARS
    assert any(w.startswith("subject header longer than") for w in parsed.warnings)
    assert parsed.message_id == "<long@client.test>"


def test_a_long_recipient_list_is_decoded_whole() -> None:
    recipients = ",\r\n ".join(f"Person {n} <person{n}@client.test>" for n in range(3_000))
    raw = (f"From: carol@client.test\r\nTo: {recipients}\r\nSubject: All\r\n"
           "Message-ID: <all@client.test>\r\n\r\nHello\r\n").encode()
    parsed = parse_message(raw)
    assert len(parsed.to) == 3_000
    assert parsed.to[-1].address == "person2999@client.test"
    assert not any("longer than" in w for w in parsed.warnings)
