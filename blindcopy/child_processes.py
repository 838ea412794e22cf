"""Child processes `blindcopy serve` starts and stops with itself: workers and siblings.

One Python process uses one core. `worker_processes` children are ordinary `blindcopy
worker` processes that claim from the shared spool, so no message is ever handled twice
(claims are leases). `serve_processes - 1` siblings are `blindcopy serve` processes with no
workers that bind the same SMTP and API ports (SO_REUSEPORT), so accepting mail and
answering the API use more than one core too. Each child gets this process's settings (the
environment and the --config file are passed on); a child never starts children of its own.
A child that exits before `serve` stops is started again (with a growing delay). A child
stops by itself when `serve` is gone, even killed with SIGKILL (`blindcopy.parent_watch`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from dataclasses import dataclass

from config.settings import Settings

log = logging.getLogger("blindcopy")
STOP_TIMEOUT_SECONDS = 30.0
# A child that exits before `stop()` is started again after this delay, doubled for each
# exit in a row up to RESTART_MAX_SECONDS (a child that cannot start does not spin).
RESTART_FIRST_SECONDS = 1.0
RESTART_MAX_SECONDS = 30.0
RUNNING_SECONDS = 60.0  # a child up this long before it exits starts the delays over


def _metrics_port(metrics_port: int, number: int) -> str:
    return str(metrics_port + number if metrics_port else 0)


@dataclass
class _Child:
    command: str
    env: dict[str, str]
    process: asyncio.subprocess.Process


class Children:
    """The children of one `blindcopy serve`; one that dies is started again until `stop()`."""

    def __init__(self, config_path: str | None) -> None:
        self.config_path = config_path
        self._children: list[_Child] = []
        self._keepers: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()
        # Children get the read end; only this process holds the write end, which the
        # kernel closes when this process ends in any way (see blindcopy.parent_watch).
        self._parent_read, self._parent_write = os.pipe()

    @property
    def pids(self) -> list[int]:
        """Return the process ids of the children running now."""
        return [child.process.pid for child in self._children]

    async def _spawn(self, command: str, env: dict[str, str]) -> asyncio.subprocess.Process:
        argv = [sys.executable, "-m", "blindcopy.cli", "--parent-fd", str(self._parent_read)]
        if self.config_path:
            argv += ["--config", self.config_path]
        return await asyncio.create_subprocess_exec(*argv, command, env={**os.environ, **env},
                                                    pass_fds=(self._parent_read,))

    async def _start(self, command: str, envs: list[dict[str, str]]) -> None:
        """Start one `blindcopy <command>` per environment override in `envs`."""
        for env in envs:
            child = _Child(command, env, await self._spawn(command, env))
            self._children.append(child)
            self._keepers.append(asyncio.create_task(self._keep(child)))
        if envs:
            log.info(f"{command} processes started", extra={"pids": self.pids})

    async def _keep(self, child: _Child) -> None:
        """Start the child again whenever it exits before `stop()`.

        Never cancelled: a restart under way completes, and `stop()` stops what it started.
        """
        delay = RESTART_FIRST_SECONDS
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            code = await child.process.wait()
            if self._stopping.is_set():
                return
            if loop.time() - started >= RUNNING_SECONDS:
                delay = RESTART_FIRST_SECONDS
            log.error(f"{child.command} process exited; starting it again",
                      extra={"pid": child.process.pid, "returncode": code, "delay": delay})
            try:
                await asyncio.wait_for(self._stopping.wait(), delay)
                return  # stopping: no restart
            except TimeoutError:
                pass
            delay = min(delay * 2, RESTART_MAX_SECONDS)
            child.process = await self._spawn(child.command, child.env)
            if self._stopping.is_set():
                await _terminate(child.process)
                return

    async def start_workers(self, count: int, metrics_port: int = 0) -> None:
        """Start `count` `blindcopy worker` processes with this process's settings.

        With a `metrics_port`, child N (from 1) serves its metrics on metrics_port + N.
        """
        await self._start("worker", [
            {"BLINDCOPY_WORKER_PROCESSES": "0", "BLINDCOPY_SERVE_PROCESSES": "1",
             "BLINDCOPY_METRICS_PORT": _metrics_port(metrics_port, number)}
            for number in range(1, count + 1)])

    async def start_siblings(self, settings: Settings, smtp_port: int, http_port: int) -> None:
        """Start `serve_processes - 1` `blindcopy serve` processes sharing these ports.

        They run no workers. The ports are the ones this process bound (a configured 0
        picked them). With a `metrics_port`, sibling N serves its own metrics after the
        worker processes' ports.
        """
        await self._start("serve", [
            {"BLINDCOPY_SERVE_PROCESSES": "1", "BLINDCOPY_REUSE_PORT": "true",
             "BLINDCOPY_WORKERS": "0", "BLINDCOPY_WORKER_PROCESSES": "0",
             "BLINDCOPY_SMTP_PORT": str(smtp_port), "BLINDCOPY_HTTP_PORT": str(http_port),
             "BLINDCOPY_METRICS_PORT": _metrics_port(settings.metrics_port,
                                                     settings.worker_processes + number)}
            for number in range(1, settings.serve_processes)])

    async def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """Ask every child to stop (SIGTERM: it finishes nothing half-way), then wait for it.

        A child not gone after `timeout` seconds is killed.
        """
        self._stopping.set()
        await asyncio.gather(*(_terminate(child.process, timeout) for child in self._children))
        await asyncio.gather(*self._keepers)
        os.close(self._parent_read)
        os.close(self._parent_write)


async def _terminate(process: asyncio.subprocess.Process,
                     timeout: float = STOP_TIMEOUT_SECONDS) -> None:
    """Send SIGTERM and wait; kill a process that is not gone after `timeout` seconds."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), timeout)
    except TimeoutError:
        # A message it held is reclaimed by another worker when its lease expires.
        process.kill()
        await process.wait()
