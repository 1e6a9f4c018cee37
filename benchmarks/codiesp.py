"""CodiEsp accuracy: run `medcoder code-batch` (default options) on a split and score it.

Usage:
    .venv/bin/python benchmarks/codiesp.py [--split dev] [--track D|P] [--jobs 2]
        [--codiesp ../shared/codiesp] [--scorer ../shared/bench/codiesp_eval.py]

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
    args = parser.parse_args()

    texts = args.codiesp / args.split / "text_en"
    gold = args.codiesp / args.split / f"gold{args.track}.tsv"
    medcoder = Path(sys.executable).with_name("medcoder")
    with tempfile.TemporaryDirectory() as tmp:
        preds = args.keep or Path(tmp) / "preds.tsv"
        started = time.perf_counter()
        subprocess.run(
            [str(medcoder), "code-batch", str(texts), "-o", str(preds), "--jobs", str(args.jobs)],
            check=True,
        )
        elapsed = time.perf_counter() - started
        if args.track == "P":
            # Procedure track: keep only ICD-10-PCS rows (7 characters, no dot).
            rows = [r for r in preds.read_text().splitlines() if len(r.split("\t")[1]) == 7]
            preds.write_text("\n".join(rows) + "\n")
        result = subprocess.run(
            [
                sys.executable,
                str(args.scorer),
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
        scores = json.loads(result.stdout)
    print(
        f"CodiEsp-{args.track} {args.split}: {len(list(texts.glob('*.txt')))} notes "
        f"coded in {elapsed:.1f} s (jobs={args.jobs}, including start-up)"
    )
    print(json.dumps(scores, indent=2))


if __name__ == "__main__":
    main()
