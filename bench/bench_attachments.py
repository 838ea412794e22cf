"""What storing attachments costs: the worker's steps per message, and the end-to-end rate.

    python bench/bench_attachments.py [--worker-sizes-kb 1024,10240] [--rate-sizes-kb 0,100,1024]
                                      [--messages 200] [--database-url postgresql://…] [--write]

1. Worker cost, in this process on a fresh store: a member's BCC to a contact carrying one
   attachment of N KB (random bytes, base64 in the message), through the worker's steps
   (parse; snapshot + verify + decide; record), median of `--repeats`, once with the bytes
   stored (store_bodies true) and once metadata only (store_bodies false). Python's peak
   allocation during parse + record, over the attachment's size, counts the copies made.
2. End-to-end rate: `blindcopy serve` (one worker) in a subprocess; `--sessions` concurrent
   SMTP sessions (aiosmtplib) send `--messages` messages of each size, every attachment
   distinct, bytes stored or metadata only (store_bodies false); first 250 → last
   interaction recorded, from the store; server CPU and peak RSS.

`--write` replaces the "Attachment storage" section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import signal
import statistics
import sys
import tempfile
import time
import tracemalloc
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp
import aiosmtplib
from sqlalchemy import func, select

from bench.bench_smtp import (
    ADMIN_TOKEN,
    collect,
    cpu_seconds,
    fresh_database,
    peak_rss_kib,
    start_blindcopy,
    wait_http,
    wait_processed,
    write_section,
)
from bench.seed import MEMBER, contact_address, free_port, seed_contacts, seed_members
from blindcopy.runtime import build_context, start_service
from config.settings import load_settings
from processing.judging import Job, decide_each, parse, read_snapshots, verify_senders
from processing.record import record
from store.database import create_engine
from store.models import AttachmentContent, ReceivedMessage, new_id
from store.schema import migrate

SECTION = "Attachment storage"


def attached(number: int, size: int) -> bytes:
    """A member's email to contact 0 carrying one attachment of `size` random bytes."""
    message = EmailMessage()
    message["From"] = f"Alice <{MEMBER}>"
    message["To"] = contact_address(0)
    message["Subject"] = f"Documents {number}"
    message["Date"] = "Tue, 24 Nov 2026 10:00:00 +0000"
    message["Message-ID"] = f"<attached-{number}-{os.urandom(6).hex()}@acme.test>"
    message.set_content("Please find the document attached.\n")
    if size:
        message.add_attachment(os.urandom(size), maintype="application", subtype="pdf",
                               filename=f"document-{number}.pdf")
    return message.as_bytes()


async def worker_cost(args: argparse.Namespace, workdir: Path, size: int
                      ) -> dict[str, tuple[float, ...]]:
    """Return, stored and metadata-only: (parse, judge, record ms, peak bytes / size)."""
    results = {}
    with fresh_database(args.database_url, workdir, f"worker{size}") as url:
        settings = load_settings({}, database_url=url, http_port=0, admin_token=ADMIN_TOKEN,
                                 mail_domain="bcc.bench.test")
        service = await start_service(settings, smtp=False, workers=0)
        try:
            base = f"http://127.0.0.1:{service.http_port}"
            directory = await seed_members(base, ADMIN_TOKEN)
            seed_contacts(service.store.engine, directory.project_id, 10)
            ctx = build_context(settings)
            for stored in (True, False):
                async with aiohttp.ClientSession(headers={
                        "Authorization": f"Bearer {ADMIN_TOKEN}"}) as http:
                    await http.patch(f"{base}/v1/projects/{directory.project_id}",
                                     json={"settings": {"store_bodies": stored}})
                runs = [_one_message(service.store, ctx, directory, size, n)
                        for n in range(args.repeats)]
                results["stored" if stored else "metadata only"] = tuple(
                    statistics.median(run[i] for run in runs) for i in range(4))
            ctx.background.close()
        finally:
            await service.stop()
    return results  # type: ignore[return-value]


def _one_message(store, ctx, directory, size: int, number: int  # type: ignore[no-untyped-def]
                 ) -> tuple[float, float, float, float]:
    raw = attached(number, size)
    received = ReceivedMessage(id=new_id(), channel="bcc", raw=raw, mail_from=MEMBER,
                               rcpt_to=[directory.bcc],
                               client_ip="127.0.0.1", helo="bench", released=False,
                               project_ids=[directory.project_id])
    job = Job(received, stored=False)
    # CPU time of this process: on a shared machine, wall-clock time mostly measures the
    # other processes (SQLite writes in this process, so record's I/O is counted too).
    started = time.process_time()
    parse([job], ctx)
    parsed = time.process_time()
    read_snapshots(store, [job], ctx)
    verify_senders([job], ctx)
    decide_each([job], ctx)
    judged = time.process_time()
    record(store, [job], ctx)
    recorded = time.process_time()
    assert job.error is None and job.body is not None, job.error
    # The parse's peak allocation, traced apart (tracing slows it down several times).
    tracemalloc.start()
    parse([Job(received, stored=False)], ctx)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return ((parsed - started) * 1000, (judged - parsed) * 1000, (recorded - judged) * 1000,
            peak / max(size, 1))


