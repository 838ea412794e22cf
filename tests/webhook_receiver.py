"""A webhook receiver on loopback for tests: records every request, answers as told.

It verifies nothing itself: tests check the Standard Webhooks signature with the
specification's algorithm (`verify_signature`), written here from the specification, not
from blindcopy's code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass(frozen=True, slots=True)
class Received:
    """One request the receiver got."""

    headers: dict[str, str]
    body: bytes

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Records requests; answers each with the next of `statuses` (then 200)."""

    statuses: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append(Received({k.lower(): v for k, v in request.headers.items()},
                                      await request.read()))
        status = self.statuses.pop(0) if self.statuses else 200
        return web.Response(status=status, text="refused" if status >= 300 else "ok")


@asynccontextmanager
async def running_receiver(statuses: list[int] | None = None) -> AsyncIterator[Receiver]:
    """Run a receiver on 127.0.0.1 (an ephemeral port) for the block."""
    receiver = Receiver(list(statuses or []))
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    receiver.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield receiver
    finally:
        await runner.cleanup()


def verify_signature(secret: str, received: Received) -> bool:
    """Check `webhook-signature` as the Standard Webhooks specification says: HMAC-SHA256,
    keyed with the base64-decoded secret (after `whsec_`), over `{id}.{timestamp}.{body}`,
    base64-encoded after `v1,` (one of the space-separated signatures must match)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = (f"{received.headers['webhook-id']}.{received.headers['webhook-timestamp']}."
              .encode() + received.body)
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(f"v1,{expected}", given)
               for given in received.headers["webhook-signature"].split(" "))
