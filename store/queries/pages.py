"""Keyset pages: queries fetch one row more than asked to tell whether a next page exists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of rows in keyset order; `has_more` says whether rows follow the last one."""

    items: list[T]
    has_more: bool

    @classmethod
    def from_rows(cls, rows: Sequence[T], limit: int) -> Page[T]:
        """Build a page from up to `limit + 1` rows."""
        return cls(list(rows[:limit]), len(rows) > limit)
