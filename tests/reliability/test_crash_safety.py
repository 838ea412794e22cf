"""Crash safety: kill -9 the real service or worker mid-batch; after a restart every message
that got 250 is processed exactly once (SPEC §1: "once 250 is sent the message is never lost").

The service runs as `python -m blindcopy.cli serve|worker` subprocesses on the test database;
a message is made slow to process by addressing many contacts at once.
"""

from __future__ import annotations

import asyncio
import re
import signal
from collections import Counter
from pathlib import Path
from typing import Any

import aiosmtplib
from sqlalchemy import Engine

from tests.client import ApiClient, send_smtp
from tests.conftest import ADMIN_TOKEN
from tests.directory import a_project, a_user, contacts, email
from tests.reliability.conftest import (
    BlindcopyProcess,
    interaction_rows,
    message_id_counts,
    received_rows,
    status_counts,
)

BATCH = 40
CONTACTS = 30
LEASE_SECONDS = 2.0
CLAIM_BATCH = 4
DRAIN_TIMEOUT = 90.0
QUEUED_AS = re.compile(r"queued as (\S+)")


async def _directory(http_port: int) -> tuple[str, str]:
    """Create a project, a member and CONTACTS contacts; return (project id, BCC address)."""
    async with ApiClient(f"http://127.0.0.1:{http_port}", ADMIN_TOKEN) as api:
        project = await a_project(api, "Acme Homes")
        await a_user(api, "Alice", "alice@acme.test", projects=(project["id"],))
        await contacts(api, project["id"],
                       *[(f"c{i}", f"Contact {i}", [f"c{i}@client.test"])
                         for i in range(CONTACTS)])
        return project["id"], project["addresses"]["bcc"]


def _message(n: int) -> bytes:
    recipients = ", ".join(f"c{i}@client.test" for i in range(CONTACTS))
    return email("Alice <alice@acme.test>", recipients, f"Offer {n}",
                 message_id=f"<offer-{n}@acme.test>")


async def _send(port: int, bcc: str, n: int) -> str | None:
    """Send message n; return the received id from the 250 reply, None if not accepted."""
    try:
        _errors, reply = await send_smtp(port, "alice@acme.test", [bcc], _message(n))
    except (aiosmtplib.SMTPException, OSError):
        return None
    match = QUEUED_AS.search(reply)
    assert match, reply
    return match.group(1)


async def _wait_drained(observer: Engine, process: BlindcopyProcess) -> dict[str, int]:
    deadline = asyncio.get_running_loop().time() + DRAIN_TIMEOUT
    while True:
        counts = await status_counts(observer)
        if not counts.get("queued") and not counts.get("processing"):
            return counts
        process.check_alive()
        assert asyncio.get_running_loop().time() < deadline, (counts, process.logs())
        await asyncio.sleep(0.1)


async def _assert_processed_exactly_once(observer: Engine, project_id: str,
                                         accepted: dict[int, str]) -> None:
    """Every accepted received id is done; one interaction per (contact, message), bcc once."""
    rows = {row["id"]: row for row in await received_rows(observer)}
    for n, received_id in accepted.items():
        assert received_id in rows, f"message {n} got 250 as {received_id} and was lost"
        assert rows[received_id]["status"] == "done", rows[received_id]
    sent = {f"<offer-{n}@acme.test>" for n in accepted}
    counts = await message_id_counts(observer)
    assert {m: counts.get((project_id, m)) for m in sent} == {m: 1 for m in sent}
    interactions = [i for i in await interaction_rows(observer) if i["message_id"] in sent]
    keys = Counter((i["project_id"], i["contact_id"], i["message_ref"]) for i in interactions)
    assert [key for key, count in keys.items() if count > 1] == []
    assert len(interactions) == len(sent) * CONTACTS
    assert {i["project_id"] for i in interactions} == {project_id}
    assert all(i["channels"] == ["bcc"] for i in interactions), \
        [i for i in interactions if i["channels"] != ["bcc"]][:3]


