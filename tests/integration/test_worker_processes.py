"""`serve`'s child worker processes: started with the same settings, process spooled mail, stop."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from blindcopy.child_processes import Children
from config.settings import Settings
from store import spool
from store.database import Store
from store.models import ReceivedMessage

RAW = (b"From: alice@acme.test\r\nTo: bob@client.test\r\nSubject: Hi\r\n"
       b"Message-ID: <child-1@acme.test>\r\n\r\nHello\r\n")


async def test_child_worker_process_processes_a_spooled_message_and_stops(
    settings: Settings, store: Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BLINDCOPY_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("BLINDCOPY_WORKERS", "1")
    with store.write() as session:
        received = spool.enqueue(session, ReceivedMessage(
            channel="log", raw=RAW, user_id=None, project_ids=[]))
    children = Children(None)
    await children.start_workers(1)
    [pid] = children.pids
    try:
        status = ""
        for _ in range(150):
            with store.read() as session:
                status = session.execute(select(ReceivedMessage.status).where(
                    ReceivedMessage.id == received.id)).scalar_one()
            if status not in (spool.QUEUED, spool.PROCESSING):
                break
            await asyncio.sleep(0.2)
        with store.read() as session:
            claimed_by = session.execute(select(ReceivedMessage.claimed_by).where(
                ReceivedMessage.id == received.id)).scalar_one()
    finally:
        await children.stop()
    assert status == spool.DONE
    assert claimed_by is not None and f":{os.getpid()}/" not in claimed_by
    assert not Path(f"/proc/{pid}").exists()
