"""POST /v1/log latency at a fixed arrival rate, against a bare aiohttp handler in the same run.

    python bench/bench_log_api.py [--rates 60,200] [--seconds 30] [--serve-processes 1,2]
                                  [--database-url …] [--write]

wrk keeps a fixed number of connections busy (closed loop) and so hides queueing; the
Log button's question is latency at a given load. So this script is an open-loop generator
(wrk2's idea): request i is due at start + i/rate whatever happened before, and its latency
counts from that due time (no coordinated omission). Each request is a ~3 KB
message/rfc822 from the member to a seeded contact, with its own Message-ID, sent with the
member's bearer token. The same load goes first to bench/bare_http_server.py (reads the
body, answers JSON), then to `blindcopy serve` (SQLite in a temporary directory by default)
with a project of 100,000 contacts, once for each `--serve-processes` value (the API in that
many processes sharing its port), each on a fresh store. With `--wrk`, a closed-loop wrk run (bench/log_post.lua)
adds the saturated throughput. Each rate of `--rates` is one run against the same service,
with messages not sent before. `--write` replaces this section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp

from bench.bench_smtp import (
    ADMIN_TOKEN,
    cpu_seconds,
    fresh_database,
    peak_rss_kib,
    percentile,
    start_blindcopy,
    wait_http,
    write_section,
)
from bench.seed import MEMBER, Directory, contact_address, free_port, seed_contacts, seed_members
from store.database import create_engine
from store.schema import migrate

SECTION = "Log button latency (POST /v1/log)"
BODY = "Hello Bob, here is the offer we discussed for the house.\r\n" * 50


@dataclass
class Run:
    """Latencies (seconds) and failures of one open-loop run."""

    latencies: list[float]
    errors: int
    seconds: float
    # Failed requests by HTTP status (or exception name).
    failures: dict[str, int] = field(default_factory=dict)
    # Latencies of the requests answered 200 only (logged).
    ok_latencies: list[float] = field(default_factory=list)
    # CPU seconds the server's processes used during the run.
    server_cpu: float = 0.0
    # CPU seconds this load generator used during the run (it shares the machine's CPUs).
    client_cpu: float = 0.0

    def row(self, name: str) -> str:
        """Return a markdown table row for this run."""
        lat = sorted(self.latencies)
        return (f"| {name} | {len(lat) / self.seconds:,.0f} req/s | "
                f"{percentile(lat, 50) * 1000:.1f} ms | {percentile(lat, 99) * 1000:.1f} ms | "
                f"{lat[-1] * 1000:.1f} ms | {self.server_cpu / len(lat) * 1000:.2f} ms | "
                f"{self.client_cpu / len(lat) * 1000:.2f} ms | {self.errors} {self.failures or ''} |")

    def ok_row(self, name: str) -> str:
        """Return a markdown table row for the requests answered 200 only."""
        ok = sorted(self.ok_latencies) or [float("nan")]
        return (f"| {name} | {len(self.ok_latencies) / self.seconds:,.1f} req/s | "
                f"{percentile(ok, 50) * 1000:.1f} ms | {percentile(ok, 99) * 1000:.1f} ms | "
                f"{ok[-1] * 1000:.1f} ms | | | {len(self.ok_latencies)} answered 200 |")


def message(number: int, contacts: int) -> bytes:
    """Return request `number`'s raw message: the member to a seeded contact."""
    to = contact_address(1 + number % max(contacts - 1, 1))
    return (f"From: Alice <{MEMBER}>\r\nTo: {to}\r\nSubject: Offer {number}\r\n"
            f"Date: Tue, 24 Nov 2026 10:00:00 +0000\r\n"
            f"Message-ID: <log-{number}-{os.getpid()}@acme.test>\r\n\r\n{BODY}").encode()


