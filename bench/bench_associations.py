"""Decision time with and without companies and deals (SPEC §12), side by side.

    python bench/bench_associations.py [--contacts 1000000] [--companies 100000]
                                       [--deals 1000000] [--decisions 300] [--reuse DB]

One SQLite store, two projects with the same member and `--contacts` contacts each (each
with one email logged on it before, as bench_smtp.py seeds them):

- plain: no companies, no deals, deal_association none;
- filed: `--companies` companies (the first 1,000 own the contacts' domains, every odd
  contact names one as its own), `--deals` deals (deal i on contact i % contacts, four in
  five open), deal_association open_recent.

The same messages (two random contacts and an unknown address, every other one a reply to
a logged email) are decided in both, alternately, so both see the same machine load:
snapshot (with the companies' and deals' look-ups in `filed`) + rules.decide, in this
process, as bench_smtp.py's decision time. Prints mean, p50 and p99 of the wall time and
the mean CPU time per project, how many outcomes were filed under a company and deals, and
the load average before and after.

Seeding 2 x 1,000,000 contacts takes minutes; the store is kept (its path is printed) and
`--reuse PATH` measures it again without seeding (read it once first, e.g. `cat PATH >
/dev/null`, so that the measure is of the look-ups and not of the disk).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp
from sqlalchemy import select

from bench.bench_smtp import ADMIN_TOKEN, _decision_message, percentile
from bench.seed import (
    MEMBER,
    Directory,
    seed_companies,
    seed_contacts,
    seed_deals,
    seed_history,
    seed_members,
)
from blindcopy.runtime import build_context, start_service
from config.settings import load_settings
from processing.context import ProcessingContext
from processing.judging import Job, decide_each, parse, read_snapshots, verify_senders
from store.database import Store
from store.models import Project, ProjectAddress, ReceivedMessage


async def second_project(base_url: str, directory: Directory, deal_association: str
                         ) -> tuple[str, str]:
    """Create the `filed` project with the same member; return its id and BCC address."""
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with aiohttp.ClientSession(base_url, headers=headers) as http:
        async with http.post("/v1/projects", json={
                "name": "Filed Homes", "slug": f"filed-{uuid.uuid4().hex[:6]}",
                "settings": {"sender_auth": "none",
                             "deal_association": deal_association}}) as response:
            assert response.status == 201, await response.text()
            project = await response.json()
        async with http.put(f"/v1/projects/{project['id']}/members/{directory.user_id}"
                            ) as response:
            assert response.status == 204, await response.text()
    return project["id"], project["addresses"]["bcc"]


def decide_one(store: Store, ctx: ProcessingContext, raw: bytes, project_id: str,
               bcc: str) -> tuple[float, float, int, int]:
    """Return (wall ms and CPU ms of snapshot + rules, outcomes filed under a company, under
    deals)."""
    received = ReceivedMessage(channel="bcc", raw=raw, mail_from=MEMBER, rcpt_to=[bcc],
                               client_ip="127.0.0.1", helo="bench", released=False,
                               project_ids=[project_id])
    job = Job(received, stored=False)
    parse([job], ctx)
    started, cpu = time.perf_counter(), time.process_time()
    read_snapshots(store, [job], ctx)
    verify_senders([job], ctx)
    decide_each([job], ctx)
    elapsed = (time.perf_counter() - started) * 1000
    cpu = (time.process_time() - cpu) * 1000
    assert job.error is None and job.decision is not None, job.error
    logged = [o for o in job.decision.outcomes if o.status == "logged"]
    assert logged, job.decision.outcomes
    return (elapsed, cpu, sum(1 for o in logged if o.company_ids),
            sum(1 for o in logged if o.deal_ids))


def describe(name: str, rows: list[tuple[float, float, int, int]]) -> str:
    timings = sorted(r[0] for r in rows)
    return (f"{name}: wall mean {statistics.fmean(timings):.2f} ms, p50 "
            f"{percentile(timings, 50):.2f} ms, p99 {percentile(timings, 99):.2f} ms; CPU mean "
            f"{statistics.fmean(r[1] for r in rows):.2f} ms; outcomes filed under a company "
            f"{sum(r[2] for r in rows)}, under deals {sum(r[3] for r in rows)}")


def stored_projects(store: Store) -> tuple[Directory, str, str]:
    """The two projects of a kept store: (plain's directory, filed's id, filed's BCC)."""
    with store.read() as session:
        found = {name: (pid, address) for name, pid, address in session.execute(
            select(Project.name, Project.id, ProjectAddress.address)
            .join(ProjectAddress, ProjectAddress.project_id == Project.id)
            .where(ProjectAddress.kind == "bcc", ProjectAddress.active.is_(True)))}
    plain, filed = found["Bench Homes"], found["Filed Homes"]
    return Directory(plain[0], plain[1], "", ""), filed[0], filed[1]


async def main(args: argparse.Namespace) -> None:
    path = args.reuse or str(Path(tempfile.mkdtemp(prefix="blindcopy-assoc-")) / "a.db")
    settings = load_settings({}, database_url=f"sqlite:///{path}", http_port=0,
                             admin_token=ADMIN_TOKEN, mail_domain="bcc.bench.test")
    service = await start_service(settings, smtp=False, workers=0)
    try:
        if args.reuse:
            directory, filed_id, filed_bcc = stored_projects(service.store)
        else:
            directory, filed_id, filed_bcc = await seed(args, service, path)
        await measure(args, service, settings, directory, filed_id, filed_bcc)
    finally:
        await service.stop()


async def seed(args: argparse.Namespace, service: Any, path: str) -> tuple[Directory, str, str]:
    """Seed both projects; return plain's directory, filed's id and BCC address."""
    base_url = f"http://127.0.0.1:{service.http_port}"
    directory = await seed_members(base_url, ADMIN_TOKEN)
    filed_id, filed_bcc = await second_project(base_url, directory, "open_recent")
    engine = service.store.engine
    plain_run, filed_run = uuid.uuid4().hex[:8], uuid.uuid4().hex[:8]
    seconds = seed_contacts(engine, directory.project_id, args.contacts, run=plain_run)
    seconds += seed_history(engine, directory.project_id, args.contacts, args.contacts,
                            plain_run)
    seconds += seed_companies(engine, filed_id, args.companies, filed_run)
    seconds += seed_contacts(engine, filed_id, args.contacts, run=filed_run,
                             companies=args.companies)
    seconds += seed_history(engine, filed_id, args.contacts, args.contacts, filed_run)
    seconds += seed_deals(engine, filed_id, args.deals, args.contacts, filed_run)
    print(f"seeded 2 x {args.contacts:,} contacts with history, {args.companies:,} "
          f"companies and {args.deals:,} deals in {seconds:.0f} s into {path}", flush=True)
    return directory, filed_id, filed_bcc


async def measure(args: argparse.Namespace, service: Any, settings: Any,
                  directory: Directory, filed_id: str, filed_bcc: str) -> None:
    """Decide the same messages in both projects, alternately; print what each cost."""
    ctx = build_context(settings)
    rng = random.Random(args.contacts)
    messages = [_decision_message(n, args.contacts, rng)
                for n in range(args.decisions + args.warm_up)]
    load_before = os.getloadavg()
    results: dict[str, list[tuple[float, float, int, int]]] = {"plain": [], "filed": []}
    for number, raw in enumerate(messages):
        # Alternate which goes first, so neither always meets a warmer cache.
        order = [("plain", directory.project_id, directory.bcc), ("filed", filed_id,
                                                                  filed_bcc)]
        for name, project_id, bcc in order if number % 2 else reversed(order):
            result = decide_one(service.store, ctx, raw, project_id, bcc)
            if number >= args.warm_up:
                results[name].append(result)
    load_after = os.getloadavg()
    ctx.background.close()
    for name, rows in results.items():
        print(describe(name, rows))
    before, after = (" ".join(f"{v:.2f}" for v in load) for load in (load_before,
                                                                     load_after))
    print(f"load average (1, 5, 15 min) before {before}, after {after}; "
          f"{os.cpu_count()} CPUs")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--decisions", type=int, default=300)
    parser.add_argument("--warm-up", type=int, default=20)
    parser.add_argument("--reuse", help="a store this script seeded before (no seeding)")
    asyncio.run(main(parser.parse_args()))
