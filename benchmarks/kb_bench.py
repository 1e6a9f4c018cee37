"""Knowledge-base benchmark: build time, database size, lookups/s, search p50/p95.

Run: `make bench` or `.venv/bin/python benchmarks/kb_bench.py [--cache-dir DIR]`.
It builds into a fresh temporary folder (so the build is timed for real), then measures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

from medcoder.codesets import KnowledgeBase
from medcoder.codesets.build import build_knowledge_base

SEARCHES = [
    "diabetic foot ulcer",
    "afib",
    "acute on chronic diastolic heart failure",
    "pneumonia due to streptococcus",
    "closed fracture of right distal radius",
    "chronic kidney disease stage 3b",
    "major depressive disorder recurrent moderate",
    "copd exacerbation",
    "urinary tract infection",
    "essential hypertension",
]


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cache-dir", type=Path, help="build here instead of a temp folder")
    parser.add_argument("--lookups", type=int, default=20000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        out = args.cache_dir or Path(tmp)
        report = build_knowledge_base(out, force=True)
        print(f"build: {report.seconds:.1f} s total")
        for name, seconds, counts in report.steps:
            # Builders also report check counters (codes_valid, ...) next to table rows.
            rows = sum(counts.values())
            print(f"  {name:<22} {seconds:6.2f} s  {rows:>10,} rows + counters")
        print(f"database size: {report.path.stat().st_size / 1e6:.1f} MB")

        t0 = time.perf_counter()
        kb = KnowledgeBase(report.path)
        with kb:
            kb.icd10cm.lookup("E11.9")
            print(f"open + first lookup: {(time.perf_counter() - t0) * 1000:.0f} ms")
            # The Index tree and the search synonyms load on first use: time that apart.
            for label, first in (
                ("index walk", lambda: kb.index.index("Pneumonia", "aspiration")),
                ("search", lambda: kb.icd10cm.search(SEARCHES[0], limit=20)),
            ):
                t0 = time.perf_counter()
                first()
                print(f"first {label} (lazy load): {(time.perf_counter() - t0) * 1000:.0f} ms")

            codes = [
                r[0]
                for r in kb.con.execute(
                    "SELECT code FROM icd10cm_code WHERE billable = 1 ORDER BY random() LIMIT 2000"
                )
            ]
            dos = dt.date(2026, 5, 14)
            for label, call in (
                ("lookup", lambda c: kb.icd10cm.lookup(c)),
                ("validate", lambda c: kb.icd10cm.validate(c, dos)),
            ):
                t0 = time.perf_counter()
                for i in range(args.lookups):
                    call(codes[i % len(codes)])
                elapsed = time.perf_counter() - t0
                print(
                    f"{label}: {args.lookups / elapsed:,.0f}/s "
                    f"({elapsed / args.lookups * 1e6:.1f} µs each)"
                )

            t0 = time.perf_counter()
            for _ in range(200):
                kb.index.index("Pneumonia", "aspiration")
            print(f"index walk: {(time.perf_counter() - t0) / 200 * 1e6:.1f} µs each")

            timings: list[float] = []
            for _ in range(10):
                for text in SEARCHES:
                    t0 = time.perf_counter()
                    kb.icd10cm.search(text, limit=20)
                    timings.append((time.perf_counter() - t0) * 1000)
            print(
                f"search: p50 {statistics.median(timings):.2f} ms, "
                f"p95 {_percentile(timings, 0.95):.2f} ms over {len(timings)} queries"
            )


if __name__ == "__main__":
    main()
