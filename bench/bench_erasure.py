"""Erasure of an address with 10,000 interactions in a large store, while SMTP accepts mail.

One command:

    python bench/bench_erasure.py [--interactions 1000000] [--database-url postgresql://…]
                                  [--write]

1. A fresh store (SQLite in a temporary directory by default) with `blindcopy serve`
   (2 workers) running on it; a project and a member through the API.
2. Seeded in bulk (SQLAlchemy core): `--interactions` logged emails (thread, message with
   its recipient, interaction), spread over `interactions / 10,000` contacts, so the erased
   address (contact 0, bob@client.test) has 10,000 interactions; and `--received` received
   messages with 1 KB raw bytes and a decision naming their recipient (every 100th is Bob's):
   what a store keeps within its raw retention window.
3. Baseline: smtp-source sends to the project's BCC address in rounds of `--round`
   messages (10 sessions) for `--baseline-seconds`; accepted msg/s and the processed
   msg/s over the same window, with the load average.
4. During: `POST /v1/erasures {address: bob@client.test}` while the same rounds run until
   it answers; the same figures over the erasure's duration, its counts and its duration.

`--write` replaces the "Erasure under SMTP load" section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp
from sqlalchemy import Engine, func, insert, select

from bench.bench_smtp import (
    ADMIN_TOKEN,
    fresh_database,
    run_smtp_source,
    start_blindcopy,
    wait_http,
    write_section,
)
from bench.seed import (
    CHUNK,
    MEMBER,
    contact_address,
    free_port,
    seed_contacts,
    seed_members,
)
from store.database import create_engine
from store.models import (
    Decision,
    Interaction,
    Message,
    ReceivedMessage,
    ReceivedRaw,
    Thread,
)
from store.schema import migrate

SECTION = "Erasure under SMTP load"
ERASED = "bob@client.test"
PER_ADDRESS = 10_000


def _contact_id(run: str, index: int) -> str:
    return f"{run}{index:024d}"


def seed_emails(engine: Engine, project_id: str, count: int, contacts: int, run: str) -> None:
    """Insert `count` logged emails, email i to contact i % contacts, each its own thread."""
    now = datetime.now(UTC)
    for first in range(0, count, CHUNK):
        threads, messages, interactions = [], [], []
        for index in range(first, min(first + CHUNK, count)):
            row_id = f"e{run}{index:023d}"
            to = contact_address(index % contacts)
            threads.append({"id": row_id, "project_id": project_id,
                            "root_id": f"<email-{index}@acme.test>", "subject": "Offer",
                            "participants": [MEMBER, to], "created_at": now})
            messages.append({"id": row_id, "project_id": project_id,
                             "message_id": f"<email-{index}@acme.test>", "thread_id": row_id,
                             "subject": "Offer", "from_address": MEMBER, "from_name": "Alice",
                             "to": [to], "preview": "About the offer.", "created_at": now})
            interactions.append({"id": row_id, "project_id": project_id,
                                 "contact_id": _contact_id(run, index % contacts),
                                 "message_ref": row_id, "thread_id": row_id,
                                 "channels": ["bcc"], "logged_at": now})
        with engine.begin() as connection:
            connection.execute(insert(Thread), threads)
            connection.execute(insert(Message), messages)
            connection.execute(insert(Interaction), interactions)


def seed_received(engine: Engine, project_id: str, count: int, contacts: int) -> None:
    """Insert `count` processed received messages with 1 KB raws and their decisions."""
    now = datetime.now(UTC)
    for first in range(0, count, CHUNK):
        received, raws, decisions = [], [], []
        for index in range(first, min(first + CHUNK, count)):
            row_id = f"r{index:031d}"
            to = ERASED if index % 100 == 0 else contact_address(1 + index % (contacts - 1))
            raw = (f"From: {MEMBER}\r\nTo: {to}\r\nSubject: Offer\r\n"
                   f"Message-ID: <received-{index}@acme.test>\r\n\r\n").encode() + b"x" * 1024
            received.append({"id": row_id, "channel": "bcc", "status": "done",
                             "size": len(raw), "mail_from": MEMBER, "rcpt_to": [],
                             "received_at": now, "processed_at": now, "next_attempt_at": now,
                             "project_ids": [project_id],
                             "message_id": f"<received-{index}@acme.test>"})
            raws.append({"received_message_id": row_id, "raw": raw})
            decisions.append({"id": row_id, "received_message_id": row_id,
                              "rules_version": "bench", "created_at": now, "body": {
                                  "outcomes": [{"address": to, "project_id": project_id,
                                                "status": "logged"}], "trace": []}})
        with engine.begin() as connection:
            connection.execute(insert(ReceivedMessage), received)
            connection.execute(insert(ReceivedRaw), raws)
            connection.execute(insert(Decision), decisions)


@dataclass
class Window:
    """SMTP load over a span of time: accepted and processed messages, load average."""

    seconds: float
    accepted: int
    processed: int
    load: tuple[float, float, float]

    @property
    def accept_rate(self) -> float:
        return self.accepted / self.seconds

    @property
    def process_rate(self) -> float:
        return self.processed / self.seconds


def processed_count(engine: Engine, since: datetime) -> int:
    """Return how many received messages were processed after `since`."""
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(ReceivedMessage).where(
            ReceivedMessage.processed_at > since)) or 0


async def smtp_rounds(port: int, bcc: str, size: int, until: asyncio.Event | None,
                      seconds: float) -> tuple[int, float]:
    """Send rounds of `size` messages until `until` is set (or for `seconds`)."""
    started = time.perf_counter()
    sent = 0
    while True:
        done = until.is_set() if until is not None else time.perf_counter() - started >= seconds
        if done:
            return sent, time.perf_counter() - started
        await asyncio.to_thread(run_smtp_source, port, size, 10, 2048, MEMBER, bcc)
        sent += size


async def measure(args: argparse.Namespace, workdir: Path) -> dict[str, object]:
    with fresh_database(args.database_url, workdir, "erasure") as url:
        engine = create_engine(url)
        migrate(engine)
        smtp_port, http_port = free_port(), free_port()
        base = f"http://127.0.0.1:{http_port}"
        process = start_blindcopy(url, smtp_port, http_port, 2, workdir / "service.log")
        try:
            await wait_http(base, process)
            directory = await seed_members(base, ADMIN_TOKEN)
            contacts = max(args.interactions // PER_ADDRESS, 2)
            run = os.urandom(4).hex()
            started = time.perf_counter()
            seed_contacts(engine, directory.project_id, contacts, run=run)
            seed_emails(engine, directory.project_id, args.interactions, contacts, run)
            seed_received(engine, directory.project_id, args.received, contacts)
            seed_seconds = time.perf_counter() - started
            print(f"seeded {args.interactions:,} interactions, {args.received:,} received "
                  f"in {seed_seconds:.0f} s", flush=True)

            since = datetime.now(UTC)
            sent, seconds = await smtp_rounds(smtp_port, directory.bcc, args.round, None,
                                              args.baseline_seconds)
            baseline = Window(seconds, sent, processed_count(engine, since), os.getloadavg())
            print(f"baseline: {baseline}", flush=True)

            since = datetime.now(UTC)
            finished = asyncio.Event()
            async def erase() -> tuple[dict[str, int], float]:
                began = time.perf_counter()
                headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
                async with aiohttp.ClientSession(headers=headers) as http, http.post(
                        f"{base}/v1/erasures", json={"address": ERASED},
                        timeout=aiohttp.ClientTimeout(total=3600)) as answer:
                    body = await answer.json()
                    assert answer.status == 200, body
                finished.set()
                return body, time.perf_counter() - began
            erasure = asyncio.create_task(erase())
            sent, seconds = await smtp_rounds(smtp_port, directory.bcc, args.round, finished, 0)
            counts, erase_seconds = await erasure
            during = Window(seconds, sent, processed_count(engine, since), os.getloadavg())
            print(f"during: {during}; erasure {counts} in {erase_seconds:.1f} s", flush=True)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=120)
            engine.dispose()
    return {"baseline": baseline, "during": during, "counts": counts,
            "erase_seconds": erase_seconds, "seed_seconds": seed_seconds,
            "backend": "PostgreSQL" if args.database_url else "SQLite"}


def report(args: argparse.Namespace, result: dict[str, object]) -> str:
    baseline, during = result["baseline"], result["during"]
    assert isinstance(baseline, Window) and isinstance(during, Window)
    counts = result["counts"]
    lines = [
        f"## {SECTION}",
        "",
        (f"`python bench/bench_erasure.py --interactions {args.interactions} --received "
        f"{args.received}` on {result['backend']}, one `blindcopy serve` with 2 workers, "
        f"{os.cpu_count()} CPUs shared with other work (load averages below). The store holds "
        f"{args.interactions:,} interactions (bulk-seeded in {result['seed_seconds']:.0f} s), "
        f"10,000 of them on bob@client.test, and {args.received:,} received messages with "
        "raw bytes and decisions (1 % of them Bob's). smtp-source sends rounds of "
        f"{args.round} messages (10 sessions, 2 KB) to the project's BCC address; the "
        "erasure runs in transactions of 500 rows, each table scanned in windows of its "
        "primary key."),
        "",
        "| | SMTP accepted msg/s | processed msg/s | messages | seconds | load average (1, 5, 15 min) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, window in (("without erasure", baseline), ("during the erasure", during)):
        lines.append(f"| {name} | {window.accept_rate:,.0f} | {window.process_rate:,.0f} | "
                     f"{window.accepted:,} | {window.seconds:.1f} | "
                     + ", ".join(f"{x:.2f}" for x in window.load) + " |")
    lines += ["", (f"The erasure answered in {result['erase_seconds']:.1f} s with "
              f"`{json.dumps(counts)}`; SMTP kept accepting throughout (every round's "
              "messages were accepted), at "
              f"{during.accept_rate / baseline.accept_rate:.0%} of the rate without it."), ""]
    return "\n".join(lines)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--received", type=int, default=50_000)
    parser.add_argument("--round", type=int, default=200, help="messages per smtp-source run")
    parser.add_argument("--baseline-seconds", type=float, default=20.0)
    parser.add_argument("--database-url", help="PostgreSQL URL (default: SQLite temp file)")
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    return parser.parse_args()


async def main() -> None:
    args = parse_args()
    if shutil.which("smtp-source") is None:
        sys.exit("smtp-source not found: apt-get install postfix")
    workdir = Path(tempfile.mkdtemp(prefix="blindcopy-erasure-"))
    try:
        result = await measure(args, workdir)
        text = report(args, result)
        print(text)
        if args.write:
            write_section(text, ROOT / "BENCHMARKS.md", SECTION)
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
