"""SMTP throughput end to end against two anchors, interleaved rounds, and a size sweep.

One command:

    python bench/bench_smtp.py [--seconds 20] [--rounds 3] [--sizes 10k,100k,1m]
                               [--contenders postfix,bare,serve,split] [--baseline DIR]
                               [--database-url postgresql://…] [--write]

Contenders, each driven by Postfix's smtp-source (20 sessions) for at least `--seconds` of
load, one after the other in every round (so a shared machine's drift hits them alike):

- **postfix**: a throwaway durable Postfix (bench/postfix_anchor.py): queue file fsynced
  before the 250, then the `discard` transport. Needs root and Debian's postfix.
- **bare**: an aiosmtpd server that accepts and discards (bench/bare_smtp_server.py).
- **serve**: one `blindcopy serve` process with `--workers` workers.
- **split**: `blindcopy serve` with no workers (SMTP + API) plus `--worker-processes`
  `blindcopy worker` processes, as deploy/ runs them.
- with `--baseline DIR`: **base-serve** and **base-split**, the same layouts run from
  another checkout (its own `.venv`), e.g. the commit a change is measured against.

blindcopy runs on a fresh store per run (SQLite in a temporary directory by default; a
project with `--contacts` contacts); every message goes from a member to the project's BCC
address with a contact in Cc, so each is logged. Its rate is end to end: first 250 → last
interaction recorded, from the store; every message must be done (none lost).

Every rate comes with the CPU per message of all the contender's processes (user + system
from /proc, children included), the steadier figure on a shared machine. Reported per size:
the median and min–max over the rounds, and each blindcopy layout's ratio to the anchors
measured in the same round. `--write` replaces the "SMTP anchors and size sweep" section of
BENCHMARKS.md.

`--decision-sizes 1000,100000` also measures decision time (snapshot + rules) in-process
with that many contacts in the project.
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
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp
import psycopg
from sqlalchemy import Engine, text

from bench.postfix_anchor import PostfixAnchor, descendants
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
from config.settings import load_settings
from processing.judging import Job, decide_each, parse, read_snapshots, verify_senders
from store.database import create_engine
from store.models import ReceivedMessage

ADMIN_TOKEN = "bench-admin-token"
SECTION = "SMTP anchors and size sweep"
SUBJECT = "Offer\r\nCc: Bob <bob@client.test>"
ANCHORS = ("bare", "postfix")


@dataclass
class Run:
    """One contender's measured run at one size."""

    contender: str
    size: int
    messages: int
    # Seconds of load (smtp-source) and, for blindcopy, first 250 → last interaction.
    load_seconds: float
    seconds: float
    # CPU seconds (user + system) of all the contender's processes over the run.
    cpu: float
    lost: int = 0
    latency_p99: float | None = None

    @property
    def rate(self) -> float:
        """Return messages per second (end to end for blindcopy, accepted for anchors)."""
        return self.messages / self.seconds

    @property
    def cpu_ms(self) -> float:
        """Return milliseconds of CPU per message."""
        return self.cpu / self.messages * 1000


def smtp_source(port: int, messages: int, sessions: int, size: int, recipient: str) -> None:
    """Send `messages` messages of `size` body bytes to 127.0.0.1:port with smtp-source."""
    command = ["smtp-source", "-s", str(sessions), "-m", str(messages), "-l", str(size),
               "-f", MEMBER, "-t", recipient, "-S", SUBJECT, f"127.0.0.1:{port}"]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    if completed.returncode != 0 or completed.stderr.strip():
        raise RuntimeError(f"smtp-source failed: {completed.stderr.strip()[:500]}")


