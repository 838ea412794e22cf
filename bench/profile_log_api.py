"""CPU per POST /v1/log call in one server process, for profiling and instruction counts.

    python bench/profile_log_api.py [--calls 600] [--warm-up 200] [--contacts 1000]
                                    [--profile]

Starts the API in this process on a fresh SQLite store (no SMTP gateway, no workers), seeds
a member and `--contacts` contacts, and has a client in another process (its CPU is not
counted) send the calls one after another: each a ~3 KB message/rfc822 as bench_log_api.py
sends them, each message new. Prints this process's CPU per call (all its threads). With
`--profile`, cProfile's 40 costliest functions by own time follow.

The machine's noise hides a 10 % change in that figure; instruction counts do not. Run it
under `valgrind --tool=callgrind` with two call counts (say 100 and 200): the difference of
the two totals over the extra calls is the server's instructions per call, start-up and
seeding cancelled out.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_smtp import ADMIN_TOKEN
from bench.seed import seed_contacts, seed_members
from blindcopy.runtime import start_service
from config.settings import load_settings

# The client: sequential Log calls, numbered from a first message number.
CLIENT = """
import asyncio, sys
import aiohttp
sys.path.insert(0, sys.argv[1])
from bench.bench_log_api import message

async def main(url, token, first, calls, contacts):
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "message/rfc822"}
    async with aiohttp.ClientSession() as http:
        for number in range(first, first + calls):
            async with http.post(url, data=message(number, contacts), headers=headers) as r:
                await r.read()
                if r.status != 200:
                    sys.exit(f"call {number} answered {r.status}")

asyncio.run(main(sys.argv[2], sys.argv[3], *map(int, sys.argv[4:7])))
"""


async def _client(url: str, token: str, first: int, calls: int, contacts: int) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CLIENT, str(ROOT), url, token, str(first), str(calls),
        str(contacts))
    if await process.wait() != 0:
        raise SystemExit("the client failed")


async def main(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="blindcopy-profile-log-"))
    settings = load_settings({}, database_url=f"sqlite:///{workdir / 'p.db'}", http_port=0,
                             admin_token=ADMIN_TOKEN, mail_domain="bcc.bench.test")
    service = await start_service(settings, smtp=False, workers=0)
    try:
        base = f"http://127.0.0.1:{service.http_port}"
        directory = await seed_members(base, ADMIN_TOKEN)
        seed_contacts(service.store.engine, directory.project_id, args.contacts)
        url = f"{base}/v1/log?project_id={directory.project_id}"
        await _client(url, directory.user_token, 0, args.warm_up, args.contacts)
        profiler = cProfile.Profile() if args.profile else None
        cpu = time.process_time()
        if profiler is not None:
            profiler.enable()
        await _client(url, directory.user_token, args.warm_up, args.calls, args.contacts)
        if profiler is not None:
            profiler.disable()
        cpu = time.process_time() - cpu
        print(f"{args.calls} Log calls: {cpu / args.calls * 1000:.2f} ms of server CPU per call")
        if profiler is not None:
            pstats.Stats(profiler).sort_stats("tottime").print_stats(40)
    finally:
        await service.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=600)
    parser.add_argument("--warm-up", type=int, default=200)
    parser.add_argument("--contacts", type=int, default=1000)
    parser.add_argument("--profile", action="store_true", help="print cProfile's costliest")
    asyncio.run(main(parser.parse_args()))
