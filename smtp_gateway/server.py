"""create_smtp_server: the aiosmtpd SMTP protocol on the service's own event loop.

Not aiosmtpd's threaded Controller: SMTP shares the loop with the async store, API and
workers. A subclass adds per-IP connection limits (PROXY-aware), the configured line length,
a DATA timeout, a 421 reply on timeouts, and the hooks `OpenSessions` needs to end every
session when the service stops (smtp_gateway/sessions.py).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, AnyStr

from aiosmtpd.smtp import MISSING, SMTP, syntax

from metrics import Metrics
from smtp_gateway import replies
from smtp_gateway.handler import GatewayLimits, SpoolingHandler
from smtp_gateway.limits import ClientLimits
from smtp_gateway.recipients import RecipientCache
from smtp_gateway.sessions import OpenSessions
from store.database import Store
from store.models import utcnow

if TYPE_CHECKING:
    # Settings are built by the composition root and passed in; only the type is needed.
    from blindcopy.settings import Settings


class GatewaySMTP(SMTP):
    """aiosmtpd's SMTP with per-client connection limits, a DATA timeout, 421 on timeouts,
    enhanced status codes on every refusal and a count of every reply."""

    client_limits: ClientLimits
    data_timeout: float
    metrics: Metrics
    sessions: OpenSessions
    in_data = False

    async def push(self, status: AnyStr) -> None:
        """Send a reply (counted by code); aiosmtpd's own refusals get an enhanced status."""
        text = status.decode("ascii", "replace") if isinstance(status, bytes) else str(status)
        # Continuation lines "250-…" of a multi-line reply are not counted.
        if text[3:4] != "-":
            self.metrics.count_smtp_reply(text)
        if isinstance(status, str):
            await super().push(replies.with_enhanced_status(status))
        else:
            await super().push(status)
        if text.startswith("421 ") and self.transport is not None:
            # RFC 5321 3.8: a 421 reply closes the transmission channel.
            self.transport.close()

    @syntax("STARTTLS")
    async def smtp_STARTTLS(self, arg: str) -> None:
        """Start TLS once: a client must not start TLS twice (RFC 3207 §4); that is a
        command out of sequence (503)."""
        if self.session is not None and self.session.ssl is not None:
            await self.push(replies.TLS_ALREADY_ACTIVE)
            return
        await super().smtp_STARTTLS(arg)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if getattr(self, "_limited_ip", None) is not None:
            # STARTTLS calls this again with the TLS transport: same client, counted once.
            super().connection_made(transport)
            return
        peer = transport.get_extra_info("peername")
        self._limited_ip = str(peer[0]) if isinstance(peer, tuple) else ""
        self._counted = False
        if self._proxy_timeout is not None:
            # Behind a load balancer the peer is the balancer; the client's own address
            # arrives in the PROXY header and is counted then (_call_handler_hook).
            super().connection_made(transport)
            self.sessions.opened(self)
            return
        refusal = self._admit(self._limited_ip)
        if refusal is not None:
            self.metrics.count_smtp_reply(refusal)
            transport.write((refusal + "\r\n").encode())  # type: ignore[attr-defined]
            transport.close()
            return
        super().connection_made(transport)
        self.sessions.opened(self)

    def _admit(self, ip: str) -> str | None:
        """Count this connection against `ip`; return the 421 when there are too many."""
        refusal = self.client_limits.open_connection(ip)
        self._counted = refusal is None
        if self._counted:
            self._limited_ip = ip
        return refusal

    async def _call_handler_hook(self, command: str, *args: Any) -> Any:
        if command != "PROXY":
            return await super()._call_handler_hook(command, *args)
        # aiosmtpd drops every proxied connection unless the PROXY hook says yes; the
        # connection limit is applied here, to the client address the balancer reports.
        source = getattr(args[0], "src_addr", None)
        refusal = self._admit(str(source) if source else self._limited_ip)
        if refusal is not None:
            await self.push(refusal)
            return False
        status = await super()._call_handler_hook(command, *args)
        return True if status is MISSING else status

    def connection_lost(self, exc: Exception | None) -> None:
        self.sessions.closed(self)
        if getattr(self, "_counted", False):
            self.client_limits.close_connection(self._limited_ip)
            self._counted = False
        if getattr(self, "_handler_coroutine", None) is not None:
            super().connection_lost(exc)

    def _timeout_cb(self) -> None:
        # aiosmtpd closes silently; RFC 5321 4.5.3.2 wants the client told why (421).
        if self.transport is None:
            return
        transport: Any = self.transport
        if not transport.is_closing():
            transport.write((replies.TIMED_OUT + "\r\n").encode())
        super()._timeout_cb()  # type: ignore[no-untyped-call]

    async def smtp_DATA(self, arg: str) -> None:
        """Give the whole DATA exchange `data_timeout`, then go back to the command timeout."""
        # aiosmtpd arms its one timer per command; DATA gets its own, longer or shorter, budget.
        self._reset_timeout(self.data_timeout)
        self.in_data = True
        try:
            await super().smtp_DATA(arg)
        finally:
            self.in_data = False
            if self.transport is not None:
                self._reset_timeout()
            # Stopping: the message's reply is sent; 421 answers the next command.
            self.sessions.after_data(self)

    def close_for_shutdown(self) -> None:
        """Answer 421 4.3.2 (the service is stopping) and close the connection."""
        transport: Any = self.transport
        if transport is None or transport.is_closing():
            return
        self.metrics.count_smtp_reply(replies.SHUTTING_DOWN)
        transport.write((replies.SHUTTING_DOWN + "\r\n").encode())
        transport.close()


