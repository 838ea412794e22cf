"""The memoizing policy gives the same headers as policy.default, on every corpus header."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from parsing.header_policy import MEMO_MAX_CHARS, MIME_POLICY


def _facts(header: Any) -> tuple[Any, ...]:
    """What code reads of a parsed header: its type, text, defects and parsed parts."""
    return (type(header).__name__, str(header), [type(d).__name__ for d in header.defects],
            getattr(header, "content_type", None), dict(getattr(header, "params", {}) or {}),
            str(getattr(header, "addresses", "")), getattr(header, "datetime", None))


def test_every_corpus_header_reads_the_same_twice(corpora: Path) -> None:
    compared = memoized = 0
    for path in sorted(p for p in corpora.rglob("*.eml") if p.is_file()):
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        for part in message.walk():
            for name, raw in part.raw_items():
                expected = _facts(policy.default.header_fetch_parse(name, raw))
                first = MIME_POLICY.header_fetch_parse(name, raw)
                again = MIME_POLICY.header_fetch_parse(name, raw)
                assert _facts(first) == expected == _facts(again), (path.name, name)
                compared += 1
                memoized += first is again
    assert compared > 500
    assert memoized > 100  # short values really are reused


def test_parts_read_through_the_policy_keep_their_content_types(corpora: Path) -> None:
    for path in sorted(p for p in corpora.rglob("*.eml") if p.is_file()):
        raw = path.read_bytes()
        plain = BytesParser(policy=policy.default).parsebytes(raw)
        memo = BytesParser(policy=MIME_POLICY).parsebytes(raw)
        assert [(p.get_content_type(), p.get_content_charset(), p.get_filename(),
                 p.get_content_disposition()) for p in plain.walk()] == [
            (p.get_content_type(), p.get_content_charset(), p.get_filename(),
             p.get_content_disposition()) for p in memo.walk()], path.name


def test_long_values_are_not_kept() -> None:
    value = "x" * (MEMO_MAX_CHARS + 1)
    assert MIME_POLICY.header_fetch_parse("Subject", value) is not (
        MIME_POLICY.header_fetch_parse("Subject", value))


def test_each_kind_of_header_class_is_built_once() -> None:
    # The standard library builds a class per header parsed; these are built once per kind.
    built = {name: {type(MIME_POLICY.header_fetch_parse(name, f"<{n}.{'x' * 300}@a.test>"))
                    for n in range(50)}
             for name in ("Message-ID", "Subject", "To")}
    assert all(len(classes) == 1 for classes in built.values())
    for name, (made,) in built.items():
        stdlib = type(policy.default.header_fetch_parse(name, "<1@a.test>"))
        assert made is not stdlib
        assert (made.__name__, made.__bases__) == (stdlib.__name__, stdlib.__bases__)
