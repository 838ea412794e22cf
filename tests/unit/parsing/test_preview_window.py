"""The preview's first-window shortcut gives the preview a scan of the whole text gives."""

from __future__ import annotations

from parsing.preview import _MAX_SCAN_CHARS, PREVIEW_CHARS, _preview, clean_preview


def test_preview_of_the_first_window_equals_the_whole_text_scan_on_the_corpora(
        corpus_texts: list[str]) -> None:
    texts = [text for text in corpus_texts if len(text) > 1_500]
    assert len(texts) > 100
    for text in texts:
        whole = _preview(text[:_MAX_SCAN_CHARS], PREVIEW_CHARS)[0]
        assert clean_preview(text) == whole, text[:300]
