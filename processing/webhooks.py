"""Deliver events to webhooks per the Standard Webhooks specification, at least once.

`deliver_due` is one round of a worker's delivery loop: claim a bounded batch of due
deliveries (store/queries/webhooks.py), POST them together on the context's background loop
(at most 8 connections per host, kept alive for the round; every attempt ends within
DELIVERY_TIMEOUT_SECONDS, waiting for a connection included, so a round does too), and keep
every attempt in one UPDATE: delivered on a 2xx answer, else due again after the next step
of RETRY_SCHEDULE, and failed (kept, retryable by hand) once it is used up. The body is
`{"type", "timestamp", "data"}`; the headers `webhook-id` (the event id, the same on every
attempt: receivers dedupe by it), `webhook-timestamp` and `webhook-signature` (signed with
the `standardwebhooks` library).

No SSRF: unless `webhook_allow_private`, a URL whose host is, or resolves to, an address
that is not global (loopback, private, link-local such as the cloud metadata address,
shared, reserved) is refused, when the webhook is created and again at every attempt,
where the addresses checked are the ones connected to (a DNS answer that changed since is
checked as it is now).
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import json
import logging
import socket
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from standardwebhooks.webhooks import Webhook as Signer
from yarl import URL

from processing.context import ProcessingContext
from store.database import Store
from store.queries.webhooks import (
    Attempt,
    ClaimedDelivery,
    claim_deliveries,
    has_due_deliveries,
    settle_attempts,
)

log = logging.getLogger("blindcopy.webhooks")

# Waits after the 1st, 2nd, … failed attempt; after the last, the delivery is failed.
RETRY_SCHEDULE = (timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30),
                  timedelta(hours=2), timedelta(hours=5), timedelta(hours=10),
                  timedelta(hours=10))
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
DELIVERY_TIMEOUT_SECONDS = 10.0
# Deliveries one round claims and sends together, and how long they stay claimed (a
# worker that dies mid-round leaves them to another after this).
DELIVERY_BATCH = 100
DELIVERY_LEASE = timedelta(seconds=60)
# What of a receiver's refusal is kept with the attempt.
MAX_ERROR_CHARS = 300


class PrivateAddress(OSError):
    """The webhook's host is, or resolves to, an address that is not global."""


def is_private(address: str) -> bool:
    """Tell whether an IP address is one a webhook may not reach (not a global address)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def private_addresses(addresses: Sequence[str]) -> list[str]:
    """Return the addresses of `addresses` a webhook may not reach."""
    return [address for address in addresses if is_private(address)]


async def resolve(host: str, port: int) -> list[str]:
    """Return the addresses `host` resolves to (itself, for an IP literal)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


class GuardedResolver(AbstractResolver):
    """Resolve as the system does, and refuse a host with an address a webhook may not reach."""

    def __init__(self) -> None:
        self.resolver = aiohttp.ThreadedResolver()

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        results = await self.resolver.resolve(host, port, family)
        refused = private_addresses([result["host"] for result in results])
        if refused:
            raise PrivateAddress(f"{host} resolves to {', '.join(refused)}, which is not a "
                                 "global address (BLINDCOPY_WEBHOOK_ALLOW_PRIVATE allows it)")
        return results

    async def close(self) -> None:
        await self.resolver.close()


def payload(delivery: ClaimedDelivery) -> str:
    """Return the JSON body of a delivery: the event's type, time and data."""
    return json.dumps({"type": delivery.event_type,
                       "timestamp": delivery.event_time.isoformat(),
                       "data": delivery.data}, separators=(",", ":"))


def signed_headers(delivery: ClaimedDelivery, body: str, ctx: ProcessingContext
                   ) -> dict[str, str]:
    """Return the Standard Webhooks headers of one attempt (signed now)."""
    now = ctx.now()
    return {"content-type": "application/json", "webhook-id": delivery.event_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Signer(delivery.secret).sign(delivery.event_id, now, body)}


