"""Scale-out: several gateways and `blindcopy worker` processes share one store; each message once.

Two gateways with no workers take the mail — one in the test (SMTP + API), one a `blindcopy
serve` process — and N worker processes claim from the same spool (PostgreSQL: 4 processes
with FOR UPDATE SKIP LOCKED; SQLite: 2 processes on the shared WAL file). After a burst of
200 messages, half through each gateway, every message is done after exactly one attempt,
has exactly one decision, is logged once per contact, and the work was spread over more
than one process (`claimed_by`).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import aiosmtplib
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from blindcopy.runtime import start_service
from config.settings import Settings
from store.models import Decision, Interaction, ReceivedMessage
from tests.client import ApiClient, eventually, free_port
from tests.conftest import ADMIN_TOKEN
from tests.database import POSTGRES_URL
from tests.directory import a_project, a_user, contacts, email

ROOT = Path(__file__).resolve().parents[2]
BURST = 200
CONNECTIONS = 10


def start_workers(count: int, database_url: str, log_dir: Path) -> list[subprocess.Popen[bytes]]:
    """Start `count` `blindcopy worker` processes on the database (this checkout's code)."""
    env = {**os.environ, "BLINDCOPY_DATABASE_URL": database_url, "BLINDCOPY_WORKERS": "2",
           "BLINDCOPY_RETRY_BASE_SECONDS": "0.05", "PYTHONPATH": str(ROOT)}
    processes = []
    for n in range(count):
        with (log_dir / f"worker-{n}.log").open("wb") as log:
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "blindcopy.cli", "worker"], cwd=ROOT, env=env,
                stdout=subprocess.DEVNULL, stderr=log))
    return processes


async def wait_started(count: int, log_dir: Path) -> None:
    """Wait until every worker process logged its start (imports take seconds on a loaded
    machine: a burst sent before would be taken by the first process alone)."""
    for _ in range(600):
        logs = [(log_dir / f"worker-{n}.log").read_text(errors="replace") for n in range(count)]
        if all("blindcopy started" in text for text in logs):
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the worker processes did not start")


def start_gateway(database_url: str, log_path: Path) -> tuple[subprocess.Popen[bytes], int]:
    """Start a `blindcopy serve` with no workers (a second gateway); return it and its port."""
    port = free_port()
    env = {**os.environ, "BLINDCOPY_DATABASE_URL": database_url, "BLINDCOPY_WORKERS": "0",
           "BLINDCOPY_SMTP_PORT": str(port), "BLINDCOPY_HTTP_PORT": "0",
           "BLINDCOPY_SECRET": "test-secret", "PYTHONPATH": str(ROOT)}
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "blindcopy.cli", "serve"], cwd=ROOT,
                                   env=env, stdout=subprocess.DEVNULL, stderr=log)
    return process, port


async def wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    """Wait until the process accepts connections on `port`."""
    for _ in range(300):
        assert process.poll() is None, "the second gateway exited"
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise AssertionError("the second gateway did not start listening")


def stop_workers(processes: list[subprocess.Popen[bytes]]) -> None:
    """Ask every worker process to stop (SIGTERM), then wait for it."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def send_burst(ports: list[int], sender: str, bcc: str) -> None:
    """Send BURST messages over CONNECTIONS concurrent SMTP sessions, spread over `ports`."""
    async def session(first: int) -> None:
        port = ports[first % len(ports)]
        async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=30) as smtp:
            for number in range(first, BURST, CONNECTIONS):
                raw = email(f"Alice <{sender}>", "bob@client.test", f"Offer {number}",
                            cc="carol@client.test", message_id=f"<burst-{number}@acme.test>")
                await smtp.sendmail(sender, [bcc], raw)
    await asyncio.gather(*(session(n) for n in range(CONNECTIONS)))


def _all_settled(session: Session) -> bool:
    pending = session.scalar(select(func.count()).select_from(ReceivedMessage).where(
        ReceivedMessage.status.in_(("queued", "processing"))))
    total = session.scalar(select(func.count()).select_from(ReceivedMessage))
    return total == BURST and pending == 0


async def run_burst(settings: Settings, processes: int, tmp_path: Path) -> None:
    """Run two gateways and `processes` workers; check each message was handled once."""
    gateway = await start_service(settings, workers=0)
    second, second_port = start_gateway(settings.database_url, tmp_path / "gateway-2.log")
    workers = start_workers(processes, settings.database_url, tmp_path)
    try:
        async with ApiClient(f"http://127.0.0.1:{gateway.http_port}", ADMIN_TOKEN) as api:
            project = await a_project(api, "Acme Homes")
            await a_user(api, "Alice", "alice@acme.test", projects=(project["id"],))
            await contacts(api, project["id"], ("bob", "Bob", ["bob@client.test"]),
                           ("carol", "Carol", ["carol@client.test"]))
        await wait_listening(second_port, second)
        await wait_started(processes, tmp_path)
        await send_burst([gateway.smtp_port, second_port], "alice@acme.test",
                         project["addresses"]["bcc"])
        await eventually(lambda: gateway.store.run_read(_all_settled), timeout=120,
                         interval=0.2)
        await gateway.store.run_read(check_handled_once, processes)
    finally:
        stop_workers([*workers, second])
        await gateway.stop()
    assert all(w.returncode == 0 for w in [*workers, second]), [
        (tmp_path / f"worker-{n}.log").read_text()[-2000:] for n in range(processes)]
    # The second gateway spooled its half of the burst (one JSON log line per message).
    spooled = (tmp_path / "gateway-2.log").read_text().count('"message spooled"')
    assert spooled == BURST // 2, spooled


def check_handled_once(session: Session, processes: int) -> None:
    """Every message done in one attempt, one decision, one interaction per contact."""
    received = session.execute(select(
        ReceivedMessage.status, ReceivedMessage.attempts, ReceivedMessage.claimed_by)).all()
    decisions = session.execute(select(
        Decision.received_message_id, func.count()).group_by(
            Decision.received_message_id)).all()
    interactions = session.execute(select(
        Interaction.project_id, Interaction.contact_id, Interaction.message_ref,
        func.count()).group_by(Interaction.project_id, Interaction.contact_id,
                               Interaction.message_ref)).all()
    assert len(received) == BURST
    assert {(status, attempts) for status, attempts, _ in received} == {("done", 1)}
    assert len(decisions) == BURST and {count for _, count in decisions} == {1}
    assert len(interactions) == 2 * BURST and {row[3] for row in interactions} == {1}
    claimers = {claimed_by for _, _, claimed_by in received}
    worker_processes = {claimer.rsplit("/", 1)[0] for claimer in claimers}
    assert 1 < len(worker_processes) <= processes, claimers


@pytest.fixture
def sqlite_settings(settings: Settings, tmp_path: Path) -> Settings:
    """Settings on a fresh SQLite file, whatever the test database is."""
    return replace(settings, database_url=f"sqlite:///{tmp_path / 'shared.db'}")


@pytest.mark.skipif(not POSTGRES_URL.startswith("postgres"),
                    reason="needs BLINDCOPY_TEST_DATABASE_URL=postgresql://…")
async def test_four_worker_processes_on_postgresql_handle_each_message_once(
        settings: Settings, tmp_path: Path) -> None:
    await run_burst(settings, processes=4, tmp_path=tmp_path)


async def test_two_worker_processes_on_sqlite_handle_each_message_once(
        sqlite_settings: Settings, tmp_path: Path) -> None:
    await run_burst(sqlite_settings, processes=2, tmp_path=tmp_path)
