"""Where CodiEsp errors come from: a confusion analysis by error type.

Usage: .venv/bin/python benchmarks/codiesp_errors.py --pred preds.tsv [--split dev]
(`benchmarks/codiesp.py --keep preds.tsv` writes the predictions.)

Missed gold codes (false negatives) are split into: not a valid FY2026 billable code (the gold
uses the 2018 Spanish edition), right 3-character category but another code assigned
(specificity), suggested below 0.5 (ranked but not assigned), and not proposed at all. Wrong
assigned codes (false positives) are split into: right category, wrong subdivision; and a
category the gold does not have.
"""

from __future__ import annotations

import argparse
import csv
import lzma
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def valid_codes() -> set[str]:
    with lzma.open(ROOT / "data/icd10cm-2026-04/code-list-April-2026.txt.xz", "rt") as f:
        codes = [line.strip() for line in f if line.strip()]
    leaves = set()
    for i, code in enumerate(codes):
        nxt = codes[i + 1] if i + 1 < len(codes) else ""
        if not nxt.startswith(code) or nxt == code:
            leaves.add(code)
    return leaves


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pred", type=Path, required=True)
    parser.add_argument("--split", default="dev")
    parser.add_argument("--codiesp", type=Path, default=ROOT.parent / "shared" / "codiesp")
    args = parser.parse_args()

    gold: dict[str, set[str]] = defaultdict(set)
    with (args.codiesp / args.split / "goldD.tsv").open() as f:
        for row in csv.reader(f, delimiter="\t"):
            gold[row[0]].add(row[1].upper().replace(".", ""))
    scored: dict[str, dict[str, float]] = defaultdict(dict)
    with args.pred.open() as f:
        for row in csv.reader(f, delimiter="\t"):
            scored[row[0]][row[1].replace(".", "")] = float(row[2])
    leaves = valid_codes()

    fn: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    missed_codes: Counter[str] = Counter()
    wrong_codes: Counter[str] = Counter()
    for doc, codes in gold.items():
        preds = scored.get(doc, {})
        assigned = {c for c, s in preds.items() if s >= 0.5}
        assigned_cats = {c[:3] for c in assigned}
        gold_cats = {c[:3] for c in codes}
        for code in codes - assigned:
            missed_codes[code] += 1
            if code not in leaves:
                fn["gold code not a valid FY2026 billable code"] += 1
            elif code[:3] in assigned_cats:
                fn["right category, other code assigned (specificity)"] += 1
            elif code in preds:
                fn["suggested below 0.5 (ranked, not assigned)"] += 1
            else:
                fn["not proposed at all"] += 1
        for code in assigned - codes:
            wrong_codes[code] += 1
            if code[:3] in gold_cats:
                fp["right category, wrong subdivision"] += 1
            else:
                fp["category not in gold"] += 1

    print(f"missed gold codes (FN): {sum(fn.values())}")
    for kind, n in fn.most_common():
        print(f"  {n:5d}  {kind}")
    print(f"wrong assigned codes (FP): {sum(fp.values())}")
    for kind, n in fp.most_common():
        print(f"  {n:5d}  {kind}")
    print("most missed:", ", ".join(f"{c} {n}" for c, n in missed_codes.most_common(15)))
    print("most wrong:", ", ".join(f"{c} {n}" for c, n in wrong_codes.most_common(15)))


if __name__ == "__main__":
    main()
