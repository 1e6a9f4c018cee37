"""Learn how often each PCS lexicon entry's codes are right on CodiEsp train.

Usage:
    .venv/bin/python scripts/learn_pcs_reliability.py [--split train]

Codes every note of the split with default scores, counts per lexicon entry and kind (complete
code or 4-character partial) how many proposed codes are in the gold standard, and writes
``src/medcoder/coding/pcs/resources/pcs_reliability.json``. Past-history procedures and the
side-by-side alternatives are left out (their scores are scaled down anyway). Learn on train
only: dev is for measuring.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from medcoder.codesets.kb import KnowledgeBase
from medcoder.coding.pcs import PcsCoder
from medcoder.coding.pcs.reliability import Reliability
from medcoder.notes import parse_note, read_document

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "medcoder" / "coding" / "pcs" / "resources" / "pcs_reliability.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", default="train")
    parser.add_argument("--codiesp", type=Path, default=ROOT.parent / "shared" / "codiesp")
    args = parser.parse_args()
    gold: dict[str, set[str]] = defaultdict(set)
    for line in (args.codiesp / args.split / "goldP.tsv").read_text().splitlines():
        doc, code = line.split("\t")[:2]
        gold[doc].add(code.strip().upper())
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    with KnowledgeBase.open() as kb:
        coder = PcsCoder(kb, reliability=Reliability())
        for path in sorted((args.codiesp / args.split / "text_en").glob("*.txt")):
            note = parse_note(read_document(path.read_bytes(), setting="inpatient"))
            for s in coder.code(note).suggestions:
                if s.historical or not s.assigned:
                    continue
                key = f"{s.procedure}:{'full' if s.complete else 'partial'}"
                counts[key][1] += 1
                counts[key][0] += s.code in gold[path.stem]
    learned = Reliability({k: (r, p) for k, (r, p) in counts.items()})
    OUT.write_text(json.dumps(learned.to_dict(), indent=0, sort_keys=True) + "\n")
    worst = sorted(counts.items(), key=lambda kv: kv[1][0] / kv[1][1])[:12]
    print(f"{len(counts)} entries written to {OUT.relative_to(ROOT)}")
    print("least reliable:", ", ".join(f"{k} {r}/{p}" for k, (r, p) in worst))


if __name__ == "__main__":
    main()
