"""`blindcopy serve` and its open-file limit: the soft limit is raised to the hard one at
start; the SMTP connection cap stays below it, so a flood of connections gets 421 and never
an accept failure; accept failures, when they happen anyway, are logged once a second with
a count instead of a traceback each (the issue saw 226,518 lines in 55 s).

Each test runs a real process under its own limit (set between fork and exec).
"""

from __future__ import annotations

import asyncio
import os
import resource
import sys
from collections.abc import Callable
from pathlib import Path

from config.settings import Settings
from tests.client import eventually, free_port
from tests.conftest import ADMIN_TOKEN
from tests.hostility.raw_smtp import RawSmtp

ROOT = Path(__file__).resolve().parents[2]
SERVICE_READY = 220
SERVICE_NOT_AVAILABLE = 421
FLOOD = 300
SOURCES = 30  # client addresses: 10 connections each, below the per-client limit (20)


def _limit(soft: int, hard: int) -> Callable[[], None]:
    def set_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return set_limit


async def _serve(settings: Settings, smtp_port: int, log: Path, soft: int, hard: int,
                 http_port: int = 0) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BLINDCOPY_DATABASE_URL": settings.database_url,
           "BLINDCOPY_SMTP_PORT": str(smtp_port),
           "BLINDCOPY_HTTP_PORT": str(http_port or free_port()),
           "BLINDCOPY_ADMIN_TOKEN": ADMIN_TOKEN, "BLINDCOPY_SECRET": "test-secret",
           "BLINDCOPY_COMMAND_TIMEOUT": "30"}
    with log.open("ab") as output:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "blindcopy.cli", "serve", cwd=ROOT, env=env,
            stdout=output, stderr=output, preexec_fn=_limit(soft, hard))


async def _listening(port: int) -> bool:
    try:
        async with await RawSmtp.connect(port) as client:
            return (await client.reply()).code == SERVICE_READY
    except OSError:
        return False


def _open_file_limits(pid: int) -> tuple[int, int]:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max open files"):
            soft, hard = line.split()[3:5]
            return int(soft), int(hard)
    raise AssertionError("no open-file limit in /proc")


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        await asyncio.wait_for(process.wait(), 60)


async def test_serve_raises_its_soft_open_file_limit_to_the_hard_one(
        settings: Settings, tmp_path: Path) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    port = free_port()
    process = await _serve(settings, port, tmp_path / "serve.log", 256, hard)
    try:
        await eventually(lambda: _listening(port), timeout=60)
        assert _open_file_limits(process.pid) == (hard, hard)
    finally:
        await _stop(process)


async def _first_reply(port: int, source: str) -> tuple[RawSmtp | None, int | None]:
    """Connect from `source`; return the client and the code of its first reply (or None)."""
    try:
        client = await RawSmtp.connect(port, source)
    except OSError:
        return None, None
    try:
        return client, (await client.reply(timeout=10)).code
    except (TimeoutError, ConnectionError):
        return client, None


async def test_a_connection_flood_past_the_open_file_limit_gets_421_not_accept_failures(
        settings: Settings, tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    port = free_port()
    process = await _serve(settings, port, log, 200, 200)
    clients: list[RawSmtp] = []
    try:
        await eventually(lambda: _listening(port), timeout=60)
        answers = []
        for number in range(FLOOD):
            client, code = await _first_reply(port, f"127.0.1.{number % SOURCES + 1}")
            clients += [client] if client else []
            answers.append(code)
    finally:
        for client in clients:
            await client.close()
        await _stop(process)
    # Every connection was answered: greeted while there was room, then told 421.
    assert set(answers) == {SERVICE_READY, SERVICE_NOT_AVAILABLE}, answers
    text = log.read_text()
    assert "socket.accept() out of system resource" not in text
    assert "accepting a connection failed" not in text
    assert "Traceback" not in text


async def _http_status(port: int, source: str
                       ) -> tuple[tuple[asyncio.StreamReader, asyncio.StreamWriter] | None,
                                  int | None]:
    """Connect from `source` and GET /healthz; return the connection and the status."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port,
                                                       local_addr=(source, 0))
    except OSError:
        return None, None
    try:
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: blindcopy\r\n\r\n")
        line = await asyncio.wait_for(reader.readline(), 10)
    except (TimeoutError, ConnectionError):
        return (reader, writer), None
    return (reader, writer), int(line.split()[1]) if line else None


async def test_an_api_connection_flood_past_the_open_file_limit_gets_503(
        settings: Settings, tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    smtp_port, http_port = free_port(), free_port()
    process = await _serve(settings, smtp_port, log, 200, 200, http_port)
    held = []
    try:
        await eventually(lambda: _listening(smtp_port), timeout=60)
        answers = []
        for number in range(FLOOD):
            connection, status = await _http_status(http_port, f"127.0.2.{number % SOURCES + 1}")
            held += [connection] if connection else []
            answers.append(status)
    finally:
        for _reader, writer in held:
            writer.close()
        await _stop(process)
    # Kept-alive connections fill the API's share of the files; then every one is told 503.
    assert set(answers) == {200, 503}, answers
    assert "Traceback" not in log.read_text()


ACCEPTING_SCRIPT = """
import asyncio, resource, sys
from blindcopy.accept_failures import summarise_accept_failures
from blindcopy.logs import configure_logging

async def main():
    configure_logging()
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    loop = asyncio.get_running_loop()
    summarise_accept_failures(loop)
    server = await loop.create_server(asyncio.Protocol, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.sleep(float(sys.argv[1]))

asyncio.run(main())
"""


async def test_accept_failures_are_logged_once_a_second_with_a_count(tmp_path: Path) -> None:
    seconds = 3.0
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", ACCEPTING_SCRIPT, str(seconds), cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    assert process.stdout is not None
    port = int(await asyncio.wait_for(process.stdout.readline(), 30))
    held = []
    for _ in range(FLOOD):
        try:
            held.append(await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 2))
        except (OSError, TimeoutError):
            break
    _out, err = await asyncio.wait_for(process.communicate(), 30)
    for _reader, writer in held:
        writer.close()
    lines = err.decode().splitlines()
    failures = [line for line in lines if "accepting" in line]
    assert failures, lines[-20:]
    assert "Traceback" not in err.decode()
    assert len(lines) == len(failures)
    # One line at the first failure, then at most one a second with the count since.
    assert len(failures) <= 1 + seconds + 1, failures
    assert '"failures": 1,' in failures[0]
