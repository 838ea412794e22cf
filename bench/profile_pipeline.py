"""CPU per message on the worker path, in one process, for profiling (py-spy, pyinstrument).

    python bench/profile_pipeline.py [--messages 300] [--contacts 100000] [--claim-batch N]
                                     [--companies N --deals N --deal-association MODE]
                                     [--profile out.html] [--cprofile N]

Spools `--messages` SMTP-like messages (10 KB body, the member to the BCC address with a
contact in Cc, as bench_smtp.py sends them) straight into a fresh SQLite store, then drains
them with `processing.worker.drain` (the worker path, `processing.claim.process_claim`,
claim after claim, in this thread) and prints the CPU milliseconds per message. With
`--profile`, the drain runs under pyinstrument and its HTML report is written there.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event

from bench.bench_smtp import ADMIN_TOKEN
from bench.seed import MEMBER, seed_companies, seed_contacts, seed_deals, seed_members
from blindcopy.runtime import build_context, start_service
from config.settings import load_settings
from metrics import Metrics
from processing.worker import drain
from store import spool
from store.models import Project, ReceivedMessage

LINE = "La De Da De Da 1. La De Da De Da 2. La De Da De Da 3. La De Da De Da 4.\r\n"


def smtp_message(number: int, bcc: str, size: int) -> bytes:
    """Return a message shaped like smtp-source's: headers, a Cc to a contact, `size` body."""
    body = (LINE * (size // len(LINE) + 1))[:size]
    return (f"From: <{MEMBER}>\r\nTo: <{bcc}>\r\nCc: Bob <bob@client.test>\r\n"
            f"Date: Tue, 24 Nov 2026 10:00:00 +0000\r\nSubject: Offer\r\n"
            f"Message-Id: <{number}.{time.time_ns()}@bench.test>\r\n\r\n{body}").encode()


async def main(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="blindcopy-profile-"))
    settings = load_settings({}, database_url=f"sqlite:///{workdir / 'p.db'}", http_port=0,
                             admin_token=ADMIN_TOKEN, mail_domain="bcc.bench.test",
                             claim_batch=args.claim_batch)
    service = await start_service(settings, smtp=False, workers=0)
    try:
        directory = await seed_members(f"http://127.0.0.1:{service.http_port}", ADMIN_TOKEN)
        store = service.store
        run = uuid.uuid4().hex[:8]
        if args.companies:
            seed_companies(store.engine, directory.project_id, args.companies, run)
        seed_contacts(store.engine, directory.project_id, args.contacts, run=run,
                      companies=args.companies)
        if args.deals:
            seed_deals(store.engine, directory.project_id, args.deals, args.contacts, run)
        with store.write() as session:
            project = session.get(Project, directory.project_id)
            assert project is not None
            project.deal_association = args.deal_association
        with store.write() as session:
            for number in range(args.messages + args.warm_up):
                spool.enqueue(session, ReceivedMessage(
                    channel="bcc", raw=smtp_message(number, directory.bcc, args.size),
                    mail_from=MEMBER, rcpt_to=[directory.bcc], client_ip="127.0.0.1",
                    helo="bench", project_ids=[directory.project_id]))
        ctx = build_context(settings)
        drain(store, ctx, limit=args.warm_up)
        ctx = replace(ctx, metrics=Metrics())  # count only the measured messages
        statements = [0]

        def count(*_args: object) -> None:
            statements[0] += 1

        event.listen(store.engine, "before_cursor_execute", count)
        profiler = None
        if args.cprofile:
            import cProfile
            profiler = cProfile.Profile()
            profiler.enable()
        elif args.profile:
            from pyinstrument import Profiler
            profiler = Profiler()
            profiler.start()
        cpu, wall = time.process_time(), time.perf_counter()
        done = drain(store, ctx, limit=args.messages)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        if args.cprofile:
            import pstats
            profiler.disable()
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.cprofile)
        elif profiler is not None:
            profiler.stop()
            Path(args.profile).write_text(profiler.output_html())
            print(profiler.output_text(unicode=False, color=False, show_all=False)[:args.text])
        print(f"{done} messages: {cpu / done * 1000:.2f} ms CPU, {wall / done * 1000:.2f} ms wall, "
              f"{statements[0] / done:.1f} SQL statements (BEGINs included) per message")
        print("wall ms per message by stage (blindcopy_stage_seconds): " + ", ".join(
            f"{stage} {mean * 1000:.2f}" for stage, (_n, mean) in ctx.metrics.stage_means().items()))
        ctx.background.close()
    finally:
        await service.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--warm-up", type=int, default=20)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--size", type=int, default=10_240)
    parser.add_argument("--companies", type=int, default=0,
                        help="companies to seed (SPEC §12; bob@client.test's domain is one's)")
    parser.add_argument("--deals", type=int, default=0, help="deals to seed on the contacts")
    parser.add_argument("--deal-association", default="none",
                        choices=("none", "open_recent", "all_open"))
    parser.add_argument("--claim-batch", type=int, default=None,
                        help="messages a worker claims (and records) at once; default: the setting's")
    parser.add_argument("--cprofile", type=int, default=0,
                        help="print the N functions of most own time (cProfile)")
    parser.add_argument("--sort", default="tottime", help="cProfile order: tottime, cumulative")
    parser.add_argument("--profile", help="write pyinstrument's HTML report here")
    parser.add_argument("--text", type=int, default=12_000, help="characters of text report")
    asyncio.run(main(parser.parse_args()))
