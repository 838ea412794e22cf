"""Compose the service: the store, migrations, SMTP gateway and HTTP API on one event loop,
and the workers in threads beside them.

Start-up failures (a port, the database) are raised as `StartUpError`s naming the setting;
`Service.stop` is the graceful shutdown `blindcopy serve` runs on SIGTERM.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aiohttp import web

from api.app import create_app
from api.listener import GuardedAppRunner
from api.routes import HEALTH_PATHS
from blindcopy.accept_failures import summarise_accept_failures
from blindcopy.open_files import fit_connection_caps, open_file_limit
from blindcopy.start_up import check_tls, listening, opening_store
from config.settings import Settings, public_console_url
from processing.context import ProcessingContext, utc_now
from processing.notice_sender import NoticeSender, Relay
from processing.service import ProcessingService
from processing.worker import WorkerThreads
from sender_auth import DnsResolver, parse_dns_servers, parse_trusted_relays
from smtp_gateway.server import create_smtp_server
from smtp_gateway.sessions import OpenSessions
from store.database import Store, create_engine
from store.schema import migrate
from store.tombstones import address_hasher, erasure_key

log = logging.getLogger("blindcopy")
# Stopping gracefully, workers get what is left of the grace period to finish the claim under
# way, and at least this long (a claim is milliseconds of work; a DNS look-up may wait).
WORKER_FINISH_SECONDS = 5.0


def build_context(settings: Settings, clock: Callable[[], datetime] = utc_now,
                  resolver: DnsResolver | None = None) -> ProcessingContext:
    """Build the processing context (resolver, relays, retry policy) from settings."""
    servers = parse_dns_servers(settings.dns_servers) if settings.dns_servers else None
    return ProcessingContext(
        resolver=resolver or DnsResolver(servers, timeout=settings.dns_timeout),
        trusted_relays=parse_trusted_relays(settings.trusted_relays),
        authserv_id=settings.authserv_id, max_attempts=settings.max_attempts,
        retry_base_seconds=settings.retry_base_seconds, lease_seconds=settings.lease_seconds,
        claim_batch=settings.claim_batch, claim_bytes=settings.claim_bytes,
        max_attachment_bytes=settings.max_attachment_bytes,
        dkim_replay_window=timedelta(hours=settings.dkim_replay_window_hours),
        notice_console_url=public_console_url(settings) if settings.notice_smtp else None,
        clock=clock, address_hash=address_hasher(erasure_key(settings.secret)),
        raw_retention=timedelta(days=settings.raw_retention_days),
        unlogged_retention=timedelta(days=settings.unlogged_retention_days),
        event_retention=timedelta(days=settings.event_retention_days),
        retention_batch=settings.retention_batch,
        retention_interval_seconds=settings.retention_interval_seconds,
        webhook_allow_private=settings.webhook_allow_private)


@dataclass
class Service:
    """A running blindcopy process; `stop()` shuts every part down."""

    settings: Settings
    store: Store
    context: ProcessingContext
    smtp_server: asyncio.Server | None = None
    http_runner: web.AppRunner | None = None
    metrics_runner: web.AppRunner | None = None
    workers: WorkerThreads | None = None
    notices: NoticeSender | None = None
    # Set when a message is spooled: an idle worker of this process claims it at once.
    wake: threading.Event = field(default_factory=threading.Event)
    sessions: OpenSessions = field(default_factory=OpenSessions)

    @property
    def smtp_port(self) -> int:
        """Return the port SMTP actually listens on."""
        assert self.smtp_server is not None
        return int(self.smtp_server.sockets[0].getsockname()[1])

    @property
    def http_port(self) -> int:
        """Return the port the API actually listens on."""
        assert self.http_runner is not None
        return int(self.http_runner.addresses[0][1])

    async def stop(self, grace_seconds: float = 0.0) -> None:
        """Stop the service, letting work under way finish for up to `grace_seconds`.

        New connections are refused at once. SMTP sessions waiting for a command are
        answered 421 4.3.2 and closed; sessions in DATA finish their message within the
        grace (then 421). API requests under way finish within `shutdown_grace_seconds`
        (aiohttp's runner). Then the workers finish the claim they hold (within what is left
        of the grace, at least WORKER_FINISH_SECONDS); the claims of a worker still busy
        then are given back. With no grace, sessions are cut and claims given back at once.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace_seconds
        if self.smtp_server is not None:
            self.smtp_server.close()
        await asyncio.gather(self.sessions.drain(grace_seconds), *(
            runner.cleanup() for runner in (self.http_runner, self.metrics_runner) if runner))
        if self.workers is not None:
            left = max(deadline - loop.time(), WORKER_FINISH_SECONDS) if grace_seconds else 0.0
            self.wake.set()
            await asyncio.to_thread(self.workers.stop, left)
        if self.notices is not None:
            await asyncio.to_thread(self.notices.stop, WORKER_FINISH_SECONDS)
        # A worker still busy waits on DNS: that wait ends now, and its claim (given back)
        # ends without recording, before the store closes under it.
        self.context.background.close()
        if self.workers is not None:
            await asyncio.to_thread(self.workers.join, WORKER_FINISH_SECONDS)
        if self.smtp_server is not None:
            await asyncio.wait_for(self.smtp_server.wait_closed(), 5)
        await asyncio.to_thread(self.store.close)


