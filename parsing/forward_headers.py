"""Read the original's header block out of the text of an inline forward (SPEC §3).

Given the part of a body that follows a forward separator, find the original From, To,
Cc, Date, Subject and body, in any locale the tables of `parsing.forward_patterns` know.
Pure string work: no I/O, no MIME. The order of attempts (strict line-anchored labels,
then the same labels anywhere, then "On … wrote:" lines) follows Crisp's parser.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from re import Match, Pattern

from parsing import forward_patterns as fp
from parsing.message import Address
from parsing.regex_shapes import (
    LiteralFinder,
    Requirement,
    fold,
    literal_finder,
    may_match,
    required_literal,
    required_words,
    words_of,
)

_GLOBAL_FLAGS = re.compile(r"^\(\?[aiLmsux]+\)")
_BACKREFERENCE = re.compile(r"\\\d|\(\?P=")


@functools.lru_cache(maxsize=512)
def _any_of(patterns: tuple[Pattern[str], ...]) -> Pattern[str] | None:
    """Return one regex matching where any of `patterns` matches, or None if none can be built.

    An alternation tries its branches in order at each position from the left, so it stops
    where the earliest of the patterns matches, and at that position on the first of them
    that matches: exactly the match `first_match` wants, found in one pass instead of one
    pass per pattern. Built only for patterns sharing their flags and without
    back-references (their group numbers would shift).
    """
    flags = {pattern.flags for pattern in patterns}
    if len(flags) != 1 or any(_BACKREFERENCE.search(p.pattern) for p in patterns):
        return None
    branches = "|".join(f"(?:{_GLOBAL_FLAGS.sub('', p.pattern)})" for p in patterns)
    try:
        return re.compile(branches, flags.pop())
    except re.error:
        return None


@dataclass(frozen=True, slots=True)
class _Gate:
    """What a text must hold for each of some patterns to match in it.

    A pattern's required literal (a run of characters matched as they are), or, for a
    pattern without one, its required words (one of each requirement). All are looked
    for in one pass over the `fold`ed text; a literal found there is then looked for as it
    is (a folded text holds the fold of every run the text holds).
    """

    finder: LiteralFinder
    # Per pattern: its literal, the literal folded, and (without a literal) its words.
    requirements: tuple[tuple[str, str, tuple[Requirement, ...]], ...]

    def passing(self, patterns: tuple[Pattern[str], ...], text: str) -> tuple[Pattern[str], ...]:
        """The patterns that may match in `text`."""
        present = self.finder.present(fold(text))
        return tuple(pattern for pattern, (literal, folded, requirements)
                     in zip(patterns, self.requirements, strict=True)
                     if (folded in present and literal in text if literal
                         else may_match(requirements, present)))


@functools.lru_cache(maxsize=64)
def _gate_of(patterns: tuple[Pattern[str], ...]) -> _Gate:
    requirements = tuple(
        (literal, fold(literal), () if literal else required_words(p))
        for p in patterns for literal in (required_literal(p),))
    literals = {folded for literal, folded, _ in requirements if literal}
    words = words_of(r for _, _, each in requirements for r in each)
    return _Gate(literal_finder(frozenset(literals | words)), requirements)


def first_match(patterns: Sequence[Pattern[str]], text: str) -> Match[str] | None:
    """Return the match that starts earliest in `text` (first pattern wins a tie).

    Patterns whose required literal, or for one without, whose required words are not in
    `text` cannot match and are not tried: most mail is no forward, and the separator
    table's 78 patterns would otherwise all be run.
    """
    patterns = _gate_of(tuple(patterns)).passing(tuple(patterns), text)
    if not patterns:
        return None
    combined = _any_of(patterns) if len(patterns) > 1 else None
    if combined is not None:
        found = combined.search(text)
        if found is None:
            return None
        # The earliest start is known; the first pattern matching there is the winner, and
        # its own match carries its own groups.
        for pattern in patterns:
            at = pattern.match(text, found.start())
            if at is not None:
                return at
    best: Match[str] | None = None
    for pattern in patterns:
        found = pattern.search(text)
        if found is not None and (best is None or found.start() < best.start()):
            best = found
    return best


def remove_first_kind(patterns: Sequence[Pattern[str]], text: str) -> str:
    """Remove every match of the first pattern that matches at all."""
    for pattern in patterns:
        reduced = pattern.sub("", text)
        if len(reduced) < len(text):
            return reduced
    return text


def mailbox(name: str, address: str) -> Address:
    """Return an Address; text that is not an address is kept as the display name."""
    name, address = name.strip(), address.strip()
    if not fp.MAILBOX_ADDRESS.match(address):
        name, address = address, ""
    if address == name:
        name = ""
    local, _, domain = address.rpartition("@")
    return Address(f"{local}@{domain.lower()}" if local else address, name.strip())


def _next_mailbox(line: str) -> tuple[Address, str]:
    found = first_match(fp.MAILBOX, line)
    if found is None:
        return mailbox("", line), ""
    groups = [group or "" for group in found.groups()]
    name, address = (groups[0], groups[1]) if len(groups) == 2 else ("", groups[0])
    rest = line.replace(found.group(0), "", 1).strip()
    if rest[:1] in (",", ";"):
        rest = rest[1:].strip()
    return mailbox(name, address), rest


def mailboxes(patterns: Sequence[Pattern[str]], text: str) -> tuple[Address, ...]:
    """Return the mailboxes of the first header line matching `patterns`."""
    found = first_match(patterns, text)
    if found is None:
        return ()
    line, result = (found.groups()[-1] or "").strip(), []
    while line:
        address, line = _next_mailbox(line)
        result.append(address)
    return tuple(result)


def _prefer(primary: tuple[Address, ...], fallback: tuple[Address, ...]) -> tuple[Address, ...]:
    if not primary:
        return fallback
    if not primary[0].address and fallback and fallback[0].address:
        return fallback
    return primary


def original_from(text: str, body: str) -> Address | None:
    """Return the original author, from a From line or an "On … wrote:" line."""
    authors = _prefer(mailboxes(fp.ORIGINAL_FROM, text), mailboxes(fp.ORIGINAL_FROM, body))
    if authors and (authors[0].address or authors[0].display_name):
        return authors[0]
    informed = first_match(fp.SEPARATOR_WITH_INFORMATION, body)
    if informed is not None:
        return mailbox(informed.group("from_name"), informed.group("from_address"))
    lax = first_match(fp.ORIGINAL_FROM_LAX, text)
    return mailbox(lax.group(2), lax.group(3)) if lax is not None else None


def original_to(text: str, body: str) -> tuple[Address, ...]:
    """Return the original To recipients."""
    found = _prefer(mailboxes(fp.ORIGINAL_TO, text), mailboxes(fp.ORIGINAL_TO, body))
    if found:
        return found
    for table in (fp.ORIGINAL_SUBJECT_LAX, fp.ORIGINAL_DATE_LAX, fp.ORIGINAL_CC_LAX):
        text = remove_first_kind(table, text)
    return mailboxes(fp.ORIGINAL_TO_LAX, text)


def original_cc(text: str, body: str) -> tuple[Address, ...]:
    """Return the original Cc recipients."""
    found = mailboxes(fp.ORIGINAL_CC, text) or mailboxes(fp.ORIGINAL_CC, body)
    if found:
        return found
    for table in (fp.ORIGINAL_SUBJECT_LAX, fp.ORIGINAL_DATE_LAX):
        text = remove_first_kind(table, text)
    return mailboxes(fp.ORIGINAL_CC_LAX, text)


def original_subject(text: str) -> str:
    """Return the original Subject, or ''."""
    found = first_match(fp.ORIGINAL_SUBJECT, text) or first_match(fp.ORIGINAL_SUBJECT_LAX, text)
    return found.group(1).strip() if found is not None else ""


def original_date(text: str, body: str) -> str:
    """Return the original date as the client wrote it (often localized), or ''."""
    found = first_match(fp.ORIGINAL_DATE, text) or first_match(fp.ORIGINAL_DATE, body)
    if found is not None:
        return found.group(1).strip()
    informed = first_match(fp.SEPARATOR_WITH_INFORMATION, body)
    if informed is not None:
        return informed.group("date").strip()
    lax = first_match(fp.ORIGINAL_DATE_LAX, remove_first_kind(fp.ORIGINAL_SUBJECT_LAX, text))
    return lax.group(1).strip() if lax is not None else ""


def original_body(text: str) -> str:
    """Return what follows the header block: the original's own text."""
    # A header line followed by a blank line ends the header block; clients differ in
    # which header comes last (Date last in MailMate).
    tables = (
        fp.ORIGINAL_SUBJECT,
        fp.ORIGINAL_CC,
        fp.ORIGINAL_TO,
        fp.ORIGINAL_REPLY_TO,
        fp.ORIGINAL_DATE,
    )
    for table in tables:
        found = first_match(table, text)
        if found is not None and text[found.end() :].startswith("\n\n"):
            return text[found.end() :].strip()
    found = first_match(fp.ORIGINAL_SUBJECT + fp.ORIGINAL_SUBJECT_LAX, text)
    return text[found.end() :].strip() if found is not None else text.strip()
