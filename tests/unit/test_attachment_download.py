"""The filename an attachment is downloaded as (RFC 6266, RFC 5987): safe whatever was sent."""

from __future__ import annotations

import pytest

from api.handlers.attachments import content_disposition, download_filename


@pytest.mark.parametrize(("sent", "saved"), [
    ("offer.pdf", "offer.pdf"),
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\bob\\offer.pdf", "offer.pdf"),
    ("evil\r\nSet-Cookie: a=b.txt", "evilSet-Cookie: a=b.txt"),
    ("", "attachment-2"),
    ("..", "attachment-2"),
    ("x" * 300 + ".pdf", "x" * 255),
])
def test_the_saved_name_is_the_last_path_part_without_controls(sent: str, saved: str) -> None:
    assert download_filename(sent, 2) == saved


def test_an_ascii_name_is_quoted_as_it_is() -> None:
    assert content_disposition("offer 2026.pdf") == 'attachment; filename="offer 2026.pdf"'


def test_a_name_with_quotes_or_unicode_gets_a_fallback_and_filename_star() -> None:
    assert content_disposition('Angebot "für" Bob.pdf') == (
        "attachment; filename=\"Angebot _f_r_ Bob.pdf\"; "
        "filename*=utf-8''Angebot%20%22f%C3%BCr%22%20Bob.pdf")
    assert content_disposition("договор.pdf") == (
        "attachment; filename=\"_______.pdf\"; "
        "filename*=utf-8''%D0%B4%D0%BE%D0%B3%D0%BE%D0%B2%D0%BE%D1%80.pdf")
