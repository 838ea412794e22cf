"""create_smtp_server: the aiosmtpd SMTP protocol on the service's own event loop.

Not aiosmtpd's threaded Controller: SMTP shares the loop with the API. A subclass adds
per-IP connection limits (PROXY-aware), the configured line length, an idle timeout and a
DATA budget that answer 421, and the hooks `OpenSessions` needs to end every session when
the service stops (smtp_gateway/sessions.py).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, AnyStr

from aiosmtpd.smtp import SMTP, syntax

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
    from config.settings import Settings


class GatewaySMTP(SMTP):
    """aiosmtpd's SMTP with per-client connection limits, its own 421 timeouts (idle and
    DATA), enhanced status codes on every refusal and a count of every reply.

    Only aiosmtpd's public surface is used: its constructor, `push`, the `smtp_*` command
    methods, the asyncio protocol methods and the handler hooks (the PROXY limit is applied
    in `SpoolingHandler.handle_PROXY`, which calls `admit`). aiosmtpd's own timeout closes
    silently, so it is set past ours (`backstop_timeout`) and only ends a session ours missed.
    """

    client_limits: ClientLimits
    command_timeout: float
    data_timeout: float
    metrics: Metrics
    sessions: OpenSessions
    proxy_protocol: bool
    in_data = False
    # Set once aiosmtpd's session is started (a connection refused at once never starts it).
    started = False
    # The client address counted against the per-IP limit, once admitted.
    counted_ip: str | None = None
    # The 421 timer: loop time of the last bytes from the client, and the DATA deadline.
    last_heard = 0.0
    data_deadline: float | None = None
    timer: asyncio.TimerHandle | None = None

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
        if self.started:
            # STARTTLS calls this again with the TLS transport: same client, counted once.
            super().connection_made(transport)
            return
        if not self.proxy_protocol:
            # Behind a load balancer the peer is the balancer; the client's own address
            # arrives in the PROXY header and is admitted then (handle_PROXY).
            peer = transport.get_extra_info("peername")
            refusal = self.admit(str(peer[0]) if isinstance(peer, tuple) else "")
            if refusal is not None:
                self.metrics.count_smtp_reply(refusal)
                transport.write((refusal + "\r\n").encode())  # type: ignore[attr-defined]
                transport.close()
                return
        self.started = True
        super().connection_made(transport)
        self.heard_from_client()
        self.arm_timer(self.last_heard + self.command_timeout)
        self.sessions.opened(self)

    def admit(self, ip: str) -> str | None:
        """Count this connection against `ip`; return the 421 when there are too many."""
        refusal = self.client_limits.open_connection(ip)
        if refusal is None:
            self.counted_ip = ip
        return refusal

    def data_received(self, data: bytes) -> None:
        self.heard_from_client()
        super().data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.sessions.closed(self)
        if self.timer is not None:
            self.timer.cancel()
        if self.counted_ip is not None:
            self.client_limits.close_connection(self.counted_ip)
            self.counted_ip = None
        if self.started:
            super().connection_lost(exc)

    def heard_from_client(self) -> None:
        """Note that the client sent something (the idle timeout counts from here)."""
        self.last_heard = asyncio.get_running_loop().time()

    def arm_timer(self, due: float) -> None:
        """Check the timeouts at loop time `due`."""
        if self.timer is not None:
            self.timer.cancel()
        self.timer = asyncio.get_running_loop().call_at(due, self.check_timeouts)

    def check_timeouts(self) -> None:
        """Answer 421 and close when DATA's budget is spent or the client went quiet."""
        due = (self.data_deadline if self.data_deadline is not None
               else self.last_heard + self.command_timeout)
        if asyncio.get_running_loop().time() < due:
            self.arm_timer(due)
            return
        transport: Any = self.transport
        if transport is None or transport.is_closing():
            return
        # RFC 5321 4.5.3.2: the client is told why the connection ends.
        self.metrics.count_smtp_reply(replies.TIMED_OUT)
        transport.write((replies.TIMED_OUT + "\r\n").encode())
        transport.close()

    async def smtp_DATA(self, arg: str) -> None:
        """Give the whole DATA exchange `data_timeout`, then go back to the idle timeout."""
        self.data_deadline = asyncio.get_running_loop().time() + self.data_timeout
        self.arm_timer(self.data_deadline)
        self.in_data = True
        try:
            await super().smtp_DATA(arg)
        finally:
            self.in_data = False
            self.data_deadline = None
            self.heard_from_client()
            if self.transport is not None:
                self.arm_timer(self.last_heard + self.command_timeout)
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


def backstop_timeout(settings: Settings) -> float:
    """aiosmtpd's own timeout: past ours, so it only ends a session ours did not."""
    return max(settings.command_timeout, settings.data_timeout) + 60.0


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
        "command_timeout": settings.command_timeout, "data_timeout": settings.data_timeout,
        "metrics": metrics, "sessions": sessions or OpenSessions(),
        "proxy_protocol": settings.proxy_protocol})
    tls = _tls_context(settings)

    def build() -> SMTP:
        return smtp_class(
            handler, data_size_limit=settings.max_message_size, enable_SMTPUTF8=True,
            hostname=settings.mail_domain, ident="blindcopy", tls_context=tls,
            timeout=backstop_timeout(settings),
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
