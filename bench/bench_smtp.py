"""SMTP throughput end to end, against a bare aiosmtpd ceiling, and decision time vs directory size.

One command:

    python bench/bench_smtp.py [--messages 2000] [--database-url postgresql://…] [--write]

1. Ceiling: Postfix's smtp-source (20 sessions, ~10 KB messages) against an aiosmtpd server
   that accepts and discards (bench/bare_smtp_server.py).
2. blindcopy, once per layout (`--layouts serve,split`): `serve` is one `blindcopy serve`
   process doing everything; `split` is `blindcopy serve` with no workers (SMTP + API) plus
   `--worker-processes` `blindcopy worker` processes, as deploy/ runs them. SQLite in a
   temporary directory by default; a project with 100,000 contacts (bulk insert); the same
   smtp-source load to its BCC address from a member, with a `Cc:` of a contact so every
   message is logged. From the store: accepted msg/s, end-to-end msg/s (first accept → last
   interaction recorded), p50/p99 latency from the 250 to the interaction, zero messages
   lost; peak RSS and CPU summed over the layout's processes.
3. Decision time (snapshot + rules.decide per message) with 1,000, 100,000 and 1,000,000
   contacts in the project, each with one email logged on it before (its history: as many
   threads and interactions as contacts), measured in this process on a fresh store each;
   every other message is a reply to one of those emails, so the thread look-ups run.

smtp-source writes its own From, To (the RCPT address), Date and a unique Message-Id; the
`Cc:` header is added through its -S subject argument (a CRLF in the subject).
`--write` replaces the "SMTP throughput and decision time" section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp
import psycopg
from sqlalchemy import Engine, func, select

from bench.seed import (
    MEMBER,
    contact_address,
    free_port,
    history_message_id,
    seed_contacts,
    seed_history,
    seed_members,
)
from blindcopy.runtime import build_context, start_service
from blindcopy.settings import load_settings
from processing.judging import Job, decide_each, parse, read_snapshots, verify_senders
from store.database import create_engine
from store.models import Interaction, Message, ReceivedMessage
from store.schema import migrate

ADMIN_TOKEN = "bench-admin-token"
SECTION = "SMTP throughput and decision time"
SUBJECT = "Offer\r\nCc: Bob <bob@client.test>"


@dataclass
class LoadResult:
    """What one smtp-source run measured."""

    messages: int
    seconds: float
    # CPU seconds the server process spent (user + system) while handling the messages.
    server_cpu: float = 0.0

    @property
    def rate(self) -> float:
        """Return accepted messages per second."""
        return self.messages / self.seconds


@dataclass
class ServiceResult:
    """Everything measured on blindcopy under the smtp-source load."""

    layout: Layout
    load: LoadResult
    received: int
    done: int
    interactions: int
    end_to_end_seconds: float
    latencies: list[float]
    peak_rss_kib: int
    seed_seconds: float

    @property
    def end_to_end_rate(self) -> float:
        """Return processed messages per second, first accept to last interaction."""
        return self.done / self.end_to_end_seconds


def run_smtp_source(port: int, messages: int, sessions: int, size: int, sender: str,
                    recipient: str) -> LoadResult:
    """Drive 127.0.0.1:port with smtp-source; return how long the messages took."""
    command = ["smtp-source", "-s", str(sessions), "-m", str(messages), "-l", str(size),
               "-f", sender, "-t", recipient, "-S", SUBJECT, f"127.0.0.1:{port}"]
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    seconds = time.perf_counter() - started
    if completed.returncode != 0 or completed.stderr.strip():
        raise RuntimeError(f"smtp-source failed: {completed.stderr.strip()[:500]}")
    return LoadResult(messages, seconds)


def measure_bare(args: argparse.Namespace) -> LoadResult:
    """Measure the accept rate of an aiosmtpd server that discards everything."""
    port = free_port()
    server = subprocess.Popen([sys.executable, str(ROOT / "bench" / "bare_smtp_server.py"),
                               str(port)], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        cpu = cpu_seconds(server.pid)
        result = run_smtp_source(port, args.messages, args.sessions, args.size,
                                 MEMBER, "anyone@bare.test")
        result.server_cpu = cpu_seconds(server.pid) - cpu
        return result
    finally:
        server.terminate()
        server.wait()


@contextmanager
def fresh_database(base_url: str | None, workdir: Path, name: str) -> Iterator[str]:
    """Yield the URL of an empty database: a SQLite file, or a PostgreSQL schema."""
    if not base_url or base_url.startswith("sqlite"):
        yield f"sqlite:///{workdir / (name + '.db')}"
        return
    schema = f"bench_{name}_{uuid.uuid4().hex[:8]}"
    dsn = base_url.split("?", 1)[0].replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        try:
            separator = "&" if "?" in base_url else "?"
            yield f"{base_url}{separator}search_path={schema}"
        finally:
            admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def cpu_seconds(pid: int) -> float:
    """Return the CPU time (user + system) a live process has used, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_kib(pid: int) -> int:
    """Return the peak resident set size (VmHWM) of a live process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


async def wait_http(base_url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Wait until the service answers /healthz."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError("the service exited during start-up")
            try:
                async with http.get(base_url + "/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("the service did not start")


def start_blindcopy(database_url: str, smtp_port: int, http_port: int, workers: int,
                    log_path: Path, command: str = "serve", serve_processes: int = 1
                    ) -> subprocess.Popen[bytes]:
    """Start `blindcopy serve` (or `worker`) on this checkout, limits opened for one-IP load."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BLINDCOPY_DATABASE_URL": database_url,
           "BLINDCOPY_SERVE_PROCESSES": str(serve_processes),
           "BLINDCOPY_SMTP_PORT": str(smtp_port), "BLINDCOPY_HTTP_PORT": str(http_port),
           "BLINDCOPY_ADMIN_TOKEN": ADMIN_TOKEN, "BLINDCOPY_WORKERS": str(workers),
           "BLINDCOPY_SECRET": "bench-secret",
           "BLINDCOPY_MAIL_DOMAIN": "bcc.bench.test",
           "BLINDCOPY_MAX_CONNECTIONS_PER_IP": "10000",
           "BLINDCOPY_MAX_MESSAGES_PER_MINUTE": "100000000"}
    with log_path.open("ab") as log:
        return subprocess.Popen([sys.executable, "-m", "blindcopy.cli", command], cwd=ROOT,
                                env=env, stdout=log, stderr=log)


