"""Dates of forward header blocks in every locale, with the header's zone (SPEC §12)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from parsing_builders import a_message

from parsing import parse_message
from parsing.forward_dates import parse_forward_date

PLUS_ONE = timezone(timedelta(hours=1))


@pytest.mark.parametrize(("text", "instant"), [
    # The four of issue 22, without a zone: read in the zone given (the forward's own).
    ("Montag, 23. November 2026 16:12", datetime(2026, 11, 23, 15, 12, tzinfo=UTC)),
    ("lun. 23 nov. 2026 à 16:12", datetime(2026, 11, 23, 15, 12, tzinfo=UTC)),
    ("lunes, 23 de noviembre de 2026 16:12", datetime(2026, 11, 23, 15, 12, tzinfo=UTC)),
    # With a zone in the header, that zone whatever the forward's.
    ("November 23, 2026 at 4:12:09 PM GMT+1", datetime(2026, 11, 23, 15, 12, 9, tzinfo=UTC)),
    ("Montag, 19. September 2022, 17:55:44 -0400", datetime(2022, 9, 19, 21, 55, 44, tzinfo=UTC)),
    ("26. Oktober 2021 um 14:25:08 OESZ", datetime(2021, 10, 26, 11, 25, 8, tzinfo=UTC)),
    ("úterý 2. listopadu 2021 09:26:50 SEČ", datetime(2021, 11, 2, 8, 26, 50, tzinfo=UTC)),
    ("2022年9月19日月曜日 17:55:44 -0400", datetime(2022, 9, 19, 21, 55, 44, tzinfo=UTC)),
    ("2021-10-28T12:46:00+02:00", datetime(2021, 10, 28, 10, 46, tzinfo=UTC)),
    # A year after a dash is no zone.
    ("28-10-2021 12:46", datetime(2021, 10, 28, 11, 46, tzinfo=UTC)),
])
def test_localized_dates_are_read_with_their_zone(text: str, instant: datetime) -> None:
    assert parse_forward_date(text, PLUS_ONE) == instant


@pytest.mark.parametrize(("text", "day"), [
    ("Mi., 27. Okt. 2021 um 09:31 Uhr", (2021, 10, 27)),
    ("ke 27. lokak. 2021 klo 9.31", (2021, 10, 27)),  # shorter than CLDR's abbreviation
    ("2021. okt. 27., Sze, 9:31", (2021, 10, 27)),  # Hungarian: year first
    ("st 27. 10. 2021 v 9:31", (2021, 10, 27)),
    ("28/10/21, 12:46", (2021, 10, 28)),
    # "listopada" is October in Croatian and November in Polish: the other words tell.
    ("26. listopada 2021. u 14:25:08", (2021, 10, 26)),
    ("wtorek, 2 listopada 2021, 09:26:50", (2021, 11, 2)),
    # "mar." is Tuesday in Spanish and also March: the weekday comes first.
    ("mar., 3 de mar. de 2026 10:00", (2026, 3, 3)),
])
def test_the_day_is_read_in_the_locale_of_the_text(text: str, day: tuple[int, int, int]) -> None:
    found = parse_forward_date(text)
    assert found is not None
    assert (found.year, found.month, found.day) == day


def test_a_numeric_date_is_day_first_unless_on_a_12_hour_clock() -> None:
    assert parse_forward_date("05/10/2023 16:52") == datetime(2023, 10, 5, 16, 52, tzinfo=UTC)
    assert parse_forward_date("05/10/2023 4:52 PM") == datetime(2023, 5, 10, 16, 52, tzinfo=UTC)


def test_text_without_a_date_is_none() -> None:
    assert parse_forward_date("sometime next week") is None
    assert parse_forward_date("31. Februar 2026 10:00") is None


GERMAN_OUTLOOK_FORWARD = """Zur Info.

Von: Carol Client <carol@client.test>
Gesendet: Montag, 23. November 2026 16:12
An: alice@acme.test
Betreff: Angebot

Bitte das Angebot schicken.
"""


def test_an_inline_original_without_a_zone_takes_the_forwards_own() -> None:
    message = a_message(subject="WG: Angebot", text=GERMAN_OUTLOOK_FORWARD)
    message.replace_header("Date", "Mon, 23 Nov 2026 17:00:00 +0100")

    original = parse_message(message.as_bytes()).forwarded

    assert original is not None
    assert original.date == datetime(2026, 11, 23, 16, 12, tzinfo=PLUS_ONE)
    assert original.date is not None and original.date.utcoffset() == timedelta(hours=1)
