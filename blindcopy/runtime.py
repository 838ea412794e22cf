"""Compose the service: engine, migrations, SMTP gateway, HTTP API and workers on ONE loop.

Start-up failures (a port, the database) are raised as `StartUpError`s naming the setting.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.app import create_app
from api.routes import HEALTH_PATHS
from blindcopy.settings import Settings
from blindcopy.start_up import check_tls, listening, opening_store
from processing.context import ProcessingContext, utc_now
from processing.service import ProcessingService
from processing.worker import run_worker, worker_id
from sender_auth import DnsResolver, parse_dns_servers, parse_trusted_relays
from smtp_gateway.server import create_smtp_server
from store.database import create_engine, create_sessionmaker
from store.schema import migrate

log = logging.getLogger("blindcopy")


def build_context(settings: Settings, clock: Callable[[], datetime] = utc_now,
                  resolver: DnsResolver | None = None) -> ProcessingContext:
    """Build the processing context (resolver, relays, retry policy) from settings."""
    servers = parse_dns_servers(settings.dns_servers) if settings.dns_servers else None
    return ProcessingContext(
        resolver=resolver or DnsResolver(servers, timeout=settings.dns_timeout),
        trusted_relays=parse_trusted_relays(settings.trusted_relays),
        authserv_id=settings.authserv_id, max_attempts=settings.max_attempts,
        retry_base_seconds=settings.retry_base_seconds, lease_seconds=settings.lease_seconds,
        claim_batch=settings.claim_batch, claim_bytes=settings.claim_bytes, clock=clock)


@dataclass
class Service:
    """A running blindcopy process; `stop()` shuts every part down."""

    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    context: ProcessingContext
    smtp_server: asyncio.Server | None = None
    http_runner: web.AppRunner | None = None
    metrics_runner: web.AppRunner | None = None
    workers: list[asyncio.Task[None]] = field(default_factory=list)
    wake: asyncio.Event = field(default_factory=asyncio.Event)

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

    def start_workers(self, count: int) -> None:
        """Start `count` worker tasks on this loop."""
        for _ in range(count):
            claimer = worker_id(len(self.workers))
            self.workers.append(asyncio.create_task(
                run_worker(self.sessionmaker, self.context, self.wake, claimer)))

    async def stop(self) -> None:
        """Stop accepting, cancel the workers, close the API and the engine."""
        if self.smtp_server is not None:
            self.smtp_server.close()
        for task in self.workers:
            task.cancel()
        await asyncio.gather(*self.workers, return_exceptions=True)
        for runner in (self.http_runner, self.metrics_runner):
            if runner is not None:
                await runner.cleanup()
        if self.smtp_server is not None:
            self.smtp_server.close()
            await asyncio.wait_for(self.smtp_server.wait_closed(), 5)
        await self.engine.dispose()


async def _listen(app: web.Application, settings: Settings, port_setting: str,
                  reuse_port: bool = False) -> web.AppRunner:
    port = getattr(settings, port_setting)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        with listening("HTTP", "http_host", port_setting, settings.http_host, port):
            await web.TCPSite(runner, settings.http_host, port, reuse_port=reuse_port).start()
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
    with opening_store(settings.database_url):
        engine = create_engine(settings.database_url)
        try:
            await migrate(engine)
        except BaseException:
            await engine.dispose()
            raise
    sessionmaker = create_sessionmaker(engine)
    service = Service(settings, engine, sessionmaker, build_context(settings, clock, resolver))
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
    settings, sessionmaker = service.settings, service.sessionmaker
    reuse_port = settings.reuse_port or settings.serve_processes > 1
    if http:
        port = ProcessingService(sessionmaker, service.context,
                                 max_concurrent_captures=settings.max_concurrent_captures)
        app = create_app(settings, sessionmaker, port, service.context.metrics, clock)
        service.http_runner = await _listen(app, settings, "http_port", reuse_port)
    if settings.metrics_port and (not http or reuse_port):
        # A process without the API, or one of several answering on its port, shows its
        # own counters on a port of its own.
        app = create_app(settings, sessionmaker, None, service.context.metrics,
                         paths=HEALTH_PATHS)
        service.metrics_runner = await _listen(app, settings, "metrics_port")
    if smtp:
        check_tls(settings)
        with listening("SMTP", "smtp_host", "smtp_port", settings.smtp_host, settings.smtp_port):
            service.smtp_server = await create_smtp_server(
                settings, sessionmaker, service.wake.set, service.context.metrics, clock=clock,
                reuse_port=reuse_port)
    service.start_workers(settings.workers if workers is None else workers)

