"""first_match's one-pass alternation finds exactly what one search per pattern finds."""

from __future__ import annotations

import re
from pathlib import Path
from re import Match, Pattern

import pytest

from parsing import forward_patterns as fp
from parsing.forward_headers import first_match
from parsing.inline_forward import normalize_text
from parsing.regex_shapes import required_literal

CORPORA = Path(__file__).parents[3] / ".." / "shared" / "corpora"
TABLES = {name: table for name, table in vars(fp).items()
          if isinstance(table, tuple) and table and isinstance(table[0], Pattern)}


def one_search_per_pattern(patterns: tuple[Pattern[str], ...], text: str) -> Match[str] | None:
    best: Match[str] | None = None
    for pattern in patterns:
        found = pattern.search(text)
        if found is not None and (best is None or found.start() < best.start()):
            best = found
    return best


def _texts() -> list[str]:
    if not CORPORA.is_dir():
        pytest.skip(f"shared corpora not found at {CORPORA}")
    files = sorted(p for p in CORPORA.rglob("*") if p.is_file() and p.stat().st_size < 200_000)
    return [normalize_text(p.read_bytes().decode("utf-8", errors="replace")) for p in files]


def _same(a: Match[str] | None, b: Match[str] | None) -> bool:
    if a is None or b is None:
        return a is b
    return (a.re, a.span(), a.groups()) == (b.re, b.span(), b.groups())


def test_first_match_agrees_with_one_search_per_pattern_on_the_corpora() -> None:
    texts = _texts()
    checked = found = 0
    for table in TABLES.values():
        for text in texts:
            expected = one_search_per_pattern(table, text)
            assert _same(first_match(table, text), expected), (table, text[:200])
            checked += 1
            found += expected is not None
    assert found > 100 and checked > found


def test_first_match_prefers_the_earlier_pattern_on_a_tie() -> None:
    text = "intro\n---------- Forwarded message ---------\nFrom: a@b.test\n"
    assert _same(first_match(fp.SEPARATOR, text), one_search_per_pattern(fp.SEPARATOR, text))


@pytest.mark.parametrize(("pattern", "literal"), [
    (r"(?m)^>?\s*Begin forwarded message\s?:", "Begin forwarded message"),
    (r"(?m)^\s?Dne\s?.+\s?napsal\(a\)\s?:", "napsal(a)"),
    (r"abc|xyzzy", ""),             # a top-level alternative: nothing is required
    (r"(?i)forwarded", ""),         # case-insensitive: no exact run is required
    (r"ab(cdef)?gh", "ab"),         # an optional group breaks the run
    (r"x[abc]yz", "yz"),            # so does a class
    (r"_{32}", ""),                 # a repetition is not read
])
def test_required_literal_is_text_every_match_contains(pattern: str, literal: str) -> None:
    assert required_literal(re.compile(pattern)) == literal


def test_patterns_whose_literal_is_absent_are_not_tried() -> None:
    text = "Hello,\n\nno forward here.\n"
    assert first_match(fp.SEPARATOR, text) is None
    forwarded = "Note\n\nBegin forwarded message:\n\nFrom: Bob <bob@client.test>\n"
    found = first_match(fp.SEPARATOR, forwarded)
    assert found is not None and found.group(0).strip() == "Begin forwarded message:"
