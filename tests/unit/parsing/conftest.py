"""Fixtures for the parser's unit tests: the shared corpora."""

from __future__ import annotations

from pathlib import Path

import pytest

from parsing import parse_message

CORPORA = Path(__file__).parents[3] / ".." / "shared" / "corpora"


@pytest.fixture(scope="session")
def corpora() -> Path:
    """Return the shared corpora folder, or skip the test when it is not there."""
    if not CORPORA.is_dir():
        pytest.skip(f"shared corpora not found at {CORPORA}")
    return CORPORA


@pytest.fixture(scope="session")
def corpus_texts(corpora: Path) -> list[str]:
    """Return every text of the corpora, each file parsed once for the whole session.

    Per file: its parsed text, its preview, its raw bytes as text and, for a forward, the
    original's text.
    """
    texts = []
    for path in sorted(p for p in corpora.rglob("*") if p.is_file()):
        raw = path.read_bytes()
        parsed = parse_message(raw)
        texts += [parsed.text or "", parsed.preview, raw.decode("utf-8", errors="replace")]
        if parsed.forwarded is not None:
            texts.append(parsed.forwarded.text or "")
    return texts
