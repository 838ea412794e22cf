"""An in-memory cache of DNS answers that expire after their TTL.

Responsible only for storing, expiring and counting; it knows nothing about DNS itself.
Negative answers are stored as empty tuples, so "absent" and "not cached" stay distinct
(``get`` returns ``None`` only for the latter).
"""

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class CacheStats:
    """Counters of cache lookups since the cache was created."""

    hits: int
    misses: int
    entries: int


class TtlCache(Generic[V]):
    """Map keys to values until their time to live has passed, evicting the oldest when full."""

    def __init__(self, max_entries: int, clock: Callable[[], float]) -> None:
        self._entries: dict[Hashable, tuple[float, V]] = {}
        self._max_entries = max_entries
        self._clock = clock
        self._hits = 0
        self._misses = 0

    def get(self, key: Hashable) -> V | None:
        """Return the live value for ``key`` and count a hit, or count a miss and return None."""
        entry = self._entries.get(key)
        if entry is not None and entry[0] > self._clock():
            self._hits += 1
            return entry[1]
        if entry is not None:
            del self._entries[key]
        self._misses += 1
        return None

    def put(self, key: Hashable, value: V, ttl: float) -> None:
        """Store ``value`` for ``ttl`` seconds (nothing is stored for a TTL of zero or less)."""
        if ttl <= 0:
            return
        self._entries.pop(key, None)
        while len(self._entries) >= self._max_entries:
            del self._entries[next(iter(self._entries))]
        self._entries[key] = (self._clock() + ttl, value)

    def clear(self) -> None:
        """Forget every entry (the counters are kept)."""
        self._entries.clear()

    def stats(self) -> CacheStats:
        """Return the hit and miss counters and the number of stored entries."""
        return CacheStats(hits=self._hits, misses=self._misses, entries=len(self._entries))
