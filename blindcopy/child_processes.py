"""Child `blindcopy worker` processes that `blindcopy serve` starts and stops with itself.

One Python process uses one core for the CPU-bound processing (parse, snapshot, rules,
record); `worker_processes` children let `serve` use the others. Each child is an ordinary
`blindcopy worker` (same settings: the environment and --config file are passed on) that
claims from the shared spool, so no message is ever handled twice (claims are leases).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys

log = logging.getLogger("blindcopy")
STOP_TIMEOUT_SECONDS = 30.0


async def start_worker_processes(count: int, config_path: str | None, metrics_port: int = 0
                                 ) -> list[asyncio.subprocess.Process]:
    """Start `count` `blindcopy worker` processes with this process's settings.

    With a `metrics_port`, child N (from 1) serves its metrics on metrics_port + N.
    """
    command = [sys.executable, "-m", "blindcopy.cli"]
    if config_path:
        command += ["--config", config_path]
    children = []
    for number in range(1, count + 1):
        # A child never starts children of its own.
        env = {**os.environ, "BLINDCOPY_WORKER_PROCESSES": "0",
               "BLINDCOPY_METRICS_PORT": str(metrics_port + number if metrics_port else 0)}
        children.append(await asyncio.create_subprocess_exec(*command, "worker", env=env))
    log.info("worker processes started", extra={"pids": [c.pid for c in children]})
    return children


async def stop_worker_processes(children: list[asyncio.subprocess.Process]) -> None:
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
