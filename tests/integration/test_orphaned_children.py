"""Children of `blindcopy serve` die with it, even when it is killed with SIGKILL.

`serve` starts `worker_processes` worker processes; killed with SIGKILL it cannot stop them,
and they used to run on (re-parented to PID 1, still claiming messages) while a restarted
`serve` added its own. Each child watches a pipe whose only write end `serve` holds; when
the kernel closes it, the child stops as if told to (SIGTERM).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from config.settings import Settings
from tests.client import child_pids, eventually, free_port
from tests.conftest import ADMIN_TOKEN

ROOT = Path(__file__).resolve().parents[2]
WORKER_PROCESSES = 2
# Generous: a child stops as SIGTERM stops it (finishing its claims) after the parent died.
EXIT_WITHIN_SECONDS = 30


def _running(pid: int) -> bool:
    """Tell whether `pid` is a live process (a zombie is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


async def _serve(settings: Settings, log: Path) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BLINDCOPY_DATABASE_URL": settings.database_url,
           "BLINDCOPY_SMTP_PORT": str(free_port()), "BLINDCOPY_HTTP_PORT": str(free_port()),
           "BLINDCOPY_ADMIN_TOKEN": ADMIN_TOKEN, "BLINDCOPY_SECRET": "test-secret",
           "BLINDCOPY_WORKERS": "1", "BLINDCOPY_WORKER_PROCESSES": str(WORKER_PROCESSES)}
    with log.open("ab") as output:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "blindcopy.cli", "serve", cwd=ROOT, env=env,
            stdout=output, stderr=output)


async def test_killing_serve_with_sigkill_stops_its_worker_processes(
        settings: Settings, tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    parent = await _serve(settings, log)
    children: list[int] = []
    try:
        async def started() -> list[int] | None:
            found = [pid for pid in child_pids(parent.pid) if _running(pid)]
            ready = len(found) == WORKER_PROCESSES and log.read_text().count(
                "blindcopy started") == 1 + WORKER_PROCESSES
            return found if ready else None

        try:
            children = await eventually(started, timeout=60)
        except AssertionError as missing:
            raise AssertionError(log.read_text()[-3000:]) from missing
        parent.send_signal(signal.SIGKILL)
        await parent.wait()

        async def all_gone() -> bool:
            return not any(_running(pid) for pid in children)

        await eventually(all_gone, timeout=EXIT_WITHIN_SECONDS)
    finally:
        for pid in children:
            if _running(pid):
                os.kill(pid, signal.SIGKILL)
        if parent.returncode is None:
            parent.kill()
            await parent.wait()
