"""Where PCS coding misses on CodiEsp train: missed and spurious codes, most frequent first.

Usage:
    .venv/bin/python benchmarks/codiesp.py --track P --split train --keep /tmp/p.tsv
    .venv/bin/python scripts/pcs_train_errors.py /tmp/p.tsv [--gold GOLD_TSV]

Lexicon entries are added from what this prints for train (dev is for measuring only).
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _read(path: Path, assigned: float | None) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for line in path.read_text().splitlines():
        cells = line.split("\t")
        if len(cells) < 2:
            continue
        if assigned is not None and len(cells) > 2 and float(cells[2]) < assigned:
            continue
        out[cells[0]].add(cells[1].strip().upper())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("preds", type=Path)
    parser.add_argument(
        "--gold", type=Path, default=ROOT.parent / "shared" / "codiesp" / "train" / "goldP.tsv"
    )
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    gold = _read(args.gold, None)
    pred = _read(args.preds, 0.5)
    missed: Counter[str] = Counter()
    spurious: Counter[str] = Counter()
    near: Counter[tuple[str, str]] = Counter()
    for doc in set(gold) | set(pred):
        g, p = gold.get(doc, set()), pred.get(doc, set())
        for code in g - p:
            missed[code] += 1
            for other in p - g:
                if other[:4] == code[:4]:
                    near[(code, other)] += 1
        for code in p - g:
            spurious[code] += 1
    print(
        "missed (gold not predicted):",
        ", ".join(f"{c} {n}" for c, n in missed.most_common(args.top)),
    )
    print(
        "spurious (predicted not gold):",
        ", ".join(f"{c} {n}" for c, n in spurious.most_common(args.top)),
    )
    print(
        "same 4 characters, other code (gold, predicted):",
        ", ".join(f"{g}/{p} {n}" for (g, p), n in near.most_common(args.top)),
    )


if __name__ == "__main__":
    main()