@dataclass(frozen=True)
class Layout:
    """How the service runs: one `serve` with workers, or a gateway plus worker processes."""

    name: str
    serve_workers: int
    worker_processes: int
    workers_per_process: int

    def describe(self) -> str:
        """Return the layout in words for the report."""
        if not self.worker_processes:
            return f"one `blindcopy serve` process with {_workers(self.serve_workers)}"
        return (f"`blindcopy serve` with no workers (SMTP + API) and {self.worker_processes} "
                f"`blindcopy worker` processes of {_workers(self.workers_per_process)} each")


def _workers(count: int) -> str:
    return f"{count} worker" + ("" if count == 1 else "s")


def layouts(args: argparse.Namespace) -> list[Layout]:
    """Return the layouts `--layouts` names, in its order."""
    known = {"serve": Layout("serve", args.workers, 0, 0),
             "split": Layout("split", 0, args.worker_processes, args.workers_per_process)}
    return [known[name] for name in args.layouts.split(",")]


def start_layout(layout: Layout, url: str, smtp_port: int, http_port: int,
                 workdir: Path) -> list[subprocess.Popen[bytes]]:
    """Start the layout's processes; the first is `serve`."""
    log = workdir / f"service-{layout.name}.log"
    processes = [start_blindcopy(url, smtp_port, http_port, layout.serve_workers, log)]
    processes += [start_blindcopy(url, 0, 0, layout.workers_per_process, log, "worker")
                  for _ in range(layout.worker_processes)]
    return processes


