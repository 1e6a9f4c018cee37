"""Claim scrubber benchmark: encounters checked per second with every registered edit.

Run: `.venv/bin/python benchmarks/edits_bench.py [--encounters 2000] [--seed 5]`.
The knowledge base is the cached one (built first if needed; the build is not timed). The
encounters are generated from a fixed seed out of real codes (E/M visits, minor procedures
that NCCI bundles, add-on codes, labs, drugs with MUEs, ICD-10-CM diagnoses), so two runs
check the same claims; the example coverage policies run too. It prints the rate for the
whole rule set and the time each rule takes, slowest first.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter, defaultdict
from typing import Any

from medcoder.codesets import KnowledgeBase
from medcoder.edits import EditConfig, EditContext, Editor, Encounter, parse_encounter
from medcoder.edits.coverage import example_policy_file, load_coverage

DIAGNOSES = ["E11.9", "E11.65", "I10", "I13.10", "N18.31", "J44.1", "L84", "M17.11",
             "D51.0", "Z00.00", "R10.9", "N40.0", "O24.419", "S52.501A", "F32.1",
             "K21.9"]  # fmt: skip
LINES = ["99213", "99214", "99203", "99385", "99396", "11055", "11720", "11721", "17000",
         "17003", "20610", "96372", "J3420", "J1100", "83036", "82306", "36415", "55700",
         "G0101", "99417", "99215", "10060", "12001"]  # fmt: skip
MODIFIERS = ["25", "59", "RT", "LT", "XS"]


def generate(count: int, seed: int) -> list[Encounter]:
    """``count`` encounters, the same for the same seed."""
    rng = random.Random(seed)
    out: list[Encounter] = []
    for n in range(count):
        dx = rng.sample(DIAGNOSES, rng.randint(1, 4))
        lines: list[dict[str, Any]] = []
        for _ in range(rng.randint(1, 6)):
            lines.append(
                {
                    "code": rng.choice(LINES),
                    "units": rng.choice([1, 1, 1, 2, 3, 15]),
                    "modifiers": rng.sample(MODIFIERS, rng.choice([0, 0, 0, 1])),
                    "diagnosis_pointers": rng.sample(range(1, len(dx) + 2), rng.randint(0, 2)),
                }
            )
        out.append(
            parse_encounter(
                {
                    "id": f"bench-{n}",
                    "date_of_service": f"2026-{rng.randint(4, 9):02d}-{rng.randint(1, 28):02d}",
                    "setting": rng.choice(["outpatient", "outpatient", "outpatient_hospital"]),
                    "payer": rng.choice([None, "EXAMPLE-PAYER"]),
                    "patient": {"age": rng.randint(0, 95), "sex": rng.choice("MF")},
                    "diagnoses": [{"code": c} for c in dx],
                    "lines": lines,
                }
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--encounters", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()

    encounters = generate(args.encounters, args.seed)
    with KnowledgeBase.open() as kb:
        editor = Editor(kb, EditConfig(extra_rules=tuple(load_coverage(example_policy_file()))))
        editor.edit(encounters[0])  # warm-up: lazy tables and caches load once
        t0 = time.perf_counter()
        counts: Counter[str] = Counter()
        for enc in encounters:
            counts.update(f.edit_id for f in editor.edit(enc).findings)
        seconds = time.perf_counter() - t0
        print(f"rules: {len(editor.rules)} ({', '.join(r.id for r in editor.rules)})")
        print(
            f"{len(encounters)} encounters in {seconds:.2f} s: "
            f"{len(encounters) / seconds:,.0f} encounters checked per second "
            f"({sum(len(e.lines) for e in encounters)} service lines, "
            f"{sum(counts.values())} findings)"
        )

        per_rule: dict[str, float] = defaultdict(float)
        for enc in encounters:
            ctx = EditContext(kb=kb, view=kb.for_date(enc.dos))
            for rule in editor.rules:
                start = time.perf_counter()
                list(rule.check(enc, ctx))
                per_rule[rule.id] += time.perf_counter() - start
        print("time per rule (ms per encounter), findings:")
        for rule_id, total in sorted(per_rule.items(), key=lambda kv: -kv[1]):
            print(f"  {rule_id:<36} {total * 1000 / len(encounters):7.3f}  {counts[rule_id]:>6}")


if __name__ == "__main__":
    main()
