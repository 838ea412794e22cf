"""Child processes `blindcopy serve` starts and stops with itself: workers and siblings.

One Python process uses one core. `worker_processes` children are ordinary `blindcopy
worker` processes that claim from the shared spool, so no message is ever handled twice
(claims are leases). `serve_processes - 1` siblings are `blindcopy serve` processes with no
workers that bind the same SMTP and API ports (SO_REUSEPORT), so accepting mail and
answering the API use more than one core too. Each child gets this process's settings (the
environment and the --config file are passed on); a child never starts children of its own.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys

from blindcopy.settings import Settings

log = logging.getLogger("blindcopy")
STOP_TIMEOUT_SECONDS = 30.0
Children = list[asyncio.subprocess.Process]


async def _start(command: str, envs: list[dict[str, str]], config_path: str | None) -> Children:
    """Start one `blindcopy <command>` per environment override in `envs`."""
    argv = [sys.executable, "-m", "blindcopy.cli"]
    if config_path:
        argv += ["--config", config_path]
    children = [await asyncio.create_subprocess_exec(*argv, command, env={**os.environ, **env})
                for env in envs]
    if children:
        log.info(f"{command} processes started", extra={"pids": [c.pid for c in children]})
    return children


def _metrics_port(metrics_port: int, number: int) -> str:
    return str(metrics_port + number if metrics_port else 0)


async def start_worker_processes(count: int, config_path: str | None, metrics_port: int = 0
                                 ) -> Children:
    """Start `count` `blindcopy worker` processes with this process's settings.

    With a `metrics_port`, child N (from 1) serves its metrics on metrics_port + N.
    """
    return await _start("worker", [
        {"BLINDCOPY_WORKER_PROCESSES": "0", "BLINDCOPY_SERVE_PROCESSES": "1",
         "BLINDCOPY_METRICS_PORT": _metrics_port(metrics_port, number)}
        for number in range(1, count + 1)], config_path)


async def start_sibling_processes(settings: Settings, config_path: str | None, smtp_port: int,
                                  http_port: int) -> Children:
    """Start `serve_processes - 1` `blindcopy serve` processes sharing these ports, no workers.

    The ports are the ones this process bound (a configured 0 picked them). With a
    `metrics_port`, sibling N serves its own metrics after the worker processes' ports.
    """
    return await _start("serve", [
        {"BLINDCOPY_SERVE_PROCESSES": "1", "BLINDCOPY_REUSE_PORT": "true",
         "BLINDCOPY_WORKERS": "0", "BLINDCOPY_WORKER_PROCESSES": "0",
         "BLINDCOPY_SMTP_PORT": str(smtp_port), "BLINDCOPY_HTTP_PORT": str(http_port),
         "BLINDCOPY_METRICS_PORT": _metrics_port(settings.metrics_port,
                                                 settings.worker_processes + number)}
        for number in range(1, settings.serve_processes)], config_path)


async def stop_children(children: Children) -> None:
    """Ask every child to stop (SIGTERM: it finishes nothing half-way), then wait for it."""
    for child in children:
        if child.returncode is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            await asyncio.wait_for(child.wait(), STOP_TIMEOUT_SECONDS)
        except TimeoutError:
            # A message it held is reclaimed by another worker when its lease expires.
            child.kill()
            await child.wait()
