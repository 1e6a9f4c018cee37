"""Learned-ranker benchmark on CodiEsp dev: MAP, micro P/R/F1 (score >= 0.5), notes/s, load time.

Run: `.venv/bin/python benchmarks/model_eval.py [--split ../shared/codiesp/dev] [--out preds.tsv]`.
It ranks every dev note with the packaged model alone (no index rules), writes
`doc_id<TAB>code<TAB>score`, and calls the shared CodiEsp scorer on it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from medcoder.coding.model import LearnedRanker

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", type=Path, default=SHARED / "codiesp" / "dev")
    parser.add_argument("--scorer", type=Path, default=SHARED / "bench" / "codiesp_eval.py")
    parser.add_argument("--out", type=Path, default=Path("/tmp/medcoder-model-dev.tsv"))
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()

    t0 = time.perf_counter()
    ranker = LearnedRanker.load()
    load_s = time.perf_counter() - t0

    paths = sorted((args.split / "text_en").glob("*.txt"))
    notes = [(p.stem, p.read_text(encoding="utf-8")) for p in paths]
    t0, c0 = time.perf_counter(), time.process_time()
    ranked = [(doc, ranker.rank(text, top=args.top)) for doc, text in notes]
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0

    with open(args.out, "w", encoding="utf-8") as f:
        for doc, codes in ranked:
            for rc in codes:
                f.write(f"{doc}\t{rc.code.lower()}\t{rc.score:.6f}\n")
    print(
        f"model {ranker.meta['top_weights_per_code']} weights/code, "
        f"lambda={ranker.meta['lambda']}, {len(ranker.codes)} codes, calibrator "
        f"{ranker.meta['calibrator']}; load {load_s * 1000:.0f} ms"
    )
    print(
        f"{len(notes)} notes in {elapsed:.2f}s = {len(notes) / elapsed:.0f} notes/s wall, "
        f"{len(notes) / cpu:.0f} notes/s of CPU time (one core); predictions: {args.out}"
    )
    subprocess.run(
        [
            sys.executable,
            str(args.scorer),
            "--gold",
            str(args.split / "goldD.tsv"),
            "--pred",
            str(args.out),
            "--assigned",
            "0.5",
        ],
        check=True,
    )


if __name__ == "__main__":
    main()
