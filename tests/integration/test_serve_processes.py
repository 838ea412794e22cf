"""`serve_processes`: `blindcopy serve` runs its SMTP gateway and API in several processes
that share the ports (SO_REUSEPORT); every message is still logged once, and they stop together.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import Settings
from store.database import Store
from store.models import Interaction, ReceivedMessage
from tests.client import ApiClient, child_pids, eventually, free_port, send_smtp
from tests.conftest import ADMIN_TOKEN
from tests.directory import a_project, a_token, a_user, contacts, email

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = 24  # per interface; each over a new connection, which the kernel places


def _listening_ports(pid: int) -> set[int]:
    """Return the TCP ports the process holds a listening IPv4 socket on."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for line in Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
            ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def _free_ports() -> tuple[int, int, int]:
    """Return free SMTP, API and metrics ports; the metrics port + 1 (the sibling's) too."""
    while True:
        smtp_port, http_port, metrics_port = free_port(), free_port(), free_port()
        ports = {smtp_port, http_port, metrics_port, metrics_port + 1}
        if len(ports) == 4 and _bindable(metrics_port + 1):
            return smtp_port, http_port, metrics_port


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


async def _start(settings: Settings, smtp_port: int, http_port: int, metrics_port: int,
                 log: Path) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BLINDCOPY_DATABASE_URL": settings.database_url,
           "BLINDCOPY_SMTP_PORT": str(smtp_port), "BLINDCOPY_HTTP_PORT": str(http_port),
           "BLINDCOPY_ADMIN_TOKEN": ADMIN_TOKEN, "BLINDCOPY_SECRET": "test-secret",
           "BLINDCOPY_MAIL_DOMAIN": "in.blindcopy.test", "BLINDCOPY_WORKERS": "1",
           "BLINDCOPY_SERVE_PROCESSES": "2", "BLINDCOPY_METRICS_PORT": str(metrics_port),
           "BLINDCOPY_METRICS_PUBLIC": "true"}
    with log.open("ab") as output:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "blindcopy.cli", "serve", cwd=ROOT, env=env,
            stdout=output, stderr=output)


async def _log_over_new_connections(base: str, token: str, project_id: str) -> None:
    clicking = asyncio.Semaphore(4)  # within one process's capture limit

    async def one(number: int) -> None:
        raw = email("alice@acme.test", "bob@client.test", f"Log {number}",
                    message_id=f"<log-{number}@acme.test>")
        # A new connection each time: the kernel picks the process per connection.
        async with clicking, aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)
                                         ) as http, http.post(
                f"{base}/v1/log", data=raw, params={"project_id": project_id},
                headers={"Authorization": f"Bearer {token}",
                         "Content-Type": "message/rfc822"}) as response:
            assert response.status == 200, await response.text()
            [outcome] = (await response.json())["outcomes"]
            assert outcome["status"] == "logged", outcome

    await asyncio.gather(*(one(number) for number in range(MESSAGES)))


def _rows(session: Session) -> tuple[list[Any], int]:
    received = session.execute(select(
        ReceivedMessage.channel, ReceivedMessage.status, ReceivedMessage.claimed_by)).all()
    interactions = len(session.execute(select(Interaction.id)).all())
    return list(received), interactions