async def open_loop(url: str, token: str, rate: float, seconds: float, contacts: int,
                    first: int = 0) -> Run:
    """Send rate × seconds requests (numbered from `first`), each at its due time."""
    total = int(rate * seconds)
    latencies: list[float] = []
    errors = 0
    failures: dict[str, int] = {}
    ok_latencies: list[float] = []
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "message/rfc822"}
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.1

        async def one(number: int) -> None:
            nonlocal errors
            due = start + number / rate
            await asyncio.sleep(max(0.0, due - loop.time()))
            try:
                async with http.post(url, data=message(first + number, contacts),
                                     headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        errors += 1
                        failures[str(response.status)] = failures.get(str(response.status), 0) + 1
                    if response.status == 200:
                        ok_latencies.append(loop.time() - due)
            except (aiohttp.ClientError, TimeoutError) as exc:
                errors += 1
                failures[type(exc).__name__] = failures.get(type(exc).__name__, 0) + 1
            latencies.append(loop.time() - due)

        await asyncio.gather(*(one(n) for n in range(total)))
        elapsed = loop.time() - start
    return Run(latencies, errors, elapsed, failures, ok_latencies)


async def warm_up(url: str, token: str, contacts: int) -> None:
    """Send a few requests first so connection set-up and first-call costs are not measured."""
    await open_loop(url, token, 50, 1, contacts)


def run_wrk(url: str, directory: Directory, seconds: int) -> str:
    """Run wrk (closed loop, 20 connections) with bench/log_post.lua; return its summary."""
    env = {**os.environ, "BENCH_TOKEN": directory.user_token,
           "BENCH_PROJECT": directory.project_id}
    completed = subprocess.run(
        ["wrk", "-t2", "-c20", f"-d{seconds}s", "--latency", "-s",
         str(ROOT / "bench" / "log_post.lua"), url], capture_output=True, text=True, env=env)
    return completed.stdout


def process_family(pid: int) -> list[int]:
    """Return the process and its children (a `serve` with sibling processes)."""
    children = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text() if entry.name.isdigit() else ""
        except OSError:
            continue
        if stat and int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            children.append(int(entry.name))
    return [pid, *children]


async def timed_open_loop(pids: list[int], *args: Any, **kwargs: Any) -> Run:
    """Run `open_loop`, recording the CPU time the server processes `pids` used meanwhile."""
    before, client_before = cpu_seconds(pids), time.process_time()
    run = await open_loop(*args, **kwargs)
    run.server_cpu = cpu_seconds(pids) - before
    run.client_cpu = time.process_time() - client_before
    return run


async def measure_bare(args: argparse.Namespace) -> list[Run]:
    """Measure the bare aiohttp handler under the same loads."""
    port = free_port()
    server = subprocess.Popen([sys.executable, str(ROOT / "bench" / "bare_http_server.py"),
                               str(port)])
    try:
        await wait_http(f"http://127.0.0.1:{port}", server)
        url = f"http://127.0.0.1:{port}/v1/log"
        await warm_up(url, "none", 1000)
        return [await timed_open_loop([server.pid], url, "none", rate, args.seconds, 1000)
                for rate in args.rates]
    finally:
        server.terminate()
        server.wait()


async def _wait_for_siblings(pid: int, processes: int) -> list[int]:
    for _ in range(300):
        family = process_family(pid)
        if len(family) >= processes:
            await asyncio.sleep(1.0)  # the siblings bind their ports after starting
            return process_family(pid)
        await asyncio.sleep(0.1)
    raise RuntimeError(f"serve started {len(process_family(pid)) - 1} of {processes - 1} "
                       "sibling processes")


async def measure_blindcopy(args: argparse.Namespace, workdir: Path, processes: int
                            ) -> tuple[list[Run], int, str, float]:
    """Measure POST /v1/log on blindcopy; return the runs, peak RSS, wrk text, seed seconds."""
    with fresh_database(args.database_url, workdir, f"log{processes}") as url:
        engine = create_engine(url)
        migrate(engine)
        http_port = free_port()
        service = start_blindcopy(url, free_port(), http_port, 2, workdir / "service.log",
                                  serve_processes=processes)
        base = f"http://127.0.0.1:{http_port}"
        try:
            await wait_http(base, service)
            pids = await _wait_for_siblings(service.pid, processes)
            directory = await seed_members(base, ADMIN_TOKEN)
            seeded = seed_contacts(engine, directory.project_id, args.contacts)
            log_url = f"{base}/v1/log?project_id={directory.project_id}"
            await warm_up(log_url, directory.user_token, args.contacts)
            runs = []
            for index, rate in enumerate(args.rates):
                # Numbers above the warm-up's: every run logs messages not seen before.
                runs.append(await timed_open_loop(
                    pids, log_url, directory.user_token, rate, args.seconds, args.contacts,
                    first=(index + 1) * 1_000_000))
            wrk = run_wrk(base, directory, 10) if args.wrk and shutil.which("wrk") else ""
            rss = sum(peak_rss_kib(pid) for pid in pids)
        finally:
            service.send_signal(signal.SIGTERM)
            service.wait(timeout=30)
        engine.dispose()
    return runs, rss, wrk, seeded


def _processes_text(processes: int) -> str:
    return "1 process" if processes == 1 else f"{processes} processes"


def _rate_rows(rate: float, bare: Run, blindcopy: dict[int, Run]) -> list[str]:
    rate_text = f"{rate:g} req/s"
    rows = [bare.row(f"{rate_text}: bare aiohttp handler (read body, answer JSON)")]
    for processes, run in blindcopy.items():
        name = f"{rate_text}: blindcopy POST /v1/log, {_processes_text(processes)}"
        rows += [run.row(f"{name} (parse, decide, record)"),
                 run.ok_row(f"{name}: … of which answered 200 (logged)")]
    return rows


def _verdict(rate: float, processes: int, bare: Run, blindcopy: Run) -> str:
    p99 = percentile(sorted(blindcopy.latencies), 99)
    bare_p99 = percentile(sorted(bare.latencies), 99)
    return (f"- {rate:g} req/s, {_processes_text(processes)}: p99 {p99 * 1000:.1f} ms, "
            f"{'under' if p99 < 0.05 else 'NOT under'} 50 ms; "
            f"{p99 / bare_p99:.1f}× the bare handler's p99.")


def report(args: argparse.Namespace, bare: list[Run], blindcopy: dict[int, list[Run]],
           rss: dict[int, int], wrk: str) -> str:
    """Return the markdown section with this run's numbers."""
    backend = "PostgreSQL" if args.database_url and args.database_url.startswith("postgres") \
        else "SQLite (WAL)"
    rates = ",".join(f"{rate:g}" for rate in args.rates)
    counts = ",".join(str(processes) for processes in blindcopy)
    by_rate = [{processes: runs[index] for processes, runs in blindcopy.items()}
               for index in range(len(args.rates))]
    lines = [
        f"## {SECTION}", "",
        (f"`python bench/bench_log_api.py --rates {rates} --seconds {args.seconds:g} "
         f"--serve-processes {counts}` — "
         f"{time.strftime('%Y-%m-%d')}, {platform.python_implementation()} "
         f"{platform.python_version()}, {os.cpu_count()} CPUs, store {backend}, "
         f"load average {os.getloadavg()[0]:.1f} at the end. Open loop at a fixed arrival "
         "rate (latency from each request's due time), ~3 KB message/rfc822 bodies with a "
         f"user token, each message new; the project has {args.contacts:,} contacts. "
         "blindcopy runs as `blindcopy serve` with `serve_processes` = 1, then 2 (the API in "
         "that many processes sharing the port), each on a fresh store, every rate in this "
         "order against the same service. The load generator runs on the same 2 CPUs."), "",
        ("| server | achieved | p50 | p99 | max | server CPU per request | "
         "load generator CPU per request | errors |"),
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for rate, bare_run, runs in zip(args.rates, bare, by_rate, strict=True):
        lines += _rate_rows(rate, bare_run, runs)
    lines += [
        "",
        ("Errors are by HTTP status; a 503 is the capture gate's refusal (`Retry-After: 1`, "
         "nothing stored), answered before authentication. Server CPU per request: user + "
         "system time of the server's processes during the run, over the requests sent; the "
         "load generator's likewise (this script's process, on the same CPUs)."),
        "",
        "Against the target (p99 under 50 ms at 200 req/s):", "",
        *(_verdict(rate, processes, bare_run, run)
          for rate, bare_run, runs in zip(args.rates, bare, by_rate, strict=True)
          for processes, run in runs.items()),
        "",
        "Peak RSS of the service, summed over its processes: " + ", ".join(
            f"{rss[processes] / 1024:,.0f} MiB with {_processes_text(processes)}"
            for processes in blindcopy) + ".",
    ]
    if wrk:
        lines += ["", "Closed loop, `wrk -t2 -c20 -d10s -s bench/log_post.lua` (saturation, "
                  f"{_processes_text(max(blindcopy))}):", "", "```", wrk.strip(), "```"]
    return "\n".join(lines) + "\n"


def _counts(text: str) -> list[int]:
    return [int(count) for count in text.split(",") if count.strip()]


def _rates(text: str) -> list[float]:
    return [float(rate) for rate in text.split(",") if rate.strip()]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", type=_rates, default=[60.0, 200.0],
                        help="comma-separated requests per second, one run each")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--serve-processes", type=_counts, default=[1, 2],
                        help="comma-separated serve_processes values, one service each")
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--database-url", help="PostgreSQL URL (default: SQLite temp file)")
    parser.add_argument("--wrk", action="store_true", help="add a closed-loop wrk run")
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    parser.add_argument("--service-log", help="copy the service's log to this file")
    return parser.parse_args()


async def main() -> None:
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="blindcopy-logbench-"))
    try:
        bare = await measure_bare(args)
        for rate, run in zip(args.rates, bare, strict=True):
            print(run.row(f"bare at {rate:g} req/s"), flush=True)
        blindcopy: dict[int, list[Run]] = {}
        rss: dict[int, int] = {}
        for processes in args.serve_processes:
            runs, rss[processes], wrk, _seeded = await measure_blindcopy(args, workdir,
                                                                         processes)
            blindcopy[processes] = runs
            for rate, run in zip(args.rates, runs, strict=True):
                print(run.row(f"blindcopy, {_processes_text(processes)}, at {rate:g} req/s"),
                      flush=True)
        text = report(args, bare, blindcopy, rss, wrk)
        print(text)
        if args.write:
            write_section(text, ROOT / "BENCHMARKS.md", SECTION)
    finally:
        if args.service_log and (workdir / "service.log").exists():
            shutil.copy(workdir / "service.log", args.service_log)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
