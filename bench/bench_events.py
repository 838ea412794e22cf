"""The cost of events on SMTP end to end: the same load with and without a webhook.

    python bench/bench_events.py [--messages 1000] [--contacts 1000] [--rounds 2] [--write]

Runs bench/bench_smtp.py's `serve` layout (one `blindcopy serve` process, `--workers`
workers) under its smtp-source load, `--rounds` times without and with a webhook, in turns:
with, the webhook (registered before the load, every type and project) points at a
receiver on loopback in this process that answers 200 at once, so every logged message
makes an `interaction.logged` event and a delivery. Events are written in either case
(the outbox is part of every recording); the webhook adds the delivery rows and the
delivery thread's work. Reports end-to-end msg/s (first 250 → last interaction recorded)
of each run, the ratio of the medians, and how long the deliveries took to finish.
`--write` replaces the "Events and webhooks" section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp
from aiohttp import web

from bench.bench_smtp import ADMIN_TOKEN, Layout, Run, measure_service, write_section

SECTION = "Events and webhooks"


class Receiver:
    """Counts deliveries; answers 200 at once."""

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.requests = 0
        self.last = 0.0
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        await request.read()
        self.requests += 1
        self.ids.add(request.headers["webhook-id"])
        self.last = time.monotonic()
        return web.Response(text="ok")

    async def start(self) -> web.AppRunner:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
        return runner


async def run(args: argparse.Namespace, workdir: Path, webhook: bool
              ) -> tuple[Run, Receiver]:
    """Measure one run; with `webhook`, register one to a fresh receiver before the load."""
    receiver = Receiver()
    runner = await receiver.start()

    async def register(api_url: str) -> None:
        async with aiohttp.ClientSession(headers={
                "Authorization": f"Bearer {ADMIN_TOKEN}"}) as http:
            async with http.post(f"{api_url}/v1/webhooks", json={"url": receiver.url}) as r:
                assert r.status == 201, await r.text()

    # A directory per run: bench_smtp names the store after the layout.
    rundir = Path(tempfile.mkdtemp(dir=workdir))
    try:
        layout = Layout("serve", args.workers, 0, 0)
        result = await measure_service(args, rundir, layout, args.size, 0,
                                       register if webhook else None)
    finally:
        await runner.cleanup()
    return result, receiver


def report(args: argparse.Namespace, plain: list[Run],
           hooked: list[tuple[Run, Receiver]]) -> str:
    """Return the markdown section of this run."""
    without = statistics.median(r.rate for r in plain)
    with_ = statistics.median(r.rate for r, _ in hooked)
    cpu_without = statistics.median(_cpu_ms(r) for r in plain)
    cpu_with = statistics.median(_cpu_ms(r) for r, _ in hooked)
    delivered = [len(receiver.ids) for _r, receiver in hooked]
    lines = [
        f"## {SECTION}", "",
        f"`python bench/bench_events.py --messages {args.messages} --contacts {args.contacts} "
        f"--rounds {args.rounds}` — {time.strftime('%Y-%m-%d')}, "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, store SQLite (WAL), one `blindcopy serve` with "
        f"{args.workers} worker(s). Load: bench/bench_smtp.py's smtp-source load "
        f"({args.sessions} sessions, {args.messages} messages of {args.size} bytes, each "
        "logged on a contact); with a webhook every message's `interaction.logged` event is "
        "delivered to a receiver on loopback that answers 200 at once.", "",
        "| run | end to end (first 250 → last interaction) | accepted | server CPU per "
        "message | deliveries |",
        "| --- | --- | --- | --- | --- |",
    ]
    for index, result in enumerate(plain):
        lines.append(f"| without webhook #{index + 1} | {result.rate:,.0f} msg/s "
                     f"| {result.messages / result.load_seconds:,.0f} msg/s | {_cpu_ms(result):.2f} ms | — |")
    for index, (result, receiver) in enumerate(hooked):
        lines.append(f"| with webhook #{index + 1} | {result.rate:,.0f} msg/s | "
                     f"{result.messages / result.load_seconds:,.0f} msg/s | {_cpu_ms(result):.2f} ms | "
                     f"{len(receiver.ids)} events, "
                     f"{receiver.requests} requests |")
    lines += ["", f"Median end to end: **{without:,.0f} msg/s without, {with_:,.0f} msg/s "
              f"with a webhook: ratio {with_ / without:.2f}** (target ≥ 0.90). Server CPU "
              f"per message (accept, process and deliver, all of the service's threads; "
              f"steadier than rates on a shared machine): {cpu_without:.2f} ms without, "
              f"{cpu_with:.2f} ms with: ratio {cpu_without / cpu_with:.2f}. Deliveries "
              f"made: {', '.join(map(str, delivered))} of {args.messages} per run. "
              f"Load average (1 min) when done: {os.getloadavg()[0]:.1f} on "
              f"{os.cpu_count()} CPUs (the machine is shared)."]
    return "\n".join(lines) + "\n"


def _cpu_ms(result: Run) -> float:
    return result.cpu_ms


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--size", type=int, default=10240, help="body bytes per message")
    parser.add_argument("--contacts", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    args = parser.parse_args()
    args.database_url = None
    return args


async def main() -> None:
    args = parse_args()
    if shutil.which("smtp-source") is None:
        sys.exit("smtp-source not found: apt-get install postfix")
    # The receiver is on loopback: let the service deliver there.
    os.environ["BLINDCOPY_WEBHOOK_ALLOW_PRIVATE"] = "true"
    workdir = Path(tempfile.mkdtemp(prefix="blindcopy-bench-events-"))
    plain: list[Run] = []
    hooked: list[tuple[Run, Receiver]] = []
    try:
        for _round in range(args.rounds):
            plain.append((await run(args, workdir, webhook=False))[0])
            print(f"without webhook: {plain[-1].rate:,.0f} msg/s", flush=True)
            hooked.append(await run(args, workdir, webhook=True))
            print(f"with webhook: {hooked[-1][0].rate:,.0f} msg/s, "
                  f"{len(hooked[-1][1].ids)} deliveries", flush=True)
        text = report(args, plain, hooked)
        print(text)
        if args.write:
            write_section(text, ROOT / "BENCHMARKS.md", SECTION)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