def _tls_context(settings: Settings) -> ssl.SSLContext | None:
    if not settings.tls_cert:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(settings.tls_cert, settings.tls_key)
    return context


def protocol_factory(settings: Settings, store: Store,
                     on_spooled: Any = None, metrics: Metrics | None = None,
                     clock: Callable[[], datetime] = utcnow,
                     sessions: OpenSessions | None = None) -> Any:
    """Return the factory that builds one SMTP protocol per connection (kept in `sessions`)."""
    limits = GatewayLimits(settings.max_recipients, settings.max_failed_recipients,
                           settings.max_header_count, settings.max_header_bytes,
                           settings.max_mime_depth)
    client_limits = ClientLimits(settings.max_connections_per_ip,
                                 settings.max_messages_per_minute, settings.max_connections)
    metrics = metrics or Metrics()
    # Kept at most the grace period: a kept address then accepts exactly when the store would.
    keep = min(timedelta(seconds=settings.recipient_cache_seconds),
               timedelta(days=settings.address_grace_days))
    handler = SpoolingHandler(store, limits, client_limits, on_spooled, metrics, clock,
                              RecipientCache(keep), settings.mail_domain)
    smtp_class: type[GatewaySMTP] = type("ConfiguredSMTP", (GatewaySMTP,), {
        "client_limits": client_limits, "line_length_limit": settings.max_line_length,
        "data_timeout": settings.data_timeout, "metrics": metrics,
        "sessions": sessions or OpenSessions()})
    tls = _tls_context(settings)

    def build() -> SMTP:
        return smtp_class(
            handler, data_size_limit=settings.max_message_size, enable_SMTPUTF8=True,
            hostname=settings.mail_domain, ident="blindcopy", tls_context=tls,
            timeout=settings.command_timeout,
            proxy_protocol_timeout=10.0 if settings.proxy_protocol else None,
            loop=asyncio.get_running_loop())

    return build


async def create_smtp_server(settings: Settings, store: Store,
                             on_spooled: Any = None, metrics: Metrics | None = None,
                             clock: Callable[[], datetime] = utcnow,
                             reuse_port: bool = False,
                             sessions: OpenSessions | None = None) -> asyncio.Server:
    """Start listening for SMTP on the configured host and port (shared with `reuse_port`).

    `sessions` keeps the open sessions, for `OpenSessions.drain` when the service stops.
    """
    loop = asyncio.get_running_loop()
    factory = protocol_factory(settings, store, on_spooled, metrics, clock, sessions)
    return await loop.create_server(factory, host=settings.smtp_host, port=settings.smtp_port,
                                    reuse_port=reuse_port)
