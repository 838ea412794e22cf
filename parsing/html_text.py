"""Turn an HTML body into plain text good enough to read forwards and previews (SPEC §3).

Uses the standard library's tolerant `html.parser`: block elements become line breaks,
scripts and styles are dropped, entities are decoded. Pure: no I/O, no network fetches.
"""

from __future__ import annotations

import contextlib
import re
from html.parser import HTMLParser

# Block elements end a line unless one just ended; <br> always does; cells are spaced.
_BLOCKS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "footer"),
        *("h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol"),
        *("p", "pre", "section", "table", "tbody", "thead", "tr", "ul"),
    }
)
_CELLS = frozenset({"td", "th"})
_SKIPPED = frozenset({"script", "style", "head", "title"})
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n{3,}")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.skipping = 0

    def _end_line(self) -> None:
        if self.chunks and not self.chunks[-1].endswith("\n"):
            self.chunks.append("\n")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag == "br":
            self.chunks.append("\n")
        elif tag in _BLOCKS:
            self._end_line()
        elif tag in _CELLS:
            self.chunks.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            self._end_line()

    def handle_data(self, data: str) -> None:
        # Whitespace between tags is layout, not text: it must not make blank lines.
        at_line_start = not self.chunks or self.chunks[-1].endswith("\n")
        if not self.skipping and not (at_line_start and not data.strip()):
            self.chunks.append(_SPACES.sub(" ", data.replace("\n", " ")))


def html_to_text(html: str) -> str:
    """Return the readable text of `html`; never raise for malformed markup."""
    collector = _TextCollector()
    with contextlib.suppress(Exception):  # html.parser is tolerant; partial text beats none
        collector.feed(html)
        collector.close()
    lines = (line.strip() for line in "".join(collector.chunks).split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
