"""CodiEsp accuracy: code a split and score it with the shared scorer.

Usage:
    .venv/bin/python benchmarks/codiesp.py [--split dev] [--track D|P] [--jobs 2]
        [--codiesp ../shared/codiesp] [--scorer ../shared/bench/codiesp_eval.py]

Track D runs `medcoder code-batch` (default options). Track P codes ICD-10-PCS with
`medcoder.coding.pcs.PcsCoder` in this process (complete codes and 4-character partials), and
also scores at the 4-character level (gold and predictions cut to 4 characters: CodiEsp-P gold is
partly truncated to 4 characters).

Prints MAP over all rows and micro precision / recall / F1 over the assigned rows (score >= 0.5),
at full code and 3-character level, using the shared scorer. Train is for learning, dev for
measuring: never tune on the numbers this prints for dev document by document.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", default="dev")
    parser.add_argument("--track", default="D", choices=["D", "P"])
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--codiesp", type=Path, default=ROOT.parent / "shared" / "codiesp")
    parser.add_argument(
        "--scorer", type=Path, default=ROOT.parent / "shared" / "bench" / "codiesp_eval.py"
    )
    parser.add_argument("--keep", type=Path, help="write the predictions TSV here")
    parser.add_argument(
        "--learned-scores",
        action="store_true",
        help="track P: scores learned on CodiEsp train (scripts/learn_pcs_reliability.py)",
    )
    args = parser.parse_args()

    texts = args.codiesp / args.split / "text_en"
    gold = args.codiesp / args.split / f"gold{args.track}.tsv"
    if args.track == "P":
        _procedure_track(args, texts, gold)
        return
    medcoder = Path(sys.executable).with_name("medcoder")
    with tempfile.TemporaryDirectory() as tmp:
        preds = args.keep or Path(tmp) / "preds.tsv"
        started = time.perf_counter()
        subprocess.run(
            [str(medcoder), "code-batch", str(texts), "-o", str(preds), "--jobs", str(args.jobs)],
            check=True,
        )
        elapsed = time.perf_counter() - started
        scores = _score(args.scorer, gold, preds)
    print(
        f"CodiEsp-{args.track} {args.split}: {len(list(texts.glob('*.txt')))} notes "
        f"coded in {elapsed:.1f} s (jobs={args.jobs}, including start-up)"
    )
    print(json.dumps(scores, indent=2))


def _score(scorer: Path, gold: Path, preds: Path) -> dict[str, object]:
    result = subprocess.run(
        [
            sys.executable,
            str(scorer),
            "--gold",
            str(gold),
            "--pred",
            str(preds),
            "--assigned",
            "0.5",
            "--json",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    scores: dict[str, object] = json.loads(result.stdout)
    return scores


def _procedure_track(args: argparse.Namespace, texts: Path, gold: Path) -> None:
    from medcoder.codesets.kb import KnowledgeBase
    from medcoder.coding.pcs import PcsCoder
    from medcoder.coding.pcs.reliability import load_reliability
    from medcoder.notes import parse_note, read_document

    files = sorted(texts.glob("*.txt"))
    with KnowledgeBase.open() as kb, tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        coder = PcsCoder(kb, reliability=load_reliability() if args.learned_scores else None)
        rows: list[str] = []
        for path in files:
            note = parse_note(
                read_document(path.read_bytes(), source=path.stem, setting="inpatient")
            )
            for s in coder.code(note).suggestions:
                rows.append(f"{path.stem}\t{s.code}\t{s.score}")
        elapsed = time.perf_counter() - started
        preds = args.keep or Path(tmp) / "preds.tsv"
        preds.write_text("\n".join(rows) + "\n")
        full = _score(args.scorer, gold, preds)
        # 4-character level: gold and predictions cut to 4 characters (duplicates count once).
        gold4, preds4 = Path(tmp) / "gold4.tsv", Path(tmp) / "preds4.tsv"
        gold4.write_text(_cut(gold.read_text(), 4))
        preds4.write_text(_cut(preds.read_text(), 4))
        four = _score(args.scorer, gold4, preds4)
    print(
        f"CodiEsp-P {args.split}: {len(files)} notes coded in {elapsed:.1f} s "
        f"({len(rows)} rows, in process, including coder start-up"
        f"{'; scores learned on train' if args.learned_scores else ''})"
    )
    for name, scores in (("full code", full), ("4 characters", four)):
        micro = scores["micro"]
        assert isinstance(micro, dict)
        print(
            f"{name:>12}: MAP {scores['map']:.3f}  micro P {micro['precision']:.3f} "
            f"R {micro['recall']:.3f} F1 {micro['f1']:.3f} (tp {micro['tp']}, fp {micro['fp']}, "
            f"fn {micro['fn']})"
        )
    print(json.dumps({"full": full, "four_characters": four}, indent=2))


def _cut(tsv: str, n: int) -> str:
    out = []
    for line in tsv.splitlines():
        cells = line.split("\t")
        if len(cells) >= 2:
            cells[1] = cells[1].strip()[:n]
            out.append("\t".join(cells))
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
