"""create_smtp_server: the aiosmtpd SMTP protocol on the service's own event loop.

Not aiosmtpd's threaded Controller: SMTP shares the loop with the async store, API and
workers. A subclass adds per-IP connection limits and the configured line length.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import TYPE_CHECKING, Any

from aiosmtpd.smtp import SMTP
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from metrics import Metrics
from smtp_gateway import replies
from smtp_gateway.handler import GatewayLimits, SpoolingHandler
from smtp_gateway.limits import ClientLimits

if TYPE_CHECKING:
    # Settings are built by the composition root and passed in; only the type is needed.
    from blindcopy.settings import Settings


class GatewaySMTP(SMTP):
    """aiosmtpd's SMTP with a per-client connection limit and a count of every reply."""

    client_limits: ClientLimits
    metrics: Metrics

    async def push(self, status: Any) -> None:
        # Every reply aiosmtpd sends goes through push(): count it by code, once per reply
        # (the continuation lines "250-…" of a multi-line reply are not counted).
        text = status.decode("ascii", "replace") if isinstance(status, bytes) else str(status)
        if text[3:4] != "-":
            self.metrics.count_smtp_reply(text)
        await super().push(status)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername")
        self._limited_ip = str(peer[0]) if isinstance(peer, tuple) else ""
        self._counted = self.client_limits.open_connection(self._limited_ip)
        if not self._counted:
            self.metrics.count_smtp_reply(replies.TOO_MANY_CONNECTIONS)
            transport.write((replies.TOO_MANY_CONNECTIONS + "\r\n").encode())  # type: ignore[attr-defined]
            transport.close()
            return
        super().connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if getattr(self, "_counted", False):
            self.client_limits.close_connection(self._limited_ip)
            self._counted = False
        if getattr(self, "_handler_coroutine", None) is not None:
            super().connection_lost(exc)


def _tls_context(settings: Settings) -> ssl.SSLContext | None:
    if not settings.tls_cert:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(settings.tls_cert, settings.tls_key)
    return context


def protocol_factory(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession],
                     on_spooled: Any = None, metrics: Metrics | None = None) -> Any:
    """Return the factory that builds one SMTP protocol per connection."""
    limits = GatewayLimits(settings.max_recipients, settings.max_header_count,
                           settings.max_header_bytes, settings.max_mime_depth)
    client_limits = ClientLimits(settings.max_connections_per_ip,
                                 settings.max_messages_per_minute)
    metrics = metrics or Metrics()
    handler = SpoolingHandler(sessionmaker, limits, client_limits, on_spooled, metrics)
    smtp_class = type("ConfiguredSMTP", (GatewaySMTP,), {
        "client_limits": client_limits, "line_length_limit": settings.max_line_length,
        "metrics": metrics})
    tls = _tls_context(settings)

    def build() -> SMTP:
        return smtp_class(
            handler, data_size_limit=settings.max_message_size, enable_SMTPUTF8=True,
            hostname=settings.mail_domain, ident="blindcopy", tls_context=tls,
            timeout=settings.command_timeout,
            proxy_protocol_timeout=10.0 if settings.proxy_protocol else None,
            loop=asyncio.get_running_loop())

    return build


async def create_smtp_server(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession],
                             on_spooled: Any = None,
                             metrics: Metrics | None = None) -> asyncio.Server:
    """Start listening for SMTP on the configured host and port."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(protocol_factory(settings, sessionmaker, on_spooled, metrics),
                                    host=settings.smtp_host, port=settings.smtp_port)
