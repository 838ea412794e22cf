"""Reliability fixtures: the real service as a subprocess, a cuttable TCP proxy, store probes.

Everything listens on loopback only and every wait is bounded.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import Engine, func, select, text

from blindcopy.runtime import build_context
from config.settings import Settings
from processing.context import ProcessingContext
from store.database import READ_ONLY, create_engine
from store.models import Interaction, Message, ReceivedMessage
from tests.client import free_port
from tests.conftest import ADMIN_TOKEN

ROOT = Path(__file__).resolve().parents[2]
MAIL_DOMAIN = "in.blindcopy.test"
START_TIMEOUT = 30.0


class BlindcopyProcess:
    """`python -m blindcopy.cli <command>` in its own process group, killable with -9."""

    def __init__(self, command: str, database_url: str, log_path: Path, **settings: object
                 ) -> None:
        self.command = command
        self.smtp_port = free_port()
        self.http_port = free_port()
        self.env = {
            **os.environ, "PYTHONPATH": str(ROOT),
            "BLINDCOPY_DATABASE_URL": database_url,
            "BLINDCOPY_SMTP_HOST": "127.0.0.1", "BLINDCOPY_SMTP_PORT": str(self.smtp_port),
            "BLINDCOPY_HTTP_HOST": "127.0.0.1", "BLINDCOPY_HTTP_PORT": str(self.http_port),
            "BLINDCOPY_ADMIN_TOKEN": ADMIN_TOKEN, "BLINDCOPY_SECRET": "test-secret",
            "BLINDCOPY_MAIL_DOMAIN": MAIL_DOMAIN,
            **{f"BLINDCOPY_{k.upper()}": str(v) for k, v in settings.items()},
        }
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> BlindcopyProcess:
        """Start the process (logs go to a file so a full pipe never blocks it)."""
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "blindcopy.cli", self.command], env=self.env, cwd=ROOT,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        return self

    async def wait_ready(self) -> None:
        """Wait until the API answers /healthz (serve only)."""
        deadline = asyncio.get_running_loop().time() + START_TIMEOUT
        async with aiohttp.ClientSession() as http:
            while True:
                self.check_alive()
                with suppress(aiohttp.ClientError, OSError):
                    async with http.get(f"http://127.0.0.1:{self.http_port}/healthz") as r:
                        if r.status == 200:
                            return
                assert asyncio.get_running_loop().time() < deadline, self.logs()
                await asyncio.sleep(0.05)

    def check_alive(self) -> None:
        """Fail with the process's logs if it has exited."""
        assert self.process is not None
        assert self.process.poll() is None, f"{self.command} exited:\n{self.logs()}"

    def signal(self, sig: signal.Signals) -> None:
        """Send a signal to the process (by its pid, nothing else)."""
        assert self.process is not None
        os.kill(self.process.pid, sig)

    def kill(self) -> None:
        """kill -9 and reap."""
        assert self.process is not None
        if self.process.poll() is None:
            self.signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Stop gracefully (SIGTERM), or kill -9 after 10 s."""
        assert self.process is not None
        if self.process.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def logs(self) -> str:
        """Return the tail of the process's output."""
        return self.log_path.read_text(errors="replace")[-4000:]


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[list[BlindcopyProcess]]:
    """Collect the processes a test starts; kill -9 whatever is left at the end."""
    started: list[BlindcopyProcess] = []
    yield started
    for process in started:
        if process.process is not None and process.process.poll() is None:
            process.kill()


