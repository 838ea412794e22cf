"""GET /readyz says whether the spool can commit, not only whether the store answers.

A load balancer routes by readiness: an instance whose every DATA gets 451 must say so.
Two real ways the store stops taking writes while still answering queries:

- SQLite's file system is full. The test mounts a tmpfs of its own (1 MiB) for the
  database and fills it with a file (the sandbox and CI run as root; where mounting is not
  allowed the test is skipped and says so). On PostgreSQL the database is elsewhere, so
  this test runs on SQLite only.
- The database accepts no writes (a PostgreSQL standby after a failover; a read-only
  SQLite): every connection of the running service is made read-only
  (`SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY`, `PRAGMA query_only`).

Each time the gateway's DATA answer shows the spool really cannot commit (451), /readyz
answers 503, and both recover once the store does.
"""

from __future__ import annotations

import errno
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from blindcopy.runtime import Service, start_service
from config.settings import Settings
from tests.client import ApiClient, eventually
from tests.conftest import ADMIN_TOKEN
from tests.database import POSTGRES_URL
from tests.directory import a_project, email
from tests.hostility.raw_smtp import RawSmtp

OK = 250
STORE_UNAVAILABLE = 451
NOT_READY = 503
UNAVAILABLE_TYPE = "https://blindcopy.dev/problems/unavailable"
FILE_SYSTEM_BYTES = 1024 * 1024
MESSAGE_LIMIT = 16 * 1024


@pytest.fixture
def small_file_system(tmp_path: Path) -> Iterator[Path]:
    """Mount a 1 MiB tmpfs of the test's own; unmount it afterwards."""
    mount_point = tmp_path / "full"
    mount_point.mkdir()
    try:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={FILE_SYSTEM_BYTES}",
                                  "tmpfs", str(mount_point)], check=False, capture_output=True,
                                 text=True)
    except OSError as error:
        pytest.skip(f"cannot mount a tmpfs here: {error}")
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(directory: Path) -> Path:
    """Write a file until the file system refuses more (ENOSPC); return the file."""
    filler = directory / f"filler-{uuid.uuid4().hex}"
    with filler.open("wb", buffering=0) as output:
        try:
            while True:
                output.write(b"\0" * 4096)
        except OSError as error:
            assert error.errno == errno.ENOSPC, error
    return filler


async def readiness(api: ApiClient) -> tuple[int, Any]:
    """Return the status and body of GET /readyz."""
    return await api.request("GET", "/readyz")


async def data_reply(service: Service, bcc: str, subject: str) -> int:
    """Send one message; return the code of the DATA reply."""
    async with await RawSmtp.connect(service.smtp_port) as client:
        assert (await client.greet()).code == OK
        assert (await client.command("MAIL FROM:<alice@acme.test>")).code == OK
        assert (await client.command(f"RCPT TO:<{bcc}>")).code == OK
        assert (await client.command("DATA")).code == 354
        await client.send(email("alice@acme.test", "bob@client.test", subject) + b".\r\n")
        return (await client.reply()).code


@pytest.fixture
async def full_disk_service(settings: Settings, small_file_system: Path
                            ) -> AsyncIterator[Service]:
    """Run the service on a SQLite database inside the small file system."""
    if POSTGRES_URL:
        pytest.skip("the full file system is SQLite's; PostgreSQL's disk is the server's")
    url = f"sqlite:///{small_file_system / 'blindcopy.db'}"
    running = await start_service(replace(settings, database_url=url,
                                          max_message_size=MESSAGE_LIMIT), workers=0)
    yield running
    await running.stop()


async def test_readyz_is_503_while_the_sqlite_file_system_is_full(
        full_disk_service: Service, small_file_system: Path) -> None:
    service = full_disk_service
    async with ApiClient(f"http://127.0.0.1:{service.http_port}", ADMIN_TOKEN) as api:
        bcc = (await a_project(api, "Acme Homes"))["addresses"]["bcc"]
        assert (await readiness(api))[0] == 200
        filler = fill(small_file_system)

        assert await data_reply(service, bcc, "while full") == STORE_UNAVAILABLE
        status, body = await readiness(api)
        assert (status, body["type"]) == (NOT_READY, UNAVAILABLE_TYPE), body
        assert "free" in body["detail"]

        filler.unlink()
        assert await eventually(lambda: _ready(api))
        assert await data_reply(service, bcc, "after") == OK


async def _ready(api: ApiClient) -> bool:
    return (await readiness(api))[0] == 200


def _read_only(dbapi_connection: Any, _record: Any) -> None:
    """Make a new store connection refuse writes, as a standby or read-only file does."""
    cursor = dbapi_connection.cursor()
    if POSTGRES_URL:
        cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    else:
        cursor.execute("PRAGMA query_only = ON")
    cursor.close()
    # SET is transactional on PostgreSQL: keep it past the connection's first transaction.
    dbapi_connection.commit()


@pytest.fixture
async def idle_service(settings: Settings) -> AsyncIterator[Service]:
    """Run the gateway and the API without workers (the test swaps the store's pool)."""
    running = await start_service(settings, workers=0)
    yield running
    await running.stop()


async def test_readyz_is_503_while_the_database_accepts_no_writes(
        idle_service: Service) -> None:
    service = idle_service
    async with ApiClient(f"http://127.0.0.1:{service.http_port}", ADMIN_TOKEN) as api:
        await _check_read_only_store(service, api)


async def _check_read_only_store(service: Service, api: ApiClient) -> None:
    bcc = (await a_project(api, "Acme Homes"))["addresses"]["bcc"]
    engine = service.store.engine
    event.listen(engine, "connect", _read_only)
    engine.dispose()
    try:
        assert await data_reply(service, bcc, "read-only") == STORE_UNAVAILABLE
        status, body = await readiness(api)
        assert (status, body["type"]) == (NOT_READY, UNAVAILABLE_TYPE), body
        assert "writes" in body["detail"]
    finally:
        event.remove(engine, "connect", _read_only)
        engine.dispose()
    assert await eventually(lambda: _ready(api))
    assert await data_reply(service, bcc, "writable again") == OK