async def test_serve_killed_mid_batch_loses_nothing_that_got_250(
        database_url: str, observer: Engine, tmp_path: Path,
        processes: list[BlindcopyProcess]) -> None:
    settings = {"workers": 2, "lease_seconds": LEASE_SECONDS, "retry_base_seconds": 0.1}
    first = BlindcopyProcess("serve", database_url, tmp_path / "serve-1.log", **settings)
    processes.append(first.start())
    await first.wait_ready()
    project_id, bcc = await _directory(first.http_port)

    # Four senders stream the batch; kill -9 once half of it got 250 and processing has begun.
    accepted: dict[int, str] = {}
    batch = iter(range(BATCH))

    async def sender() -> None:
        for n in batch:
            received_id = await _send(first.smtp_port, bcc, n)
            if received_id is not None:
                accepted[n] = received_id

    sending = asyncio.gather(*(sender() for _ in range(4)))
    deadline = asyncio.get_running_loop().time() + DRAIN_TIMEOUT
    while len(accepted) < BATCH // 2 or not (await status_counts(observer)).get("done"):
        assert asyncio.get_running_loop().time() < deadline, first.logs()
        await asyncio.sleep(0.02)
    first.kill()
    await sending
    killed_with = await status_counts(observer)
    # The kill came mid-processing: some messages done, others still queued or claimed.
    assert 0 < killed_with.get("done", 0) < sum(killed_with.values()), killed_with

    second = BlindcopyProcess("serve", database_url, tmp_path / "serve-2.log", **settings)
    processes.append(second.start())
    await second.wait_ready()
    # The sender retries what was not accepted, as a real MTA does after a failed session;
    # some of those may have been spooled just before the kill (committed, 250 never sent).
    for n in sorted(set(range(BATCH)) - set(accepted)):
        received_id = await _send(second.smtp_port, bcc, n)
        assert received_id is not None
        accepted[n] = received_id
    counts = await _wait_drained(observer, second)
    second.stop()

    assert set(counts) == {"done"}, counts
    await _assert_processed_exactly_once(observer, project_id, accepted)


async def _freeze_with_a_leased_message(worker: BlindcopyProcess,
                                        observer: Engine) -> list[dict[str, Any]]:
    """Stop the worker (SIGSTOP) at a moment it holds a claimed message and some are done."""
    deadline = asyncio.get_running_loop().time() + DRAIN_TIMEOUT
    while asyncio.get_running_loop().time() < deadline:
        worker.check_alive()
        if (await status_counts(observer)).get("done", 0) >= 3:
            worker.signal(signal.SIGSTOP)
            leased = [r for r in await received_rows(observer) if r["status"] == "processing"]
            if leased:
                return leased
            worker.signal(signal.SIGCONT)
        await asyncio.sleep(0.02)
    raise AssertionError(f"never saw a claimed message\n{worker.logs()}")


async def test_worker_killed_holding_a_lease_message_is_reclaimed_after_lease(
        database_url: str, observer: Engine, tmp_path: Path,
        processes: list[BlindcopyProcess]) -> None:
    gateway = BlindcopyProcess("serve", database_url, tmp_path / "gateway.log",
                               workers=0).start()
    processes.append(gateway)
    await gateway.wait_ready()
    project_id, bcc = await _directory(gateway.http_port)
    accepted = {n: await _send(gateway.smtp_port, bcc, n) for n in range(BATCH)}
    assert None not in accepted.values()
    assert await status_counts(observer) == {"queued": BATCH}

    # Small claims, so that some messages are still queued when the worker is killed.
    worker = BlindcopyProcess("worker", database_url, tmp_path / "worker-1.log", workers=2,
                              lease_seconds=LEASE_SECONDS, retry_base_seconds=0.1,
                              claim_batch=CLAIM_BATCH).start()
    processes.append(worker)
    leased = await _freeze_with_a_leased_message(worker, observer)
    worker.kill()
    counts = await status_counts(observer)
    assert counts.get("queued", 0) > 0 and counts.get("done", 0) < BATCH, counts

    restarted = BlindcopyProcess("worker", database_url, tmp_path / "worker-2.log", workers=2,
                                 lease_seconds=LEASE_SECONDS, retry_base_seconds=0.1,
                                 claim_batch=CLAIM_BATCH).start()
    processes.append(restarted)
    assert set(await _wait_drained(observer, restarted)) == {"done"}
    restarted.stop()
    gateway.stop()

    rows = {row["id"]: row for row in await received_rows(observer)}
    for stale in leased:
        row = rows[stale["id"]]
        # Claimed once by the dead worker and once more, only after its lease ran out.
        assert row["attempts"] == stale["attempts"] + 1, (stale, row)
        assert row["processed_at"] >= stale["lease_until"], (stale, row)
        assert row["last_error"] is None
    await _assert_processed_exactly_once(
        observer, project_id, {n: str(received_id) for n, received_id in accepted.items()})
