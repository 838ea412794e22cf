"""A throwaway durable Postfix on a loopback port: the anchor a real mail server sets.

Its own configuration and queue directories under a temporary directory; smtpd on
127.0.0.1:PORT (master.cf); every message is written to the queue and fsynced by Postfix's
cleanup before smtpd answers 250 (Postfix has no setting that turns that off), then its
queue manager hands it to the `discard` transport. Nothing leaves the machine.

Needs root (Postfix's master starts as root and runs its daemons as `postfix`) and the
Debian postfix package. Usage on its own, to try it:

    python bench/postfix_anchor.py PORT      # runs until Ctrl-C

From the bench: `with PostfixAnchor.started(port) as anchor: ... anchor.pids()`.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {root}/queue
data_directory = {root}/data
maillog_file = {root}/log/maillog
maillog_file_prefixes = {root}/log
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = anchor.bench.test
mydestination =
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = permit_mynetworks, reject
default_transport = discard
local_transport = discard
relay_transport = discard
virtual_transport = discard
message_size_limit = 52428800
default_process_limit = 200
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
smtputf8_enable = no
biff = no
"""

# Only the services the path smtpd → cleanup → qmgr → discard uses (no chroot).
MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
discard   unix  - - n - - discard
error     unix  - - n - - error
retry     unix  - - n - - error
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
showq     unix  n - n - - showq
postlog   unix-dgram n - n - 1 postlogd
"""


class PostfixAnchor:
    """A Postfix instance in `root`, listening on 127.0.0.1:`port`."""

    def __init__(self, root: Path, port: int) -> None:
        self.root = root
        self.port = port
        self.config = root / "config"

    @classmethod
    @contextmanager
    def started(cls, port: int) -> Iterator[PostfixAnchor]:
        """Configure, start, and on exit stop and delete a Postfix on `port`."""
        if os.geteuid() != 0 or shutil.which("postfix") is None:
            raise RuntimeError("the Postfix anchor needs root and Debian's postfix package")
        root = Path(tempfile.mkdtemp(prefix="postfix-anchor-"))
        # Postfix's daemons run as `postfix` and must reach their queue below this directory.
        root.chmod(0o755)
        anchor = cls(root, port)
        try:
            anchor.configure()
            anchor.postfix("start")
            anchor.wait_listening()
            yield anchor
        finally:
            anchor.postfix("stop", check=False)
            anchor.wait_stopped()
            shutil.rmtree(root, ignore_errors=True)

    def configure(self) -> None:
        """Write main.cf and master.cf; make the queue, data and log directories."""
        self.config.mkdir()
        (self.config / "main.cf").write_text(MAIN_CF.format(root=self.root))
        (self.config / "master.cf").write_text(MASTER_CF.format(port=self.port))
        for name in ("queue", "data", "log"):
            (self.root / name).mkdir()
        shutil.chown(self.root / "data", "postfix")
        shutil.chown(self.root / "log", "postfix")
        # `postfix start` creates the queue's subdirectories with their owners.
        self.postfix("check")

    def postfix(self, command: str, check: bool = True) -> None:
        """Run `postfix -c CONFIG command`."""
        done = subprocess.run(["postfix", "-c", str(self.config), command],
                              capture_output=True, text=True, timeout=60)
        if check and done.returncode != 0:
            raise RuntimeError(f"postfix {command} failed: {done.stderr.strip()[:800]}")

    def master_pid(self) -> int | None:
        """Return the master's process id, or None when it is not running."""
        try:
            pid = int((self.root / "queue" / "pid" / "master.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if Path(f"/proc/{pid}").exists() else None

    def pids(self) -> list[int]:
        """Return the master and every daemon it runs (the processes that handle mail)."""
        master = self.master_pid()
        return [] if master is None else [master, *descendants(master)]

    def wait_listening(self, timeout: float = 30) -> None:
        """Wait until smtpd answers on the port."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
                    if sock.recv(100).startswith(b"220"):
                        return
            except OSError:
                time.sleep(0.2)
        log = self.root / "log" / "maillog"
        raise RuntimeError("Postfix did not answer: "
                           + (log.read_text()[-800:] if log.exists() else "no log"))

    def wait_queue_empty(self, timeout: float = 120) -> None:
        """Wait until every accepted message has left the queue (discarded)."""
        queues = [self.root / "queue" / name for name in ("incoming", "active", "deferred")]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not any(any(path.is_file() for path in queue.rglob("*")) for queue in queues):
                return
            time.sleep(0.1)
        raise RuntimeError("Postfix's queue did not empty")

    def wait_stopped(self, timeout: float = 30) -> None:
        """Wait until the master has exited."""
        deadline = time.monotonic() + timeout
        while self.master_pid() is not None and time.monotonic() < deadline:
            time.sleep(0.2)


def descendants(pid: int) -> list[int]:
    """Return every live descendant of `pid` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _stop)
    with PostfixAnchor.started(int(sys.argv[1])) as running:
        print(f"Postfix on 127.0.0.1:{running.port}, files in {running.root}; Ctrl-C stops it",
              flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