async def wait_processed(engine: Engine, expected: int, timeout: float) -> None:
    """Wait until `expected` messages are received and none is queued or processing."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            total = connection.scalar(select(func.count()).select_from(ReceivedMessage))
            open_ = connection.scalar(select(func.count()).select_from(
                ReceivedMessage).where(ReceivedMessage.status.in_(("queued", "processing"))))
        if (total or 0) >= expected and open_ == 0:
            return
        await asyncio.sleep(0.5)
    raise RuntimeError(f"not every message was processed within {timeout} s")


def collect(engine: Engine) -> tuple[int, int, int, float, list[float]]:
    """Return received, done, interactions, first accept → last record, per-message latency.

    A message's interaction is found through the message row its capture recorded
    (`messages.received_id`): each benchmark message has a Message-ID of its own.
    """
    with engine.connect() as connection:
        received = connection.execute(select(
            ReceivedMessage.status, ReceivedMessage.received_at, ReceivedMessage.id)).all()
        logged = dict(connection.execute(select(
            Message.received_id, func.min(Interaction.logged_at))
            .join(Message, Message.id == Interaction.message_ref)
            .group_by(Message.received_id)).all())
    done = sum(1 for status, _, _ in received if status == "done")
    latencies = [(logged[ref] - at).total_seconds() for _, at, ref in received if ref in logged]
    first = min(at for _, at, _ in received)
    last = max(logged.values())
    return len(received), done, len(logged), (last - first).total_seconds(), latencies


async def measure_service(args: argparse.Namespace, workdir: Path, layout: Layout,
                          before_load: Callable[[str], Awaitable[None]] | None = None
                          ) -> ServiceResult:
    """Run blindcopy in `layout` under the smtp-source load and measure it from its store.

    `before_load(api_url)` runs once the project is seeded, before the load (e.g. to
    register a webhook, bench/bench_events.py).
    """
    with fresh_database(args.database_url, workdir, f"service_{layout.name}") as url:
        engine = create_engine(url)
        migrate(engine)
        smtp_port, http_port = free_port(), free_port()
        processes = start_layout(layout, url, smtp_port, http_port, workdir)
        pids = [process.pid for process in processes]
        try:
            await wait_http(f"http://127.0.0.1:{http_port}", processes[0])
            directory = await seed_members(f"http://127.0.0.1:{http_port}", ADMIN_TOKEN)
            seed_seconds = seed_contacts(engine, directory.project_id, args.contacts)
            if before_load is not None:
                await before_load(f"http://127.0.0.1:{http_port}")
            cpu = sum(cpu_seconds(pid) for pid in pids)
            load = await asyncio.to_thread(run_smtp_source, smtp_port, args.messages,
                                           args.sessions, args.size, MEMBER, directory.bcc)
            await wait_processed(engine, args.messages, timeout=args.timeout)
            load.server_cpu = sum(cpu_seconds(pid) for pid in pids) - cpu
            rss = sum(peak_rss_kib(pid) for pid in pids)
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                process.wait(timeout=30)
        received, done, interactions, seconds, latencies = collect(engine)
        engine.dispose()
    return ServiceResult(layout, load, received, done, interactions, seconds, latencies, rss,
                         seed_seconds)


def _decision_message(number: int, contacts: int, rng: random.Random) -> bytes:
    """A new message to two random contacts; odd-numbered ones reply to a logged email."""
    replied = rng.randrange(contacts)
    to = contact_address(replied if number % 2 else rng.randrange(contacts))
    cc = contact_address(rng.randrange(contacts))
    reply = (f"In-Reply-To: {history_message_id(replied)}\r\n"
             f"References: {history_message_id(replied)}\r\n") if number % 2 else ""
    body = ("Hello,\r\n\r\nHere is the offer we discussed.\r\n" * 200).encode()
    return (f"From: Alice <{MEMBER}>\r\nTo: {to}\r\nCc: {cc}, unknown{number}@else.test\r\n"
            f"Subject: Offer {number}\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\n"
            f"Message-ID: <decision-{number}@acme.test>\r\n{reply}\r\n").encode() + body


async def measure_decision(args: argparse.Namespace, workdir: Path, contacts: int
                           ) -> tuple[float, float, float, float]:
    """Return (seed seconds, mean, p50, p99 ms) of snapshot + decide with `contacts`."""
    with fresh_database(args.database_url, workdir, f"decide{contacts}") as url:
        settings = load_settings({}, database_url=url, http_port=0, admin_token=ADMIN_TOKEN,
                                 mail_domain="bcc.bench.test")
        service = await start_service(settings, smtp=False, workers=0)
        try:
            directory = await seed_members(f"http://127.0.0.1:{service.http_port}",
                                           ADMIN_TOKEN)
            run = uuid.uuid4().hex[:8]
            store = service.store
            seed_seconds = seed_contacts(store.engine, directory.project_id, contacts, run=run)
            seed_seconds += seed_history(store.engine, directory.project_id, contacts,
                                         contacts, run)
            ctx = build_context(settings)
            rng = random.Random(contacts)
            timings = []
            for number in range(args.decisions):
                received = ReceivedMessage(
                    channel="bcc", raw=_decision_message(number, contacts, rng),
                    mail_from=MEMBER, rcpt_to=[directory.bcc], client_ip="127.0.0.1",
                    helo="bench", released=False, project_ids=[directory.project_id])
                job = Job(received, stored=False)
                parse([job], ctx)
                started = time.perf_counter()
                # The project's sender_auth is none: no DNS, snapshot and rules only.
                read_snapshots(store, [job], ctx)
                verify_senders([job], ctx)
                decide_each([job], ctx)
                timings.append((time.perf_counter() - started) * 1000)
                assert job.error is None and job.decision is not None, job.error
                decision = job.decision
                assert any(o.status == "logged" for o in decision.outcomes), decision.outcomes
            ctx.background.close()
        finally:
            await service.stop()
    timings.sort()
    return (seed_seconds, statistics.fmean(timings), percentile(timings, 50),
            percentile(timings, 99))


def percentile(values: list[float], pct: float) -> float:
    """Return the pct-th percentile (nearest rank) of sorted `values`."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def _rows(bare: LoadResult, service: ServiceResult) -> list[tuple[str, str]]:
    """Return (measure, value) rows for one layout's run."""
    lost = service.load.messages - service.done
    lat = sorted(service.latencies)
    return [
        ("blindcopy: accepted (250 after the spool commit)", f"{service.load.rate:,.0f} msg/s"),
        ("blindcopy: end to end (first 250 → last interaction recorded)",
         f"{service.end_to_end_rate:,.0f} msg/s"),
        ("end to end / bare accept rate",
         f"{service.end_to_end_rate / bare.rate:.2f} (target ≥ 0.5)"),
        ("accepted / bare accept rate", f"{service.load.rate / bare.rate:.2f}"),
        ("latency 250 → interaction recorded, p50 / p99",
         f"{percentile(lat, 50) * 1000:,.0f} ms / {percentile(lat, 99) * 1000:,.0f} ms"),
        ("messages sent / received / done / logged",
         f"{service.load.messages} / {service.received} / {service.done} / "
         f"{service.interactions} ({'none lost' if lost == 0 else f'{lost} LOST'})"),
        ("peak RSS, summed over the service's processes",
         f"{service.peak_rss_kib / 1024:,.0f} MiB"),
        ("server CPU per message (accept + process, all processes); bare: "
         f"{bare.server_cpu / bare.messages * 1000:.2f} ms",
         f"{service.load.server_cpu / service.load.messages * 1000:.2f} ms"),
    ]