async def send_all(port: int, messages: list[bytes], sessions: int, bcc: str) -> float:
    """Send the messages over `sessions` concurrent SMTP sessions; return the seconds."""
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for message in messages:
        queue.put_nowait(message)

    async def session() -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False, timeout=120)
        async with client:
            while not queue.empty():
                await client.sendmail(MEMBER, [bcc], queue.get_nowait())

    started = time.perf_counter()
    await asyncio.gather(*(session() for _ in range(sessions)))
    return time.perf_counter() - started


async def end_to_end(args: argparse.Namespace, workdir: Path, size: int, keep_bytes: bool
                     ) -> tuple[float, float, float, float, int, int]:
    """Return (accepted msg/s, end-to-end msg/s, CPU ms/message, peak RSS MiB, done, stored).

    `keep_bytes`: the project stores bodies (and so attachment bytes), else metadata only.
    """
    with fresh_database(args.database_url, workdir, f"rate{size}{keep_bytes}") as url:
        engine = create_engine(url)
        migrate(engine)
        smtp_port, http_port = free_port(), free_port()
        process = start_blindcopy(url, smtp_port, http_port, 1, workdir / "service.log")
        try:
            await wait_http(f"http://127.0.0.1:{http_port}", process)
            base = f"http://127.0.0.1:{http_port}"
            directory = await seed_members(base, ADMIN_TOKEN)
            seed_contacts(engine, directory.project_id, 10)
            async with aiohttp.ClientSession(headers={
                    "Authorization": f"Bearer {ADMIN_TOKEN}"}) as http:
                await http.patch(f"{base}/v1/projects/{directory.project_id}",
                                 json={"settings": {"store_bodies": keep_bytes}})
            messages = [attached(n, size) for n in range(args.messages)]
            cpu = cpu_seconds(process.pid)
            seconds = await send_all(smtp_port, messages, args.sessions, directory.bcc)
            await wait_processed(engine, args.messages, timeout=args.timeout)
            cpu = cpu_seconds(process.pid) - cpu
            rss = peak_rss_kib(process.pid) / 1024
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
        _, done, _, e2e_seconds, _ = collect(engine)
        with engine.connect() as connection:
            stored = connection.scalar(select(func.count()).select_from(AttachmentContent)) or 0
        engine.dispose()
    return (args.messages / seconds, done / e2e_seconds, cpu / args.messages * 1000, rss,
            done, stored)


def report(args: argparse.Namespace, costs: dict[int, dict[str, tuple[float, ...]]],
           rates: dict[tuple[int, bool], tuple[float, ...]]) -> str:
    backend = "PostgreSQL" if args.database_url and args.database_url.startswith("postgres") \
        else "SQLite (WAL)"
    lines = [f"## {SECTION}", "",
             (f"`python bench/bench_attachments.py --messages {args.messages}` — "
             f"{time.strftime('%Y-%m-%d')}, {platform.python_implementation()} "
             f"{platform.python_version()}, {os.cpu_count()} CPUs, store {backend}."), "",
             ("Worker steps for one message with one attachment, CPU time (median of "
             f"{args.repeats}; peak = Python's peak allocation while parsing, over the "
             "attachment's size):"), "",
             "| attachment | project | parse | snapshot + verify + decide | record | peak / size |",
             "| --- | --- | --- | --- | --- | --- |"]
    for size, by_mode in costs.items():
        for mode, (parse_ms, judge_ms, record_ms, ratio) in by_mode.items():
            lines.append(f"| {size // 1024:,} KiB | {mode} | {parse_ms:.1f} ms | "
                         f"{judge_ms:.1f} ms | {record_ms:.1f} ms | {ratio:.1f} |")
    lines += ["", (f"End to end: `blindcopy serve` with one worker, {args.sessions} SMTP "
              f"sessions, {args.messages} messages per size, every attachment distinct; the "
              "project stores bytes, or metadata only (store_bodies false):"), "",
              ("| attachment | project | accepted | end to end | end to end, attachment MB/s | "
              "server CPU per message | peak RSS | done / contents stored |"),
              "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for (size, keep_bytes), (accepted, rate, cpu, rss, done, stored) in rates.items():
        mode = "stored" if keep_bytes else "metadata only"
        lines.append(f"| {size // 1024:,} KiB | {mode} | {accepted:,.0f} msg/s | "
                     f"{rate:,.1f} msg/s | "
                     f"{rate * size / 1e6:,.1f} | {cpu:.1f} ms | {rss:,.0f} MiB | "
                     f"{done} / {stored} |")
    lines += ["", "Load average (1/5/15 min) when done: "
              + " / ".join(f"{x:.1f}" for x in os.getloadavg())
              + f" on {os.cpu_count()} CPUs (the machine is shared)."]
    return "\n".join(lines) + "\n"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker-sizes-kb", default="1024,10240")
    parser.add_argument("--rate-sizes-kb", default="0,100,1024")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--database-url", help="PostgreSQL URL (default: SQLite temp file)")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    return parser.parse_args()


async def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-attachments-") as folder:
        workdir = Path(folder)
        costs = {kb * 1024: await worker_cost(args, workdir, kb * 1024)
                 for kb in map(int, args.worker_sizes_kb.split(",")) if kb}
        rates = {(kb * 1024, keep): await end_to_end(args, workdir, kb * 1024, keep)
                 for kb in map(int, args.rate_sizes_kb.split(","))
                 for keep in ((True, False) if kb else (True,))}
    text = report(args, costs, rates)
    print(text)
    if args.write:
        write_section(text, ROOT / "BENCHMARKS.md", SECTION)


if __name__ == "__main__":
    asyncio.run(main())
