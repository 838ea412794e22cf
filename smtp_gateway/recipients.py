"""Project addresses the gateway found at RCPT, kept for a few seconds (no store look-up).

A look-up opens a read-only session: ≈ 0.6 ms of the gateway's ≈ 2.1 ms of CPU per message
(BENCHMARKS.md). A found address is kept with what decides whether it accepts mail (active,
or retired with the end of its grace), and that is checked again at every use with the
clock, so an address whose grace ends while kept is refused on time. An address is kept
at most `address_grace_days`: the only way an address stops working is a rotation, which
leaves it working for the grace period, so a kept address accepts mail exactly when the
store would say it does. An address not found is never kept (a new project's address
works at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# More addresses than this are not kept (the oldest go first): only found project addresses
# are kept, so this bounds memory however many projects there are.
MAX_KEPT = 10_000


@dataclass(frozen=True, slots=True)
class Recipient:
    """A project address as found: where its mail goes and until when it accepts mail."""

    project_id: str
    kind: str
    active: bool
    grace_until: datetime | None

    def accepts(self, now: datetime) -> bool:
        """Tell whether the address accepts mail at `now`."""
        return self.active or (self.grace_until is not None and self.grace_until > now)


class RecipientCache:
    """Found project addresses by lower-cased address, each until `keep` has passed."""

    def __init__(self, keep: timedelta, max_kept: int = MAX_KEPT) -> None:
        self.keep = keep
        self.max_kept = max_kept
        self._kept: dict[str, tuple[datetime, Recipient]] = {}

    def get(self, address: str, now: datetime) -> Recipient | None:
        """Return the kept address if it was found less than `keep` ago and accepts mail."""
        kept = self._kept.get(address)
        if kept is None:
            return None
        until, recipient = kept
        if now >= until or not recipient.accepts(now):
            del self._kept[address]
            return None
        return recipient

    def put(self, address: str, recipient: Recipient, now: datetime) -> None:
        """Keep a found address (nothing when keeping is off)."""
        if self.keep <= timedelta(0):
            return
        if len(self._kept) >= self.max_kept:
            del self._kept[next(iter(self._kept))]
        self._kept[address] = (now + self.keep, recipient)