async def test_two_serving_processes_share_the_ports_and_log_every_message_once(
        settings: Settings, store: Store, tmp_path: Path) -> None:
    smtp_port, http_port, metrics_port = _free_ports()
    base = f"http://127.0.0.1:{http_port}"
    log = tmp_path / "serve.log"
    parent = await _start(settings, smtp_port, http_port, metrics_port, log)
    try:
        try:
            pids = await eventually(lambda: _serving(parent.pid, {smtp_port, http_port}),
                                    timeout=30)
        except AssertionError as missing:
            raise AssertionError(log.read_text()[-3000:]) from missing
        async with ApiClient(base, ADMIN_TOKEN) as api:
            project = await a_project(api, "Acme Homes")
            alice = await a_user(api, "Alice", "alice@acme.test", projects=(project["id"],))
            await contacts(api, project["id"], ("bob", "Bob", ["bob@client.test"]))
            token = await a_token(api, alice["id"])
        await _log_over_new_connections(base, token, project["id"])
        for number in range(MESSAGES):
            await send_smtp(smtp_port, "alice@acme.test", [project["addresses"]["bcc"]], email(
                "alice@acme.test", "bob@client.test", f"Bcc {number}",
                message_id=f"<bcc-{number}@acme.test>"))

        async def settled() -> tuple[list[Any], int] | None:
            rows, interactions = await store.run_read(_rows)
            done = [row for row in rows if row.status == "done"]
            return (rows, interactions) if len(done) == 2 * MESSAGES else None

        rows, interactions = await eventually(settled, timeout=60)
        # Each process counts what it received; its own metrics port shows its counters.
        received = [await _received_count(port) for port in (metrics_port, metrics_port + 1)]
    finally:
        parent.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(parent.wait(), 60) == 0
    assert interactions == 2 * MESSAGES
    assert sum(received) == 2 * MESSAGES and all(received), received
    # Both processes answered the API: each capture records the process that processed it.
    api_pids = {int(row.claimed_by.split(":")[1].split("/")[0])
                for row in rows if row.channel == "log"}
    assert api_pids == set(pids), (api_pids, pids)
    assert not [pid for pid in pids if Path(f"/proc/{pid}").exists()], "a sibling outlived serve"


async def _serving(parent: int, ports: set[int]) -> list[int] | None:
    """Return [parent, sibling] once both listen on every port, else None."""
    children = child_pids(parent)
    pids = [parent, *children]
    try:
        listening = all(ports <= _listening_ports(pid) for pid in pids)
    except OSError:
        return None
    return pids if len(children) == 1 and listening else None


async def test_a_sibling_that_dies_is_started_again_and_serves_the_ports(
        settings: Settings, tmp_path: Path) -> None:
    smtp_port, http_port, metrics_port = _free_ports()
    log = tmp_path / "serve.log"
    parent = await _start(settings, smtp_port, http_port, metrics_port, log)
    ports = {smtp_port, http_port}
    try:
        [_parent, sibling] = await eventually(lambda: _serving(parent.pid, ports), timeout=30)
        os.kill(sibling, signal.SIGKILL)

        async def replaced() -> list[int] | None:
            pids = await _serving(parent.pid, ports)
            return pids if pids is not None and sibling not in pids else None

        [_parent, again] = await eventually(replaced, timeout=30)
        async with aiohttp.ClientSession() as http, http.get(
                f"http://127.0.0.1:{metrics_port + 1}/healthz") as response:
            assert response.status == 200  # the new sibling serves its own metrics port
    finally:
        parent.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(parent.wait(), 60) == 0
    assert "serve process exited; starting it again" in log.read_text()
    assert not Path(f"/proc/{again}").exists()


async def test_serve_stopping_while_a_sibling_waits_to_restart_leaves_no_process(
        settings: Settings, tmp_path: Path) -> None:
    smtp_port, http_port, metrics_port = _free_ports()
    parent = await _start(settings, smtp_port, http_port, metrics_port, tmp_path / "serve.log")
    try:
        [_parent, sibling] = await eventually(
            lambda: _serving(parent.pid, {smtp_port, http_port}), timeout=30)
        os.kill(sibling, signal.SIGKILL)
        await asyncio.sleep(0.2)  # inside the restart delay (1 s)
    finally:
        parent.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(parent.wait(), 60) == 0
    await asyncio.sleep(1.5)  # past the delay: a restart that still happened would listen
    assert all(_bindable(port) for port in (smtp_port, http_port, metrics_port + 1))


async def _received_count(port: int) -> float:
    async with aiohttp.ClientSession() as http, http.get(
            f"http://127.0.0.1:{port}/metrics") as response:
        assert response.status == 200, await response.text()
        text = await response.text()
    return sum(sample.value for family in text_string_to_metric_families(text)
               for sample in family.samples if sample.name == "blindcopy_messages_received_total")


def test_serve_processes_must_be_at_least_one() -> None:
    from config.settings import SettingsError, load_settings
    with pytest.raises(SettingsError, match="serve_processes: must be at least 1"):
        load_settings({"BLINDCOPY_SERVE_PROCESSES": "0"})