def drive(port: int, args: argparse.Namespace, size: int, recipient: str) -> tuple[int, float]:
    """Load the server for at least `--seconds`; return (messages, seconds).

    smtp-source sends a fixed count: chunks are sized from the rate seen so far. A caller
    whose `args` has a `messages` count (bench/bench_events.py) sends exactly that many.
    """
    sent, started = 0, time.perf_counter()
    if getattr(args, "messages", None):
        smtp_source(port, args.messages, args.sessions, size, recipient)
        return args.messages, time.perf_counter() - started
    chunk = max(args.sessions * 2, 2_000_000 // size)
    while True:
        smtp_source(port, chunk, args.sessions, size, recipient)
        sent += chunk
        elapsed = time.perf_counter() - started
        remaining = args.seconds - elapsed
        if remaining <= 0:
            return sent, elapsed
        chunk = max(args.sessions * 2, int(sent / elapsed * remaining * 1.05))


def cpu_seconds(pids: list[int]) -> float:
    """Return the CPU time (user + system, reaped children included) of live processes."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(value) for value in fields[11:15])
    return total / os.sysconf("SC_CLK_TCK")


def family(pids: list[int]) -> list[int]:
    """Return the processes and all their live descendants."""
    return sorted({*pids, *(child for pid in pids for child in descendants(pid))})


def measure_bare(args: argparse.Namespace, size: int) -> Run:
    """Measure an aiosmtpd server that accepts and discards."""
    port = free_port()
    server = subprocess.Popen([sys.executable, str(ROOT / "bench" / "bare_smtp_server.py"),
                               str(port)], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        cpu = cpu_seconds([server.pid])
        messages, seconds = drive(port, args, size, "anyone@bare.test")
        return Run("bare", size, messages, seconds, seconds, cpu_seconds([server.pid]) - cpu)
    finally:
        server.terminate()
        server.wait()


def measure_postfix(args: argparse.Namespace, size: int) -> Run:
    """Measure the durable Postfix anchor, until its queue is empty again."""
    with PostfixAnchor.started(free_port()) as anchor:
        cpu = cpu_seconds(anchor.pids())
        started = time.perf_counter()
        messages, load_seconds = drive(anchor.port, args, size, "anyone@anchor.test")
        anchor.wait_queue_empty()
        seconds = time.perf_counter() - started
        return Run("postfix", size, messages, load_seconds, seconds,
                   cpu_seconds(anchor.pids()) - cpu)


@contextmanager
def fresh_database(base_url: str | None, workdir: Path, name: str) -> Iterator[str]:
    """Yield the URL of an empty database: a SQLite file, or a PostgreSQL schema."""
    if not base_url or base_url.startswith("sqlite"):
        yield f"sqlite:///{workdir / (name + '.db')}"
        return
    schema = f"bench_{name}_{uuid.uuid4().hex[:8]}".replace("-", "_")
    dsn = base_url.split("?", 1)[0].replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        try:
            separator = "&" if "?" in base_url else "?"
            yield f"{base_url}{separator}search_path={schema}"
        finally:
            admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


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


@dataclass(frozen=True)
class Layout:
    """How the service runs, and from which checkout."""

    name: str
    serve_workers: int
    worker_processes: int
    workers_per_process: int
    checkout: Path = ROOT
    python: str = sys.executable

    def describe(self) -> str:
        """Return the layout in words for the report."""
        if not self.worker_processes:
            return f"one `blindcopy serve` process with {_workers(self.serve_workers)}"
        return (f"`blindcopy serve` with no workers (SMTP + API) and {self.worker_processes} "
                f"`blindcopy worker` processes of {_workers(self.workers_per_process)} each")

    def command(self, database_url: str, command: str, log: Path, workers: int = 0,
                smtp_port: int = 0, http_port: int = 0) -> subprocess.Popen[bytes]:
        """Start `blindcopy COMMAND` from this layout's checkout."""
        return start_blindcopy(database_url, smtp_port, http_port, workers, log, command,
                               checkout=self.checkout, python=self.python)

    def start(self, url: str, smtp_port: int, http_port: int,
              workdir: Path) -> list[subprocess.Popen[bytes]]:
        """Migrate, then start the layout's processes; the first is `serve`."""
        log = workdir / f"service-{self.name}.log"
        if self.command(url, "migrate", log).wait(timeout=300) != 0:
            raise RuntimeError(f"migrate failed, see {log}")
        processes = [self.command(url, "serve", log, self.serve_workers, smtp_port, http_port)]
        processes += [self.command(url, "worker", log, self.workers_per_process)
                      for _ in range(self.worker_processes)]
        return processes


def start_blindcopy(database_url: str, smtp_port: int, http_port: int, workers: int,
                    log_path: Path, command: str = "serve", serve_processes: int = 1,
                    checkout: Path = ROOT, python: str = sys.executable
                    ) -> subprocess.Popen[bytes]:
    """Start `blindcopy serve` (or `worker`, `migrate`), limits opened for one-IP load."""
    env = {**os.environ, "PYTHONPATH": str(checkout), "BLINDCOPY_DATABASE_URL": database_url,
           "BLINDCOPY_SERVE_PROCESSES": str(serve_processes),
           "BLINDCOPY_SMTP_PORT": str(smtp_port), "BLINDCOPY_HTTP_PORT": str(http_port),
           "BLINDCOPY_ADMIN_TOKEN": ADMIN_TOKEN, "BLINDCOPY_WORKERS": str(workers),
           "BLINDCOPY_SECRET": "bench-secret", "BLINDCOPY_MAIL_DOMAIN": "bcc.bench.test",
           "BLINDCOPY_MAX_CONNECTIONS_PER_IP": "10000",
           "BLINDCOPY_MAX_MESSAGES_PER_MINUTE": "100000000"}
    with log_path.open("ab") as log:
        return subprocess.Popen([python, "-m", "blindcopy.cli", command], cwd=checkout,
                                env=env, stdout=log, stderr=log)


def peak_rss_kib(pid: int) -> int:
    """Return the peak resident set size (VmHWM) of a live process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _workers(count: int) -> str:
    return f"{count} worker" + ("" if count == 1 else "s")


def layouts(args: argparse.Namespace) -> dict[str, Layout]:
    """Return the blindcopy layouts by contender name (base-* with --baseline)."""
    found = {"serve": Layout("serve", args.workers, 0, 0),
             "split": Layout("split", 0, args.worker_processes, args.workers_per_process)}
    if args.baseline:
        checkout = Path(args.baseline).resolve()
        python = str(checkout / ".venv" / "bin" / "python")
        for name in ("serve", "split"):
            layout = found[name]
            found["base-" + name] = Layout("base-" + name, layout.serve_workers,
                                           layout.worker_processes, layout.workers_per_process,
                                           checkout, python)
    return found


def _when(value: object) -> datetime:
    """A timestamp as the driver returns it (SQLite: text)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def progress(engine: Engine) -> tuple[int, int]:
    """Return (received, still queued or processing), by SQL any schema version answers."""
    with engine.connect() as connection:
        total = connection.scalar(text("SELECT count(*) FROM received_messages"))
        open_ = connection.scalar(text("SELECT count(*) FROM received_messages "
                                       "WHERE status IN ('queued', 'processing')"))
    return int(total or 0), int(open_ or 0)


async def wait_processed(engine: Engine, expected: int, timeout: float) -> None:
    """Wait until `expected` messages are received and none is queued or processing."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        total, open_ = progress(engine)
        if total >= expected and open_ == 0:
            return
        await asyncio.sleep(0.25)
    raise RuntimeError(f"not every message was processed within {timeout} s")


def collect(engine: Engine) -> tuple[int, float, float | None]:
    """Return done, first 250 → last interaction (s), p99 250 → interaction (s) if known."""
    with engine.connect() as connection:
        done = connection.scalar(text(
            "SELECT count(*) FROM received_messages WHERE status = 'done'"))
        first = connection.scalar(text("SELECT min(received_at) FROM received_messages"))
        last = connection.scalar(text("SELECT max(logged_at) FROM interactions"))
        try:
            pairs = connection.execute(text(
                "SELECT r.received_at, min(i.logged_at) FROM received_messages r "
                "JOIN messages m ON m.received_id = r.id "
                "JOIN interactions i ON i.message_ref = m.id GROUP BY r.id, r.received_at"
            )).all()
        except Exception:  # an older schema without messages.received_id
            pairs = []
    latencies = sorted((_when(b) - _when(a)).total_seconds() for a, b in pairs)
    p99 = percentile(latencies, 99) if latencies else None
    return int(done or 0), (_when(last) - _when(first)).total_seconds(), p99


async def measure_service(args: argparse.Namespace, workdir: Path, layout: Layout,
                          size: int, round_: int,
                          before_load: Callable[[str], Awaitable[None]] | None = None) -> Run:
    """Run blindcopy in `layout` under load and measure it end to end from its store.

    `before_load(api_url)` runs once the project is seeded, before the load (e.g. to
    register a webhook, bench/bench_events.py).
    """
    with fresh_database(args.database_url, workdir, f"{layout.name}_{size}_{round_}") as url:
        engine = create_engine(url)
        smtp_port, http_port = free_port(), free_port()
        processes = layout.start(url, smtp_port, http_port, workdir)
        try:
            await wait_http(f"http://127.0.0.1:{http_port}", processes[0])
            directory = await seed_members(f"http://127.0.0.1:{http_port}", ADMIN_TOKEN)
            seed_contacts(engine, directory.project_id, args.contacts)
            if before_load is not None:
                await before_load(f"http://127.0.0.1:{http_port}")
            pids = family([process.pid for process in processes])
            cpu = cpu_seconds(pids)
            messages, load_seconds = await asyncio.to_thread(drive, smtp_port, args, size,
                                                             directory.bcc)
            await wait_processed(engine, messages, timeout=args.timeout)
            cpu = cpu_seconds(pids) - cpu
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                process.wait(timeout=60)
        done, seconds, p99 = collect(engine)
        engine.dispose()
    return Run(layout.name, size, messages, load_seconds, seconds, cpu, messages - done, p99)


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


def parse_size(value: str) -> int:
    """Return the bytes of a size like 10k, 100k or 1m."""
    units = {"k": 1024, "m": 1024 * 1024}
    suffix = value[-1:].lower()
    return int(value[:-1]) * units[suffix] if suffix in units else int(value)


def size_name(size: int) -> str:
    """Return 10 KB, 1 MB, … for a body size in bytes."""
    return f"{size // 1048576} MB" if size % 1048576 == 0 else f"{size // 1024} KB"


def spread(values: list[float], digits: int = 0) -> str:
    """Return 'median (min–max)' of the values."""
    form = f"{{:,.{digits}f}}"
    return (f"{form.format(statistics.median(values))} "
            f"({form.format(min(values))}–{form.format(max(values))})")


def report(args: argparse.Namespace, runs: list[Run], loads: list[float],
           found: dict[str, Layout]) -> str:
    """Return the markdown section with every number of this run."""
    backend = ("PostgreSQL" if args.database_url and args.database_url.startswith("postgres")
               else "SQLite (WAL)")
    contenders = args.contenders.split(",")
    described = [f"**{name}**: {found[name].describe()}"
                 + (f" from {found[name].checkout}" if name.startswith("base-") else "")
                 for name in contenders if name in found]
    lines = [
        f"## {SECTION}", "",
        f"`python bench/bench_smtp.py --seconds {args.seconds:g} --rounds {args.rounds} "
        f"--sizes {args.sizes} --contenders {args.contenders}"
        + (" --baseline …" if args.baseline else "")
        + (" --database-url …" if args.database_url else "") + "` — "
        f"{time.strftime('%Y-%m-%d')}, {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} CPUs, store {backend}. Load: "
        f"smtp-source, {args.sessions} sessions, ≥ {args.seconds:g} s per run, contenders "
        f"interleaved in each of {args.rounds} rounds; the project has {args.contacts:,} "
        "contacts and every message is logged. " + "; ".join(described) + ". Rates: "
        "accepted msg/s for the anchors (Postfix: until its queue is empty again), end to end "
        "(first 250 → last interaction recorded) for blindcopy. CPU: all the contender's "
        "processes, user + system. Median (min–max) over the rounds; ratios are taken "
        "within a round, then their median.", "",
        f"Load average (1 min) during the runs: {spread(loads, 1)} on {os.cpu_count()} CPUs "
        "(the machine is shared).", "",
    ]
    for size in (parse_size(value) for value in args.sizes.split(",")):
        at_size = [run for run in runs if run.size == size]
        by_round: dict[str, list[Run]] = {}
        for run in at_size:
            by_round.setdefault(run.contender, []).append(run)
        lines += [f"### {size_name(size)} messages", "",
                  "| contender | msg/s | CPU ms per message | ÷ bare | ÷ Postfix "
                  "| p99 250 → logged | lost |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        for name in contenders:
            own = by_round.get(name, [])
            if not own:
                continue
            ratios = {anchor: [run.rate / by_round[anchor][index].rate
                               for index, run in enumerate(own)
                               if index < len(by_round.get(anchor, []))]
                      for anchor in ANCHORS}
            p99 = [run.latency_p99 * 1000 for run in own if run.latency_p99 is not None]
            lines.append(
                f"| {name} | {spread([run.rate for run in own])} "
                f"| {spread([run.cpu_ms for run in own], 2)} "
                + "".join(f"| {spread(ratios[anchor], 2) if ratios[anchor] else '—'} "
                          for anchor in ANCHORS)
                + f"| {spread(p99) + ' ms' if p99 else '—'} "
                f"| {sum(run.lost for run in own) if name in found else '—'} |")
        lines.append("")
    return "\n".join(lines)


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
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Needs smtp-source (Debian: postfix); the Postfix anchor needs root.")
    parser.add_argument("--seconds", type=float, default=20, help="load per run, at least")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sizes", default="10k", help="message body sizes, e.g. 10k,100k,1m")
    parser.add_argument("--contenders", default="postfix,bare,serve,split",
                        help="comma-separated, run in this order in every round: postfix, "
                             "bare, serve, split, base-serve, base-split")
    parser.add_argument("--baseline", help="another checkout (with its .venv) for base-*")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=1, help="workers in `serve` (layout serve)")
    parser.add_argument("--worker-processes", type=int, default=2,
                        help="`blindcopy worker` processes (layout split)")
    parser.add_argument("--workers-per-process", type=int, default=1,
                        help="workers in each `blindcopy worker` process (layout split)")
    parser.add_argument("--database-url", help="PostgreSQL URL (default: SQLite temp file)")
    parser.add_argument("--decision-sizes", default="",
                        help="also measure decision time with these contact counts")
    parser.add_argument("--decisions", type=int, default=300)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    return parser.parse_args()


def _interrupted(signum: int, frame: object) -> None:
    # SIGTERM ends the run like Ctrl-C: the Postfix anchor and the services are stopped.
    raise KeyboardInterrupt


async def main() -> None:
    args = parse_args()
    if shutil.which("smtp-source") is None:
        sys.exit("smtp-source not found: apt-get install postfix")
    signal.signal(signal.SIGTERM, _interrupted)
    found = layouts(args)
    unknown = set(args.contenders.split(",")) - set(found) - set(ANCHORS)
    if unknown:
        sys.exit(f"unknown contenders (base-* needs --baseline): {', '.join(sorted(unknown))}")
    workdir = Path(tempfile.mkdtemp(prefix="blindcopy-bench-"))
    runs: list[Run] = []
    loads: list[float] = []
    try:
        for round_ in range(args.rounds):
            for size in (parse_size(value) for value in args.sizes.split(",")):
                for name in args.contenders.split(","):
                    if name == "postfix":
                        run = measure_postfix(args, size)
                    elif name == "bare":
                        run = measure_bare(args, size)
                    else:
                        run = await measure_service(args, workdir, found[name], size, round_)
                    runs.append(run)
                    loads.append(os.getloadavg()[0])
                    print(f"round {round_ + 1} {size_name(size)} {name}: {run.rate:,.0f} msg/s, "
                          f"{run.cpu_ms:.2f} ms CPU/msg, {run.messages} messages"
                          + (f", {run.lost} LOST" if run.lost else "")
                          + f", load {loads[-1]:.1f}", flush=True)
        text_ = report(args, runs, loads, found)
        print(text_)
        if args.write:
            write_section(text_, ROOT / "BENCHMARKS.md")
        for count in (int(c) for c in args.decision_sizes.split(",") if c):
            print(f"decision with {count:,} contacts (seed s, mean, p50, p99 ms): "
                  f"{await measure_decision(args, workdir, count)}", flush=True)
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
