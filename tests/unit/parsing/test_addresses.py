"""Address entries: flanker first, a lenient fallback, and kept results equal fresh ones."""

from __future__ import annotations

import pytest

from parsing.addresses import _parse, _parse_kept, parse_address, parse_address_list
from parsing.message import Address

ENTRIES = [
    '"Bob Client" <bob@Client.TEST>',
    "alice@acme.test",
    "Ann <ann@acme.test>",
    "not an address",
    "odd..dots@example.test",
    '"Müller, Jörg" <joerg@beispiel.test>',
    "",
]


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_kept_result_is_the_fresh_parse(entry: str) -> None:
    fresh = _parse(entry.strip()) if entry.strip() else None
    assert parse_address(entry) == fresh
    assert parse_address(entry) == fresh  # the second time from the kept results


def test_known_entries_parse_as_expected() -> None:
    assert parse_address('"Bob Client" <bob@Client.TEST>') == Address("bob@client.test",
                                                                       "Bob Client")
    assert parse_address("not an address") is None
    assert parse_address_list(["Ann <ann@acme.test>, ann@ACME.test", "bob@client.test"]) == (
        Address("ann@acme.test", "Ann"), Address("bob@client.test"))


def test_long_entries_are_not_kept() -> None:
    _parse_kept.cache_clear()
    long_entry = f'"{"x" * 600}" <long@example.test>'
    assert parse_address(long_entry) == Address("long@example.test", "x" * 600)
    assert _parse_kept.cache_info().currsize == 0
    parse_address("alice@acme.test")
    assert _parse_kept.cache_info().currsize == 1
