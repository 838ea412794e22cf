"""Measure the console's pages and the notice sender on loopback (SQLite in a temp folder).

    python bench/bench_console.py [--messages 50] [--notices 200]

1. Starts the API (no SMTP, no workers), logs `--messages` emails to an address that is not
   a contact (each one a row of the Unmatched page), signs in and times GET /console/unmatched
   and GET /console/pending (median and 95th percentile of 50 requests each).
2. Writes `--notices` notices into the outbox and times `send_due_notices` emptying it
   through aiosmtpd's Controller on 127.0.0.1 (notices per second).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from blindcopy.runtime import start_service  # noqa: E402
from config.settings import load_settings  # noqa: E402
from processing.notice_sender import Relay, send_due_notices  # noqa: E402
from store.database import Store, create_engine  # noqa: E402
from store.models import Notice, ReceivedMessage, User, utcnow  # noqa: E402
from store.schema import migrate  # noqa: E402

ADMIN = "bench-admin-token"


class Sink:
    """A relay that takes every message."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.count += 1
        return "250 OK"


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"median {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


async def _pages(folder: Path, messages: int) -> None:
    settings = load_settings({}, database_url=f"sqlite:///{folder}/pages.db", smtp_port=0,
                             http_port=0, admin_token=ADMIN, secret="bench-secret",
                             workers=0)
    service = await start_service(settings, smtp=False, workers=0)
    base = f"http://127.0.0.1:{service.http_port}"
    admin = {"Authorization": f"Bearer {ADMIN}"}
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.post(f"{base}/v1/projects", headers=admin,
                             json={"name": "Acme", "settings": {"sender_auth": "none"}}) as r:
            project = await r.json()
        async with http.post(f"{base}/v1/users", headers=admin,
                             json={"name": "Alice", "email": "alice@acme.test"}) as r:
            alice = await r.json()
        await http.put(f"{base}/v1/projects/{project['id']}/members/{alice['id']}",
                       headers=admin)
        for number in range(messages):
            raw = (f"From: alice@acme.test\r\nTo: lead{number}@client.test\r\n"
                   f"Subject: Offer {number}\r\nMessage-ID: <o{number}@acme.test>\r\n\r\n"
                   "Hello\r\n").encode()
            await http.post(f"{base}/v1/log", headers=admin, json={
                "raw": base64.b64encode(raw).decode(), "project_ids": [project["id"]],
                "user_id": alice["id"]})
        await http.post(f"{base}/console/sign-in", data={"token": ADMIN})
        for path in ("/console/unmatched", "/console/pending"):
            samples = []
            for _ in range(50):
                started = time.perf_counter()
                async with http.get(base + path) as response:
                    assert response.status == 200
                    await response.read()
                samples.append(time.perf_counter() - started)
            print(f"GET {path} ({messages} unmatched rows): {_percentiles(samples)}")
    await service.stop()


def _notices(folder: Path, count: int) -> None:
    settings = load_settings({}, database_url=f"sqlite:///{folder}/notices.db")
    engine = create_engine(settings.database_url)
    migrate(engine)
    store = Store(engine)
    with store.write() as session:
        user = User(name="Alice", email="alice@acme.test", aliases=[])
        session.add(user)
        session.flush()
        for number in range(count):
            received = ReceivedMessage(raw=b"Subject: x\r\n\r\nx", channel="bcc",
                                       status="done")
            session.add(received)
            session.flush()
            session.add(Notice(received_message_id=received.id, user_id=user.id,
                               to_address=user.email, subject=f"Not logged: Offer {number}",
                               body="- bob@client.test: not logged. " * 8, in_reply_to="",
                               next_attempt_at=utcnow()))
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    relay = Relay("127.0.0.1", controller.port, "blindcopy@crm.example.test")
    started = time.perf_counter()
    while send_due_notices(store, relay, utcnow()):
        pass
    elapsed = time.perf_counter() - started
    controller.stop()
    store.close()
    assert sink.count == count, (sink.count, count)
    print(f"notices: {count} sent in {elapsed:.2f} s ({count / elapsed:.0f}/s, batches of 20)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument("--notices", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(_pages(Path(folder), args.messages))
        _notices(Path(folder), args.notices)


if __name__ == "__main__":
    main()