async def _listen(app: web.Application, settings: Settings, port_setting: str,
                  reuse_port: bool = False) -> web.AppRunner:
    port = getattr(settings, port_setting)
    # Stopping, requests under way get the grace period to finish (aiohttp's own shutdown).
    runner = GuardedAppRunner(app, access_log=None,
                              shutdown_timeout=settings.shutdown_grace_seconds)
    await runner.setup()
    try:
        with listening("HTTP", "http_host", port_setting, settings.http_host, port):
            await runner.listen(settings.http_host, port, reuse_port)
    except BaseException:
        await runner.cleanup()
        raise
    return runner


async def start_service(settings: Settings, *, smtp: bool = True, http: bool = True,
                        workers: int | None = None, clock: Callable[[], datetime] = utc_now,
                        resolver: DnsResolver | None = None) -> Service:
    """Migrate the store and start the configured parts of the service.

    `clock` is the time of processing and of the SMTP gateway's address look-ups. A part
    that cannot start raises StartUpError; the parts already started are stopped first.
    """
    settings = fit_connection_caps(settings, open_file_limit())
    summarise_accept_failures(asyncio.get_running_loop())
    with opening_store(settings.database_url):
        engine = create_engine(settings.database_url)
        try:
            await asyncio.to_thread(migrate, engine)
        except BaseException:
            engine.dispose()
            raise
    service = Service(settings, Store(engine), build_context(settings, clock, resolver))
    try:
        await _start_parts(service, smtp, http, workers, clock)
    except BaseException:
        await service.stop()
        raise
    log.info("blindcopy started", extra={"smtp_port": service.smtp_port if smtp else None,
                                         "http_port": service.http_port if http else None})
    return service


async def _start_parts(service: Service, smtp: bool, http: bool, workers: int | None,
                       clock: Callable[[], datetime]) -> None:
    """Listen for the API, metrics and SMTP as configured; start the workers."""
    settings, store = service.settings, service.store
    reuse_port = settings.reuse_port or settings.serve_processes > 1
    if http:
        port = ProcessingService(store, service.context,
                                 max_concurrent_captures=settings.max_concurrent_captures)
        app = create_app(settings, store, port, service.context.metrics, clock)
        service.http_runner = await _listen(app, settings, "http_port", reuse_port)
    if settings.metrics_port and (not http or reuse_port):
        # A process without the API, or one of several answering on its port, shows its
        # own counters on a port of its own.
        app = create_app(settings, store, None, service.context.metrics, paths=HEALTH_PATHS)
        service.metrics_runner = await _listen(app, settings, "metrics_port")
    if smtp:
        check_tls(settings)
        with listening("SMTP", "smtp_host", "smtp_port", settings.smtp_host, settings.smtp_port):
            service.smtp_server = await create_smtp_server(
                settings, store, service.wake.set, service.context.metrics, clock=clock,
                reuse_port=reuse_port, sessions=service.sessions)
    count = settings.workers if workers is None else workers
    service.workers = WorkerThreads(store, service.context, count, service.wake)
    # The processes with workers send the notices their decisions wrote (SPEC §14).
    if count and settings.notice_smtp:
        service.notices = NoticeSender(store, Relay.parse(
            settings.notice_smtp, settings.notice_from, settings.notice_retry_seconds,
            settings.notice_attempts), clock)
