"""A child of `blindcopy serve` stops when its parent is gone, however the parent ended.

`serve` stops its children on SIGTERM, but a parent killed with SIGKILL (or crashing) stops
nothing: its children would run on, re-parented to PID 1, still claiming messages. So
`serve` keeps the only write end of a pipe and gives each child the read end
(`--parent-fd`); nothing is ever written to it, and when the parent is gone the kernel
closes the write end and the child's read returns end-of-file. The child then sends itself
SIGTERM: it stops exactly as when `serve` stops it. A pipe rather than Linux's
parent-death signal (prctl PR_SET_PDEATHSIG): it needs no call between fork and exec, and
it follows the parent process, not the thread that started the child.
"""

from __future__ import annotations

import os
import signal
import threading


def watch_parent(fd: int) -> threading.Thread:
    """Send this process SIGTERM once the pipe `fd` from the parent reaches end-of-file."""
    thread = threading.Thread(target=_wait_for_end, args=(fd,), name="parent-watch",
                              daemon=True)
    thread.start()
    return thread


def _wait_for_end(fd: int) -> None:
    # The parent never writes: a read returns only at end-of-file (or an error, which
    # means the same: the pipe is unusable, so the parent is as good as gone).
    try:
        while os.read(fd, 1):
            pass
    except OSError:
        pass
    os.kill(os.getpid(), signal.SIGTERM)
