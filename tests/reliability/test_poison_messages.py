"""Poison messages: a message whose processing keeps raising is retried with backoff, then kept
as `failed` with its error (visible in GET /v1/messages), and `blindcopy replay` processes it
once the cause is gone (SPEC §1: "kept as failed with its error, never dropped, replayed").

The cause is crafted data, not a mock: a test-only trigger that makes the store refuse to
record a message whose subject carries a marker, as a corrupt row or a broken constraint would.
"""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
from datetime import timedelta
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from blindcopy.runtime import Service, build_context, start_service
from config.settings import Settings, load_settings
from processing.claim import process_claim
from processing.worker import worker_id
from tests.client import ApiClient, eventually, send_smtp
from tests.conftest import ADMIN_TOKEN
from tests.directory import a_project, a_user, contacts, email, timeline
from tests.reliability.conftest import ROOT, execute, received_rows

MAX_ATTEMPTS = 3
RETRY_BASE = 0.3
MARKER = "POISON"
TRIGGER_ERROR = "refused by the poison trigger"


async def _poison_recording(engine: Engine) -> None:
    """Make recording any message whose subject has the marker fail in the store."""
    if engine.dialect.name == "sqlite":
        await execute(engine, f"""
            CREATE TRIGGER poison BEFORE INSERT ON messages WHEN NEW.subject LIKE '%{MARKER}%'
            BEGIN SELECT RAISE(ABORT, '{TRIGGER_ERROR}'); END""")
    else:
        await execute(engine, f"""
            CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '{TRIGGER_ERROR}'; END $$""", f"""
            CREATE TRIGGER poison BEFORE INSERT ON messages FOR EACH ROW
            WHEN (NEW.subject LIKE '%{MARKER}%') EXECUTE FUNCTION poison()""")


async def _cure(engine: Engine) -> None:
    await execute(engine, "DROP TRIGGER poison" + (
        "" if engine.dialect.name == "sqlite" else " ON messages"))


async def _watch_until_settled(engine: Engine, received_id: str,
                               timeout: float = 30.0) -> list[dict[str, Any]]:
    """Record every distinct processing state of one message until it leaves the queue."""
    states: list[dict[str, Any]] = []
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        [row] = [r for r in await received_rows(engine) if r["id"] == received_id]
        state = {k: row[k] for k in ("status", "attempts", "next_attempt_at", "last_error")}
        if not states or states[-1] != state:
            states.append(state)
        if row["status"] not in ("queued", "processing"):
            return states
        await asyncio.sleep(0.01)
    raise AssertionError(f"still not settled after {timeout} s: {states[-3:]}")


