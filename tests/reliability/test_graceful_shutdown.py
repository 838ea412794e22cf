"""SIGTERM stops `blindcopy serve` gracefully: no message is cut half-way without a reply.

On SIGTERM the gateway stops accepting connections and answers `421 4.3.2` to sessions
waiting for a command; a session in DATA may finish its message within the grace period
(`shutdown_grace_seconds`) and gets its 250, then 421 instead of an answer to its next
command; one still in DATA when the grace ends gets 421 and nothing of it is stored. The
process exits 0. A message that got 250 is processed (before the exit, or by the next start).
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from blindcopy.runtime import build_context
from config.settings import load_settings
from processing.worker import drain
from store.database import Store, create_engine
from tests.client import ApiClient
from tests.conftest import ADMIN_TOKEN
from tests.directory import a_project, a_user, contacts, email
from tests.hostility.raw_smtp import RawSmtp, Reply
from tests.reliability.conftest import BlindcopyProcess, interaction_rows, received_rows

SHUTTING_DOWN = (421, "4.3.2")
QUEUED_AS = re.compile(r"queued as (\S+)")


async def _bcc_address(http_port: int) -> str:
    async with ApiClient(f"http://127.0.0.1:{http_port}", ADMIN_TOKEN) as api:
        project = await a_project(api, "Acme Homes")
        await a_user(api, "Alice", "alice@acme.test", projects=(project["id"],))
        await contacts(api, project["id"], ("bob", "Bob", ["bob@client.test"]))
        return str(project["addresses"]["bcc"])


async def _in_data(port: int, bcc: str) -> RawSmtp:
    """Open a session and start DATA: the headers and half the body are sent."""
    session = await RawSmtp.connect(port)
    await session.greet()
    assert (await session.command("MAIL FROM:<alice@acme.test>")).code == 250
    assert (await session.command(f"RCPT TO:<{bcc}>")).code == 250
    assert (await session.command("DATA")).code == 354
    await session.send(HEAD)
    return session


def _code(reply: Reply) -> tuple[int, str]:
    return reply.code, reply.enhanced


async def _exit_status(process: BlindcopyProcess) -> int:
    assert process.process is not None
    return await asyncio.to_thread(process.process.wait, 90)


def _log_messages(process: BlindcopyProcess) -> list[str]:
    messages = []
    for line in process.log_path.read_text().splitlines():
        try:
            messages.append(json.loads(line)["message"])
        except (ValueError, KeyError):
            continue
    return messages


MESSAGE = email("alice@acme.test", "bob@client.test", "Offer", message_id="<offer@acme.test>")
HEAD, TAIL = MESSAGE[:len(MESSAGE) // 2], MESSAGE[len(MESSAGE) // 2:] + b"\r\n.\r\n"


async def test_sigterm_during_data_lets_the_message_finish_then_answers_421(
        database_url: str, observer: Engine, tmp_path: Path,
        processes: list[BlindcopyProcess]) -> None:
    serve = BlindcopyProcess("serve", database_url, tmp_path / "serve.log", workers=1,
                             shutdown_grace_seconds=20)
    processes.append(serve.start())
    await serve.wait_ready()
    bcc = await _bcc_address(serve.http_port)
    async with await _in_data(serve.smtp_port, bcc) as sending, \
            await RawSmtp.connect(serve.smtp_port) as idle:
        answer = await _stop_during_data(serve, sending, idle)
    assert await _exit_status(serve) == 0, serve.logs()
    assert {"stopping", "stopped"} <= set(_log_messages(serve))
    rows = await received_rows(observer)
    if answer.code != 250:
        assert _code(answer) == SHUTTING_DOWN
        assert rows == []
        return
    match = QUEUED_AS.search(answer.text)
    assert match and [row["id"] for row in rows] == [match.group(1)]
    # Processed before the exit, or by the next start.
    settings = load_settings({}, database_url=database_url, secret="test-secret")
    store = Store(create_engine(database_url))
    try:
        await asyncio.to_thread(drain, store, build_context(settings))
    finally:
        store.close()
    assert [row["status"] for row in await received_rows(observer)] == ["done"]
    assert len(await interaction_rows(observer)) == 1


async def _stop_during_data(serve: BlindcopyProcess, sending: RawSmtp, idle: RawSmtp) -> Reply:
    """SIGTERM while `sending` is in DATA and `idle` waits; finish DATA; return its answer."""
    await idle.greet()
    serve.signal(signal.SIGTERM)
    # A session waiting for a command is told at once, and new connections are refused.
    assert _code(await idle.reply()) == SHUTTING_DOWN
    assert await idle.closed_by_server()
    with pytest.raises(OSError):
        await RawSmtp.connect(serve.smtp_port)

    await sending.send(TAIL)
    answer = await sending.reply()
    if answer.code == 250:
        # Its next command is answered 421 and the connection closed.
        assert _code(await sending.command("NOOP")) == SHUTTING_DOWN
        assert await sending.closed_by_server()
    return answer


async def test_sigterm_cuts_data_that_outlasts_the_grace_with_421_and_stores_nothing(
        database_url: str, observer: Engine, tmp_path: Path,
        processes: list[BlindcopyProcess]) -> None:
    serve = BlindcopyProcess("serve", database_url, tmp_path / "serve.log", workers=1,
                             shutdown_grace_seconds=1)
    processes.append(serve.start())
    await serve.wait_ready()
    async with await _in_data(serve.smtp_port, await _bcc_address(serve.http_port)) as sending:
        serve.signal(signal.SIGTERM)
        # The client never ends its DATA; at the end of the grace period it is told why.
        assert _code(await sending.reply(timeout=30)) == SHUTTING_DOWN
        assert await sending.closed_by_server()
    assert await _exit_status(serve) == 0, serve.logs()
    assert await received_rows(observer) == []
    assert "SMTP sessions still in DATA after the grace period were closed" in \
        _log_messages(serve)


async def test_sigterm_right_after_start_up_still_stops_gracefully(
        database_url: str, tmp_path: Path, processes: list[BlindcopyProcess]) -> None:
    # The signal handlers are in place before anything starts: a SIGTERM as soon as the
    # service says it started (before its banner, its children, its start-up freeze) does
    # not kill it half-way.
    serve = BlindcopyProcess("serve", database_url, tmp_path / "serve.log", workers=1)
    processes.append(serve.start())
    deadline = asyncio.get_running_loop().time() + 60
    while "blindcopy started" not in _log_messages(serve):
        serve.check_alive()
        assert asyncio.get_running_loop().time() < deadline, serve.logs()
        await asyncio.sleep(0.005)
    serve.signal(signal.SIGTERM)
    assert await _exit_status(serve) == 0, serve.logs()
    assert _log_messages(serve)[-2:] == ["stopping", "stopped"]