class TcpProxy:
    """A loopback TCP proxy in front of PostgreSQL that a test can cut and restore.

    `cut()` stops listening (new connections are refused) and resets every open connection,
    which is what a crashed or unreachable database server looks like to a client.
    """

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = free_port()
        self.server: asyncio.Server | None = None
        self.connections: set[asyncio.StreamWriter] = set()
        self.tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Listen (again) on the proxy's port."""
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def cut(self) -> None:
        """Refuse new connections and reset the open ones."""
        assert self.server is not None
        self.server.close()
        for writer in list(self.connections):
            writer.transport.abort()
        self.connections.clear()
        await self.server.wait_closed()
        self.server = None

    async def close(self) -> None:
        """Cut, and wait for the piping tasks."""
        if self.server is not None:
            await self.cut()
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            return
        self.connections |= {writer, up_writer}
        pipes = [asyncio.create_task(self._pipe(reader, up_writer)),
                 asyncio.create_task(self._pipe(up_reader, writer))]
        self.tasks.update(pipes)
        await asyncio.gather(*pipes, return_exceptions=True)
        self.tasks.difference_update(pipes)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            self.connections.discard(writer)
            writer.transport.abort()


@pytest.fixture
def context(settings: Settings) -> Iterator[ProcessingContext]:
    """Return the processing context the test's settings build (as a worker's)."""
    ctx = build_context(settings)
    yield ctx
    ctx.background.close()


@pytest.fixture
async def tcp_proxy() -> AsyncIterator[type[TcpProxy]]:
    """Return the TcpProxy class; proxies made with it are closed after the test."""
    made: list[TcpProxy] = []

    class Tracked(TcpProxy):
        def __init__(self, host: str, port: int) -> None:
            super().__init__(host, port)
            made.append(self)

    yield Tracked
    for proxy in made:
        await proxy.close()


@pytest.fixture
def observer(engine: Engine, database_url: str) -> Iterator[Engine]:
    """Yield an engine that only reads the (migrated) test database.

    On SQLite it opens plain deferred transactions: the service's engine begins every
    transaction IMMEDIATE unless it only reads, and a write transaction would wait behind a
    worker frozen mid-transaction.
    """
    reader = create_engine(database_url)
    yield reader.execution_options(**{READ_ONLY: True})
    reader.dispose()


def _read(engine: Engine, statement: Any) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(statement).all())


async def _rows(engine: Engine, statement: Any) -> list[Any]:
    """Read the rows in a thread: the service under test may run on this event loop."""
    return await asyncio.to_thread(_read, engine, statement)


async def status_counts(engine: Engine) -> dict[str, int]:
    """Return received messages per status, read straight from the store."""
    rows = await _rows(engine, select(ReceivedMessage.status, func.count())
                       .group_by(ReceivedMessage.status))
    return {status: count for status, count in rows}


async def received_rows(engine: Engine) -> list[dict[str, object]]:
    """Return every received message's processing state."""
    rows = await _rows(engine, select(
        ReceivedMessage.id, ReceivedMessage.status, ReceivedMessage.attempts,
        ReceivedMessage.lease_until, ReceivedMessage.next_attempt_at,
        ReceivedMessage.processed_at, ReceivedMessage.last_error,
        ReceivedMessage.message_id))
    return [dict(row._mapping) for row in rows]


async def interaction_rows(engine: Engine) -> list[dict[str, object]]:
    """Return every interaction with the Message-ID of its message."""
    rows = await _rows(engine, select(
        Interaction.project_id, Interaction.contact_id, Interaction.message_ref,
        Interaction.channels, Message.message_id)
        .join(Message, Message.id == Interaction.message_ref))
    return [dict(row._mapping) for row in rows]


async def message_id_counts(engine: Engine) -> dict[tuple[str, str], int]:
    """Return how many stored messages each project has under each Message-ID (must be
    one each: an email is recorded once per project)."""
    rows = await _rows(engine, select(Message.project_id, Message.message_id, func.count())
                       .group_by(Message.project_id, Message.message_id))
    return {(project_id, message_id): count for project_id, message_id, count in rows}


def _execute(engine: Engine, statements: tuple[str, ...]) -> None:
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


async def execute(engine: Engine, *statements: str) -> None:
    """Run raw DDL/DML statements in one transaction (test-only schema changes)."""
    await asyncio.to_thread(_execute, engine, statements)