def _replay(database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BLINDCOPY_DATABASE_URL": database_url,
           "BLINDCOPY_SECRET": "test-secret", "BLINDCOPY_MAIL_DOMAIN": "in.blindcopy.test"}
    return subprocess.run([sys.executable, "-m", "blindcopy.cli", "replay"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)


async def _service_that_retries(settings: Settings, workers: int | None = None,
                                **extra: Any) -> Service:
    """Start a service whose workers retry soon and keep a message failed after 3 attempts."""
    return await start_service(load_settings(
        {}, database_url=settings.database_url, smtp_port=0, http_port=0,
        admin_token=ADMIN_TOKEN, secret="test-secret", mail_domain="in.blindcopy.test",
        max_attempts=MAX_ATTEMPTS, retry_base_seconds=RETRY_BASE, lease_seconds=5, **extra),
        workers=workers)


async def _claim_once(service: Service) -> int:
    """Claim and process once, as one of the service's workers would (in a store thread)."""
    ctx = build_context(service.settings)
    try:
        return await service.store.run(process_claim, service.store, ctx, worker_id())
    finally:
        ctx.background.close()


async def _acme_poisoned(api: ApiClient, engine: Engine
                         ) -> tuple[dict[str, Any], dict[str, Any], str]:
    """Return Acme Homes, its member Alice and contact Bob's id; poison the store."""
    project = await a_project(api, "Acme Homes")
    alice = await a_user(api, "Alice", "alice@acme.test", projects=(project["id"],))
    bob = (await contacts(api, project["id"], ("bob", "Bob", ["bob@client.test"])))["bob"]
    await _poison_recording(engine)
    return project, alice, bob


async def test_poison_message_is_retried_kept_failed_and_replayed(
        settings: Settings, engine: Engine) -> None:
    service = await _service_that_retries(settings)
    try:
        async with ApiClient(f"http://127.0.0.1:{service.http_port}", ADMIN_TOKEN) as api:
            project, _alice, bob = await _acme_poisoned(api, engine)
            bcc = [project["addresses"]["bcc"]]

            _, reply = await send_smtp(service.smtp_port, "alice@acme.test", bcc, email(
                "alice@acme.test", "bob@client.test", f"{MARKER} pill",
                message_id="<poison@acme.test>"))
            poisoned_id = reply.rsplit(" ", 1)[-1]
            await send_smtp(service.smtp_port, "alice@acme.test", bcc, email(
                "alice@acme.test", "bob@client.test", "Healthy", message_id="<fine@acme.test>"))
            states = await _watch_until_settled(engine, poisoned_id)

            # Retried with growing delays, then kept as failed with the store's error.
            assert states[-1]["status"] == "failed", states
            assert states[-1]["attempts"] == MAX_ATTEMPTS
            assert TRIGGER_ERROR in states[-1]["last_error"]
            retries = [s for s in states if s["status"] == "queued" and s["last_error"]]
            assert [s["attempts"] for s in retries] == list(range(1, MAX_ATTEMPTS)), states
            for earlier, later in pairwise(retries):
                backoff = timedelta(seconds=RETRY_BASE * 2 ** (later["attempts"] - 1))
                assert later["next_attempt_at"] - earlier["next_attempt_at"] >= backoff

            [failed] = (await api.get("/v1/messages?status=failed"))["items"]
            assert (failed["id"], failed["attempts"]) == (poisoned_id, MAX_ATTEMPTS)
            assert TRIGGER_ERROR in failed["last_error"]
            # The poison did not hold up the healthy message behind it.
            [healthy] = (await api.get("/v1/messages?message_id=<fine@acme.test>"))["items"]
            assert healthy["status"] == "done"
    finally:
        await service.stop()

    await _cure(engine)
    replayed = _replay(settings.database_url)
    assert replayed.returncode == 0, replayed.stderr[-3000:]
    assert "requeued 1 failed message(s); processed 1" in replayed.stdout, replayed.stdout

    [row] = [r for r in await received_rows(engine) if r["id"] == poisoned_id]
    assert row["status"] == "done", row
    service = await start_service(settings, smtp=False, workers=0)
    try:
        async with ApiClient(f"http://127.0.0.1:{service.http_port}", ADMIN_TOKEN) as api:
            subjects = sorted(i["message"]["subject"]
                              for i in await timeline(api, project["id"], bob))
            assert subjects == ["Healthy", f"{MARKER} pill"]
    finally:
        await service.stop()


async def test_log_whose_recording_fails_is_503_kept_and_logged_by_a_worker_once_cured(
        settings: Settings, engine: Engine) -> None:
    # The Log button stores its message in the transaction that records it; when that
    # transaction fails, the message must still be spooled before the 503 tells the caller.
    service = await _service_that_retries(settings)
    try:
        async with ApiClient(f"http://127.0.0.1:{service.http_port}", ADMIN_TOKEN) as api:
            project, alice, bob = await _acme_poisoned(api, engine)
            raw = email("alice@acme.test", "bob@client.test", f"{MARKER} offer",
                        message_id="<poison-log@acme.test>")
            body = {"raw": base64.b64encode(raw).decode(), "user_id": alice["id"],
                    "project_ids": [project["id"]]}

            status, problem = await api.request("POST", "/v1/log", json=body)
            assert (status, problem["type"].rsplit("/", 1)[-1]) == (503, "unavailable")
            assert "is kept and will be processed again" in problem["detail"], problem
            [row] = await received_rows(engine)
            assert (row["status"], row["attempts"]) == ("queued", 1), row
            assert TRIGGER_ERROR in str(row["last_error"])

            await _cure(engine)
            [done] = await eventually(lambda: _done(engine))
            assert done["id"] == row["id"]
            [interaction] = await timeline(api, project["id"], bob)
            assert (interaction["message"]["subject"], interaction["channels"]) == (
                f"{MARKER} offer", ["log"])
            # Clicking Log again answers the stored outcome, still one interaction.
            [outcome] = (await api.post("/v1/log", body))["outcomes"]
            assert (outcome["status"], outcome["interaction_id"]) == ("logged", interaction["id"])
            assert len(await timeline(api, project["id"], bob)) == 1
    finally:
        await service.stop()


async def test_message_refused_in_a_shared_recording_fails_alone(
        settings: Settings, engine: Engine) -> None:
    # A worker records the messages of one claim in one transaction; the store refusing one
    # of them must neither lose nor hold up the others, nor record anything twice.
    service = await _service_that_retries(settings, workers=0, claim_batch=4)
    try:
        async with ApiClient(f"http://127.0.0.1:{service.http_port}", ADMIN_TOKEN) as api:
            project, _alice, bob = await _acme_poisoned(api, engine)
            ids = []
            for number, subject in enumerate(["First", f"{MARKER} second", "Third", "Fourth"]):
                _, reply = await send_smtp(
                    service.smtp_port, "alice@acme.test", [project["addresses"]["bcc"]],
                    email("alice@acme.test", "bob@client.test", subject,
                          message_id=f"<shared-{number}@acme.test>"))
                ids.append(reply.rsplit(" ", 1)[-1])

            assert await _claim_once(service) == 4

            rows = {r["id"]: r for r in await received_rows(engine)}
            assert [rows[i]["status"] for i in ids] == ["done", "queued", "done", "done"]
            refused = rows[ids[1]]
            assert (refused["attempts"], refused["message_id"]) == (1, None)
            assert TRIGGER_ERROR in str(refused["last_error"])
            logged = [i["message"]["subject"] for i in await timeline(api, project["id"], bob)]
            assert sorted(logged) == ["First", "Fourth", "Third"]
            # No decision was stored for it (the rolled-back one is gone with its rows).
            assert "rules_version" not in await api.get(f"/v1/messages/{ids[1]}/decision")
    finally:
        await service.stop()


async def test_claim_is_read_in_one_session_and_a_snapshot_refused_fails_alone(
        settings: Settings, engine: Engine) -> None:
    # A worker reads the snapshots of a claim's messages in one read-only session; a read
    # that fails for one message's data (here a thread row whose project list is JSON null,
    # as a corrupt row would have) must fail that message alone, the others recorded.
    service = await _service_that_retries(settings, workers=0, claim_batch=4)
    try:
        async with ApiClient(f"http://127.0.0.1:{service.http_port}", ADMIN_TOKEN) as api:
            project = await a_project(api, "Acme Homes")
            await a_user(api, "Alice", "alice@acme.test", projects=(project["id"],))
            bob = (await contacts(api, project["id"], ("bob", "Bob", ["bob@client.test"])))["bob"]
            bcc = [project["addresses"]["bcc"]]
            checkouts: list[object] = []
            event.listen(service.store.engine, "checkout",
                         lambda *_args: checkouts.append(1))

            async def send(subject: str, number: int, headers: str = "") -> str:
                _, reply = await send_smtp(service.smtp_port, "alice@acme.test", bcc, email(
                    "alice@acme.test", "bob@client.test", subject, headers=headers,
                    message_id=f"<read-{number}@acme.test>"))
                return reply.rsplit(" ", 1)[-1]

            for number, subject in enumerate(["First", "Second", "Third", "Fourth"]):
                await send(subject, number)
            del checkouts[:]
            assert await _claim_once(service) == 4
            # The claim, the four snapshots, the recording: one connection each.
            assert len(checkouts) == 3
            await execute(engine, "UPDATE threads SET assigned_project_ids = 'null'" + (
                "" if engine.dialect.name == "sqlite" else "::json"))
            ids = [await send("Fifth", 5), await send(
                "Re: First", 6, headers="In-Reply-To: <read-0@acme.test>"), await send("Sixth", 7)]
            assert await _claim_once(service) == 3

            rows = {r["id"]: r for r in await received_rows(engine)}
            assert [rows[i]["status"] for i in ids] == ["done", "queued", "done"]
            assert (rows[ids[1]]["attempts"], rows[ids[1]]["message_id"]) == (1, None)
            assert "TypeError" in str(rows[ids[1]]["last_error"])
            logged = [i["message"]["subject"] for i in await timeline(api, project["id"], bob)]
            assert sorted(logged) == ["Fifth", "First", "Fourth", "Second", "Sixth", "Third"]
    finally:
        await service.stop()


async def _done(engine: Engine) -> list[dict[str, Any]] | None:
    rows = await received_rows(engine)
    return rows if rows and all(r["status"] == "done" for r in rows) else None


LONG_MESSAGE_ID = "<" + "i" * 1100 + "@acme.test>"
LONG_RECIPIENT = "x" * 60 + "@" + ("d" * 60 + ".") * 3 + "test"
STORE_REFUSED_INPUTS = {
    # Each fits SQLite and, before it was made to fit, was refused by PostgreSQL's columns.
    "display name over 320 characters": (
        email('"' + "N" * 400 + '" <alice@acme.test>', "bob@client.test", "Long name",
              message_id="<long-name@acme.test>"), "bob@client.test"),
    "Message-ID over 998 characters": (
        email("alice@acme.test", "bob@client.test", "Long id", message_id=LONG_MESSAGE_ID),
        "bob@client.test"),
    "created contact address over 200 characters": (
        email("alice@acme.test", LONG_RECIPIENT, "Long recipient",
              message_id="<long-rcpt@acme.test>"), LONG_RECIPIENT),
}


@pytest.mark.parametrize("case", list(STORE_REFUSED_INPUTS))
async def test_input_over_a_column_size_is_logged_on_every_backend(
        case: str, service: Service, api: ApiClient, engine: Engine) -> None:
    raw, contact_address = STORE_REFUSED_INPUTS[case]
    project = await a_project(api, "Acme Homes", create_contacts="recipients")
    await a_user(api, "Alice", "alice@acme.test", projects=(project["id"],))
    await contacts(api, project["id"], ("bob", "Bob", ["bob@client.test"]))
    await send_smtp(service.smtp_port, "alice@acme.test", [project["addresses"]["bcc"]], raw)

    async def settled() -> list[dict[str, Any]] | None:
        rows = await received_rows(engine)
        return rows if rows and rows[0]["status"] not in ("queued", "processing") else None

    [row] = await eventually(settled)
    assert (row["status"], row["last_error"], row["attempts"]) == ("done", None, 1)
    [outcome] = (await api.get(f"/v1/messages/{row['id']}/decision"))["outcomes"]
    assert (outcome["address"], outcome["status"]) == (contact_address, "logged")
    [interaction] = await timeline(api, project["id"], outcome["contact_id"])
    assert interaction["channels"] == ["bcc"]


async def test_reply_to_a_message_with_an_over_long_id_joins_its_thread(
        service: Service, api: ApiClient, engine: Engine) -> None:
    project = await a_project(api, "Acme Homes")
    await a_user(api, "Alice", "alice@acme.test", projects=(project["id"],))
    bob = (await contacts(api, project["id"], ("bob", "Bob", ["bob@client.test"])))["bob"]
    bcc = [project["addresses"]["bcc"]]
    await send_smtp(service.smtp_port, "alice@acme.test", bcc, email(
        "alice@acme.test", "bob@client.test", "Long id", message_id=LONG_MESSAGE_ID))
    await eventually(lambda: timeline(api, project["id"], bob))
    await send_smtp(service.smtp_port, "alice@acme.test", bcc, email(
        "alice@acme.test", "bob@client.test", "Re: Long id", message_id="<re@acme.test>",
        headers=f"In-Reply-To: {LONG_MESSAGE_ID}\nReferences: {LONG_MESSAGE_ID}"))

    async def both_logged() -> list[dict[str, Any]] | None:
        items = await timeline(api, project["id"], bob)
        return items if len(items) == 2 else None

    await eventually(both_logged)
    assert {r["status"] for r in await received_rows(engine)} == {"done"}
    threads = await asyncio.to_thread(_distinct_threads, engine)
    assert len(threads) == 1


def _distinct_threads(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        return list(connection.execute(text("SELECT DISTINCT thread_id FROM messages")).all())
