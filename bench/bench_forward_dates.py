"""Forwarded dates in every locale: the table-driven reader against a general date parser.

    python bench/bench_forward_dates.py

Reads every date of the Crisp forward corpus (../shared/corpora, 196 dated cases) plus the
four of issue 22 with `parsing.forward_dates` (CLDR month and weekday words via Babel), and,
when it is installed (it is not a dependency), with dateparser 1.x. For each: import time,
the first date (tables built, languages loaded), µs per date warm, dates not read, and the
process's peak RSS growth (the `parsing` package itself imported before, for both). Each
reader runs in a subprocess of its own, so neither's imports or caches count for the other.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpora" / "crisp-email-forward-parser"
ISSUE_22 = ["Montag, 23. November 2026 16:12", "lun. 23 nov. 2026 à 16:12",
            "lunes, 23 de noviembre de 2026 16:12", "November 23, 2026 at 4:12:09 PM GMT+1"]

READER = r'''
import json, resource, sys, time
import parsing  # the package (flanker, icalendar): the same for both, not counted
dates = json.loads(sys.stdin.read())
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
if sys.argv[1] == "table":
    from parsing.forward_dates import parse_forward_date as read
else:
    import dateparser
    settings = {"RETURN_AS_TIMEZONE_AWARE": True, "DATE_ORDER": "DMY"}
    def read(text):
        return dateparser.parse(text, settings=settings)
imported = time.perf_counter()
read(dates[0])
first = time.perf_counter()
missed = [d for d in dates if read(d) is None]
rounds = 5
warm = time.perf_counter()
for _ in range(rounds):
    for d in dates:
        read(d)
per_date = (time.perf_counter() - warm) / rounds / len(dates)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps({"import_ms": (imported - started) * 1000, "first_ms": (first - imported) * 1000,
                  "us_per_date": per_date * 1e6, "missed": missed, "rss_mib": rss / 1024}))
'''


def corpus_dates() -> list[str]:
    """Return the dates Crisp's dated cases carry, as the forward parser finds them."""
    sys.path.insert(0, str(ROOT))
    from parsing import parse_inline_forward

    cases = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))["cases"]
    dates = []
    for case in cases:
        if "date" not in case["expected"]:
            continue
        body = (CORPUS / case["body_file"]).read_text(encoding="utf-8")
        subject = (CORPUS / case["subject_file"]).read_text(encoding="utf-8") \
            if case["subject_file"] else ""
        found = parse_inline_forward(body, subject)
        dates.append(found.date if found else "")
    return dates


def measure(reader: str, dates: list[str]) -> dict[str, object] | None:
    done = subprocess.run([sys.executable, "-c", READER, reader], input=json.dumps(dates),
                          capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        return None
    result: dict[str, object] = json.loads(done.stdout)
    return result


def main() -> None:
    dates = corpus_dates() + ISSUE_22
    print(f"{len(dates)} dates (Crisp's dated cases and issue 22's)\n")
    print("| reader | import | first date | per date, warm | not read | peak RSS growth |")
    print("| --- | --- | --- | --- | --- | --- |")
    for reader in ("table", "dateparser"):
        found = measure(reader, dates)
        if found is None:
            print(f"| {reader} | not installed | | | | |")
            continue
        print(f"| {reader} | {found['import_ms']:.0f} ms | {found['first_ms']:.0f} ms | "
              f"{found['us_per_date']:.0f} µs | {len(found['missed'])} | "  # type: ignore[arg-type]
              f"{found['rss_mib']:.0f} MiB |")


if __name__ == "__main__":
    main()
