"""The `blindcopy` command: serve, worker, migrate, replay. Documents every command in --help.

A start-up failure is one line on standard error and a non-zero exit (`blindcopy.start_up`);
SIGTERM or SIGINT stops `serve` and `worker` gracefully (`Service.stop`) and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import logging
import os
import platform
import secrets
import signal
import sys
from collections.abc import Sequence

from blindcopy.child_processes import STOP_TIMEOUT_SECONDS, Children
from blindcopy.demo import demo_banner, seed_demo
from blindcopy.logs import configure_logging
from blindcopy.open_files import raise_open_file_limit
from blindcopy.parent_watch import watch_parent
from blindcopy.runtime import WORKER_FINISH_SECONDS, build_context, start_service
from blindcopy.start_up import StartUpError, check_serving_settings, opening_store
from config.settings import DOCS, Settings, SettingsError, load_settings
from metrics import build_version
from processing.worker import drain
from store import spool
from store.database import Store, create_engine
from store.schema import migrate

log = logging.getLogger("blindcopy")


def _settings_epilog() -> str:
    lines = ["settings (environment variable, or the same key in --config TOML):"]
    lines += [f"  BLINDCOPY_{name.upper():<28} {doc}" for name, doc in DOCS.items()]
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every command."""
    parser = argparse.ArgumentParser(
        prog="blindcopy", epilog=_settings_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Receive BCC'd, forwarded and logged email and log it on CRM contacts.")
    parser.add_argument("--config", help="TOML file with settings (environment wins)")
    parser.add_argument("--version", action="version",
                        version=f"blindcopy {build_version()} (Python {platform.python_version()})")
    parser.add_argument("--parent-fd", type=int, metavar="FD",
                        help="stop (as on SIGTERM) when this pipe closes; `serve` passes it "
                             "to the processes it starts, so they end with it")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run SMTP gateway, API and workers in one process")
    serve.add_argument("--demo", action="store_true",
                       help="seed a demo project, user and contacts; print the addresses, a "
                            "user token and the admin token (a new one unless set)")
    commands.add_parser("worker", help="run processing workers only (no SMTP, no API; "
                                       "ignores worker_processes)")
    commands.add_parser("migrate", help="bring the database to the newest schema")
    replay = commands.add_parser("replay", help="queue failed messages again and process them")
    replay.add_argument("ids", nargs="*", help="received message ids (default: every failed one)")
    return parser


def _stop_on_signals() -> asyncio.Event:
    """Return an event SIGINT and SIGTERM set (instead of killing the process)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


def freeze_start_up_objects() -> None:
    """Leave the objects alive after start-up out of every later garbage collection.

    Modules, regex tables, the ORM's mappings and flanker's grammar are most of the heap and
    live as long as the process, yet every full collection walked them all: pauses of the
    event loop of 83–132 ms under the Log button's load (each request arriving meanwhile
    waits that long), 20–28 ms once frozen (BENCHMARKS.md). Garbage is collected first, so
    only live objects are frozen; they are still freed when their last reference goes.
    """
    gc.collect()
    gc.freeze()


def _demo_settings(settings: Settings) -> Settings:
    """Give the demo an admin token when none is set (printed in its banner), and let its
    webhooks reach a receiver on this machine (webhook_allow_private)."""
    # The processes `serve` starts read their settings from this environment.
    os.environ["BLINDCOPY_WEBHOOK_ALLOW_PRIVATE"] = "true"
    settings = dataclasses.replace(settings, webhook_allow_private=True)
    if settings.admin_token:
        return settings
    token = secrets.token_urlsafe(32)
    os.environ["BLINDCOPY_ADMIN_TOKEN"] = token
    return dataclasses.replace(settings, admin_token=token)


async def _serve(settings: Settings, demo: bool, smtp: bool = True, http: bool = True,
                 config_path: str | None = None, worker_processes: int = 0) -> None:
    # From the start: a SIGTERM while starting (or just after the banner) stops gracefully
    # once started, rather than killing the process half-way.
    stop = _stop_on_signals()
    service = await start_service(settings, smtp=smtp, http=http)
    children = Children(config_path)
    await children.start_workers(worker_processes, settings.metrics_port)
    if smtp and http:
        await children.start_siblings(settings, service.smtp_port, service.http_port)
    if demo:
        seed = await service.store.run(seed_demo, service.store, settings)
        print(demo_banner(settings, service.smtp_port, service.http_port, seed), flush=True)
    freeze_start_up_objects()
    try:
        await stop.wait()
    finally:
        grace = settings.shutdown_grace_seconds
        log.info("stopping", extra={"grace_seconds": grace})
        # Children stop as this process does: each drains within the same grace.
        await asyncio.gather(
            children.stop(max(STOP_TIMEOUT_SECONDS, grace + WORKER_FINISH_SECONDS + 5)),
            service.stop(grace))
        log.info("stopped")


def _migrate(settings: Settings) -> None:
    with opening_store(settings.database_url):
        engine = create_engine(settings.database_url)
        try:
            migrate(engine)
        finally:
            engine.dispose()
    print("database is at the newest schema")


def _replay(settings: Settings, ids: list[str]) -> None:
    with opening_store(settings.database_url):
        engine = create_engine(settings.database_url)
        migrate(engine)
    store = Store(engine)
    context = build_context(settings)
    with store.write() as session:
        count = spool.requeue(session, ids or None, context.now())
    processed = drain(store, context)
    with store.read() as session:
        statuses = spool.count_by_status(session)
    context.background.close()
    store.close()
    print(f"requeued {count} failed message(s); processed {processed}; now {statuses}")


def _run(args: argparse.Namespace, settings: Settings) -> None:
    if args.command == "serve":
        check_serving_settings(settings, args.demo)
        if args.demo:
            settings = _demo_settings(settings)
        asyncio.run(_serve(settings, args.demo, config_path=args.config,
                           worker_processes=settings.worker_processes))
    elif args.command == "worker":
        asyncio.run(_serve(settings, demo=False, smtp=False, http=False))
    elif args.command == "migrate":
        _migrate(settings)
    elif args.command == "replay":
        _replay(settings, list(args.ids))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the blindcopy command line; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(os.environ, args.config)
    except SettingsError as exc:
        print(f"blindcopy: invalid settings:\n{exc}", file=sys.stderr)
        return 2
    configure_logging()
    raise_open_file_limit()
    if args.parent_fd is not None:
        watch_parent(args.parent_fd)
    try:
        _run(args, settings)
    except StartUpError as failure:
        print(f"blindcopy: {failure}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # interrupted while starting, before the signal handlers
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