def report(args: argparse.Namespace, bare: LoadResult, services: list[ServiceResult],
           decisions: dict[int, tuple[float, float, float, float]]) -> str:
    """Return the markdown section with every number of this run."""
    backend = "PostgreSQL" if args.database_url and args.database_url.startswith("postgres") \
        else "SQLite (WAL)"
    table = [_rows(bare, service) for service in services]
    lines = [
        f"## {SECTION}", "",
        f"`python bench/bench_smtp.py --messages {args.messages} --layouts {args.layouts}"
        + (" --database-url …" if args.database_url else "") + "` — "
        f"{time.strftime('%Y-%m-%d')}, {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} CPUs, store {backend}. "
        f"Load: Postfix smtp-source, {args.sessions} concurrent sessions, {args.messages} "
        f"messages of {args.size} bytes of body, from a member to the project's BCC address "
        f"with a contact in Cc; the project has {args.contacts:,} contacts (bulk-seeded in "
        f"{services[0].seed_seconds:.1f} s). Layouts: "
        + "; ".join(f"**{s.layout.name}**: {s.layout.describe()}" for s in services) + ".",
        "",
        f"Bare aiosmtpd (accept and discard), same load, same run: **{bare.rate:,.0f} msg/s** "
        f"accepted.", "",
        "| measure | " + " | ".join(s.layout.name for s in services) + " |",
        "| --- |" + " --- |" * len(services),
    ]
    for index, (measure, _value) in enumerate(table[0]):
        lines.append(f"| {measure} | " + " | ".join(rows[index][1] for rows in table) + " |")
    lines += [
        "",
        f"Load average (1 min) when done: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
        "(the machine is shared).", "",
        "Decision time (directory snapshot with indexed look-ups + `rules.decide`, per "
        f"message, {args.decisions} messages each with two random contacts and an unknown "
        "address, every other one a reply to an email logged before; measured in-process on "
        "a fresh store whose project has logged one email on each contact):", "",
        "| contacts in the project | emails logged before | seeding | mean | p50 | p99 |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for count, (seed, mean, p50, p99) in decisions.items():
        lines.append(f"| {count:,} | {count:,} | {seed:.1f} s | {mean:.2f} ms | "
                     f"{p50:.2f} ms | {p99:.2f} ms |")
    return "\n".join(lines) + "\n"


def write_section(text: str, path: Path, section: str = SECTION) -> None:
    """Replace (or append) one benchmark's section of BENCHMARKS.md, leaving others alone."""
    existing = path.read_text() if path.exists() else "# Benchmarks\n"
    header = f"## {section}"
    if header not in existing:
        path.write_text(existing.rstrip("\n") + "\n\n" + text)
        return
    start = existing.index(header)
    following = existing.find("\n## ", start + len(header))
    tail = "" if following < 0 else "\n" + existing[following + 1:]
    path.write_text(existing[:start] + text + tail)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--size", type=int, default=10240, help="body bytes per message")
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--layouts", default="serve,split",
                        help="comma-separated: serve (one process), split (gateway + workers)")
    parser.add_argument("--workers", type=int, default=1, help="workers in `serve` (layout serve)")
    parser.add_argument("--worker-processes", type=int, default=2,
                        help="`blindcopy worker` processes (layout split)")
    parser.add_argument("--workers-per-process", type=int, default=1,
                        help="workers in each `blindcopy worker` process (layout split)")
    parser.add_argument("--database-url", help="PostgreSQL URL (default: SQLite temp file)")
    parser.add_argument("--decision-sizes", default="1000,100000,1000000")
    parser.add_argument("--decisions", type=int, default=300)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--skip-decision", action="store_true")
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    return parser.parse_args()


async def main() -> None:
    args = parse_args()
    if shutil.which("smtp-source") is None:
        sys.exit("smtp-source not found: apt-get install postfix")
    workdir = Path(tempfile.mkdtemp(prefix="blindcopy-bench-"))
    try:
        bare = measure_bare(args)
        print(f"bare aiosmtpd: {bare.rate:,.0f} msg/s", flush=True)
        services = []
        for layout in layouts(args):
            service = await measure_service(args, workdir, layout)
            services.append(service)
            print(f"blindcopy ({layout.name}): accepted {service.load.rate:,.0f} msg/s, "
                  f"end to end {service.end_to_end_rate:,.0f} msg/s", flush=True)
        decisions = {}
        if not args.skip_decision:
            for count in (int(c) for c in args.decision_sizes.split(",")):
                decisions[count] = await measure_decision(args, workdir, count)
                print(f"decision with {count:,} contacts: {decisions[count]}", flush=True)
        text = report(args, bare, services, decisions)
        print(text)
        if args.write:
            write_section(text, ROOT / "BENCHMARKS.md")
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