class WebhookSender:
    """Sends a round's attempts together on the context's background loop.

    One HTTP client per round, closed with it: a client kept between rounds would outlive
    the loop when the process stops.
    """

    def __init__(self, ctx: ProcessingContext) -> None:
        self.ctx = ctx

    def send(self, deliveries: list[ClaimedDelivery]) -> list[Attempt]:
        """Make one attempt of each delivery, together, each within the timeout."""
        return self.ctx.run_async(self._send_all(deliveries))

    async def _send_all(self, deliveries: list[ClaimedDelivery]) -> list[Attempt]:
        guarded = None if self.ctx.webhook_allow_private else GuardedResolver()
        async with aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(resolver=guarded, limit_per_host=8),
                timeout=aiohttp.ClientTimeout(total=DELIVERY_TIMEOUT_SECONDS)) as http:
            return list(await asyncio.gather(*(self._post(http, d) for d in deliveries)))

    async def _post(self, http: aiohttp.ClientSession, delivery: ClaimedDelivery) -> Attempt:
        """Make one attempt; its outcome is kept, never raised."""
        body = payload(delivery)
        status: int | None = None
        error: str | None = None
        try:
            host = URL(delivery.url).host or ""
            if not self.ctx.webhook_allow_private and _is_ip(host) and is_private(host):
                raise PrivateAddress(f"{host} is not a global address "
                                     "(BLINDCOPY_WEBHOOK_ALLOW_PRIVATE allows it)")
            async with http.post(delivery.url, data=body.encode(),
                                 headers=signed_headers(delivery, body, self.ctx),
                                 allow_redirects=False) as response:
                status = response.status
                if not 200 <= status < 300:
                    text = await response.text(errors="replace")
                    error = f"HTTP {status}: {text}"[:MAX_ERROR_CHARS]
        except TimeoutError:
            error = f"no answer within {DELIVERY_TIMEOUT_SECONDS:g} s"
        except aiohttp.ClientConnectorError as exc:
            # A refusal of the resolver (PrivateAddress) arrives wrapped: keep its sentence.
            cause = exc.os_error if isinstance(exc.os_error, PrivateAddress) else exc
            error = f"{type(cause).__name__}: {cause}"[:MAX_ERROR_CHARS]
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
        attempt = Attempt(delivery, self.ctx.now(), status, error)
        return dataclasses.replace(attempt, retry_after=retry_after(attempt))


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def retry_after(attempt: Attempt) -> timedelta | None:
    """Return how long to wait before the next attempt (None: delivered, or none left)."""
    if attempt.succeeded or attempt.delivery.attempt >= MAX_ATTEMPTS:
        return None
    return RETRY_SCHEDULE[attempt.delivery.attempt - 1]


def deliver_due(store: Store, ctx: ProcessingContext, claimer: str,
                sender: WebhookSender, limit: int = DELIVERY_BATCH) -> int:
    """Claim due deliveries, attempt them and keep the outcomes; return how many."""
    now = ctx.now()
    with store.read() as session:
        if not has_due_deliveries(session, now):
            return 0
    with store.write() as session:
        claimed = claim_deliveries(session, now, DELIVERY_LEASE, claimer, limit)
    if not claimed:
        return 0
    attempts = sender.send(claimed)
    with store.write() as session:
        kept = settle_attempts(session, attempts)
    for attempt in attempts:
        _log_attempt(attempt)
    if kept != len(attempts):
        log.warning("delivery claims lost; other workers have them",
                    extra={"lost": len(attempts) - kept})
    return len(claimed)


def _log_attempt(attempt: Attempt) -> None:
    extra: dict[str, Any] = {"delivery_id": attempt.delivery.id,
                             "attempt": attempt.delivery.attempt,
                             "status_code": attempt.status_code, "error": attempt.error,
                             "status": attempt.status}
    if attempt.succeeded:
        log.info("webhook delivered", extra=extra)
    else:
        log.warning("webhook delivery failed", extra=extra)
