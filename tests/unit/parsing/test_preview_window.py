"""The preview's first-window shortcut gives the preview a scan of the whole text gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from parsing import parse_message
from parsing.preview import _MAX_SCAN_CHARS, PREVIEW_CHARS, _preview, clean_preview

CORPORA = Path(__file__).parents[3] / ".." / "shared" / "corpora"


def _long_texts() -> list[str]:
    if not CORPORA.is_dir():
        pytest.skip(f"shared corpora not found at {CORPORA}")
    texts = []
    for path in sorted(p for p in CORPORA.rglob("*") if p.is_file()):
        raw = path.read_bytes()
        parsed = parse_message(raw)
        texts += [parsed.text or "", raw.decode("utf-8", errors="replace")]
        if parsed.forwarded is not None:
            texts.append(parsed.forwarded.text or "")
    return [text for text in texts if len(text) > 1_500]


def test_preview_of_the_first_window_equals_the_whole_text_scan_on_the_corpora() -> None:
    texts = _long_texts()
    assert len(texts) > 100
    for text in texts:
        whole = _preview(text[:_MAX_SCAN_CHARS], PREVIEW_CHARS)[0]
        assert clean_preview(text) == whole, text[:300]
