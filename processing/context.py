"""Everything processing needs from configuration, built once per process and passed down."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from metrics import Metrics
from processing.background_loop import BackgroundLoop
from sender_auth import DnsResolver
from store.tombstones import AddressHash

T = TypeVar("T")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def utc_now() -> datetime:
    """Return the current time in UTC (the default clock)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class ProcessingContext:
    """Resolver, trusted relays, retry policy and clock shared by every worker."""

    resolver: DnsResolver
    trusted_relays: tuple[Network, ...] = ()
    authserv_id: str = "blindcopy"
    max_attempts: int = 5
    retry_base_seconds: float = 2.0
    retry_max_seconds: float = 300.0
    lease_seconds: float = 300.0
    # Messages a worker claims at once (one claim transaction for all of them), and the
    # raw bytes they may add up to (the oldest is claimed whatever its size).
    claim_batch: int = 16
    claim_bytes: int = 16 * 1024 * 1024
    # Largest attachment whose bytes are stored (SPEC §12); a larger one keeps its metadata.
    max_attachment_bytes: int = 25 * 1024 * 1024
    # How old a signature (t=) or Date may be when a message proved only by DKIM arrives.
    dkim_replay_window: timedelta = timedelta(hours=48)
    # The console's public base URL for notices (SPEC §14); None: no notices are written.
    notice_console_url: str | None = None
    clock: Callable[[], datetime] = field(default=utc_now)
    # Counters of this process (the composition root shares them with SMTP and the API).
    metrics: Metrics = field(default_factory=Metrics)
    # Retention windows (SPEC §13): raw bytes of processed messages, and messages that
    # logged nothing; swept `retention_batch` rows at a time every `retention_interval_seconds`.
    raw_retention: timedelta = timedelta(days=30)
    unlogged_retention: timedelta = timedelta(days=30)
    event_retention: timedelta = timedelta(days=30)
    retention_batch: int = 500
    retention_interval_seconds: float = 60.0
    # The keyed hash of erased addresses (SPEC §13); None: tombstones are not looked up.
    address_hash: AddressHash | None = None
    # Deliver webhooks to loopback, private and link-local addresses too (tests, the demo).
    webhook_allow_private: bool = False
    # Where the synchronous steps run their DNS look-ups and webhook deliveries.
    background: BackgroundLoop = field(default_factory=BackgroundLoop)

    def now(self) -> datetime:
        """Return the current time from the context's clock."""
        return self.clock()

    def run_async(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine (sender verification's DNS look-ups, webhook deliveries) and
        return its result."""
        return self.background.run(coroutine)
