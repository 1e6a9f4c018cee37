"""Learn how the engine combines its evidence per candidate code, from CodiEsp train.

Usage::

    # 1. the ranker without each fold (5 runs; the same split as below)
    for k in 0 1 2 3 4; do .venv/bin/python scripts/train_codiesp_model.py \\
        ../shared/codiesp/train --hold-out $k --out /tmp/ranker_fold$k.npz; done
    # 2. this script
    .venv/bin/python scripts/train_codiesp_combiner.py ../shared/codiesp/train \\
        --fold-rankers /tmp/ranker_fold{}.npz [--rows /tmp/stack_rows.npz]

Steps (each printed):
1. Every train note is coded once without calibration or model, giving each note's Index
   paths (what ``scripts/learn_term_reliability.py`` counts); per fold, the calibration table
   of the other four folds.
2. Every train note is coded by an engine whose ranker (``--fold-rankers``) and calibration
   table never saw it; every candidate after the rules becomes a row of ``STACK_FEATURES``
   (``medcoder.coding.combine.stack_row``), its target whether the code is a gold code.
3. Boosted trees over the rows; their quality by 5-fold cross-validation over the notes (MAP
   and micro P/R/F1 against the raw gold codes, as the CodiEsp scorer counts them, beside the
   engine's own scores on the same out-of-fold candidates). The threshold that maximises the
   cross-validated F1 becomes the engine's 0.5.
4. Refit on all rows, write ``src/medcoder/coding/model/resources/codiesp_stacker.npz``.

Needs scikit-learn (training only). Deterministic: same inputs, same artefact. Never dev.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import KFold

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from train_codiesp_model import FOLDS, SEED, export_trees, read_code_set, to_leaf  # noqa: E402

from medcoder.codesets import KnowledgeBase  # noqa: E402
from medcoder.coding.calibration import TermReliability  # noqa: E402
from medcoder.coding.combine import ModelCombiner, stack_row  # noqa: E402
from medcoder.coding.diagnosis import CodingConfig, DiagnosisCoder  # noqa: E402
from medcoder.coding.model import LearnedRanker  # noqa: E402
from medcoder.coding.model.stacker import STACK_FEATURES, STACKER_NAME, final_score  # noqa: E402
from medcoder.coding.model.trees import BoostedTrees  # noqa: E402
from medcoder.notes import read_document  # noqa: E402

DEPTH = 3
TREES = {"max_iter": 150, "learning_rate": 0.05, "max_leaf_nodes": 8, "max_depth": DEPTH}
THRESHOLDS = np.round(np.arange(0.20, 0.71, 0.01), 2)


def say(message: str) -> None:
    """Progress for the person running the script (library code never prints)."""
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def load_gold(path: Path) -> dict[str, set[str]]:
    gold: dict[str, set[str]] = defaultdict(set)
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.reader(f, delimiter="\t"):
            if len(row) >= 2:
                gold[row[0]].add(row[1].strip().upper().replace(".", ""))
    return gold


def fit(x: np.ndarray, y: np.ndarray) -> HistGradientBoostingClassifier:
    model = HistGradientBoostingClassifier(early_stopping=False, random_state=SEED, **TREES)
    return model.fit(x, y)


def scores(
    groups: list[tuple[list[str], np.ndarray]], gold: list[set[str]], threshold: float
) -> tuple[float, float, float, float]:
    """MAP and micro P/R/F1 of (codes, scores) per note; a gold code never proposed is a miss."""
    aps, tp, fp, fn = [], 0, 0, 0
    for (codes, score), g in zip(groups, gold, strict=True):
        order = np.argsort(-score, kind="stable")
        hits, ap = 0, 0.0
        for k, j in enumerate(order, 1):
            if codes[j] in g:
                hits += 1
                ap += hits / k
        aps.append(ap / len(g) if g else 0.0)
        assigned = {codes[j] for j in range(len(codes)) if score[j] >= threshold}
        tp += len(assigned & g)
        fp += len(assigned - g)
        fn += len(g - assigned)
    p, r = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    return float(np.mean(aps)), p, r, 2 * p * r / max(p + r, 1e-12)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("train", type=Path, help="CodiEsp train folder (text_en/, goldD.tsv)")
    parser.add_argument("--fold-rankers", required=True, help="ranker path with {} for the fold")
    parser.add_argument("--rows", type=Path, help="cache of the candidate rows (reused if present)")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "src/medcoder/coding/model/resources" / STACKER_NAME
    )
    args = parser.parse_args()
    t0 = time.time()
    files = sorted((args.train / "text_en").glob("*.txt"))
    docs = [p.stem for p in files]
    gold_by_doc = load_gold(args.train / "goldD.tsv")
    gold = [gold_by_doc[d] for d in docs]
    # The target counts the FY2026 leaf a 2018 gold code became (R05 -> R05.9) as right: the
    # scorer cannot credit it, but it is the code a coder reports today.
    valid, leaves, titles = read_code_set(ROOT / "data")
    targets = [g | {leaf for c in g if (leaf := to_leaf(c, valid, leaves, titles))} for g in gold]
    folds = list(KFold(FOLDS, shuffle=True, random_state=SEED).split(docs))

    if args.rows is not None and args.rows.exists():
        cached = np.load(args.rows, allow_pickle=False)
        x, y, note, codes = cached["x"], cached["y"], cached["note"], cached["codes"].tolist()
        say(f"read {len(y)} rows from {args.rows}")
    else:
        x, y, note, codes = build_rows(args, files, gold, targets, folds)
        if args.rows is not None:
            np.savez_compressed(args.rows, x=x, y=y, note=note, codes=np.array(codes))
    say(f"{len(y)} candidate rows ({int(y.sum())} gold) in {time.time() - t0:.0f}s")

    # Cross-validated quality, beside the engine's own scores on the same candidates.
    oof = np.zeros(len(y))
    for tr, te in folds:
        rows_tr, rows_te = np.isin(note, tr), np.isin(note, te)
        oof[rows_te] = fit(x[rows_tr], y[rows_tr]).predict_proba(x[rows_te])[:, 1]
    by_note = [np.flatnonzero(note == i) for i in range(len(docs))]

    def groups(values: np.ndarray) -> list[tuple[list[str], np.ndarray]]:
        return [([codes[j] for j in rows], values[rows]) for rows in by_note]

    engine = scores(groups(x[:, 0]), gold, 0.5)
    say(
        f"  engine (hand-set scores) MAP={engine[0]:.4f} P={engine[1]:.3f} R={engine[2]:.3f} "
        f"F1={engine[3]:.4f}"
    )
    raw = scores(groups(oof), gold, 0.5)
    say(
        f"  learned probabilities alone cv MAP={raw[0]:.4f} P={raw[1]:.3f} R={raw[2]:.3f} "
        f"F1={raw[3]:.4f} at 0.5 (no coding-rule demotions)"
    )
    rows = x.tolist()

    def engine_scores(t: float) -> np.ndarray:
        """What the engine prints: mapped probabilities with the demotions of final_score."""
        return np.array([final_score(float(p), r, t) for p, r in zip(oof, rows, strict=True)])

    def f1_at(t: float) -> float:
        return scores(groups(engine_scores(t)), gold, 0.5)[3]

    best = max(THRESHOLDS, key=lambda t: (f1_at(float(t)), -t))
    learned = scores(groups(engine_scores(float(best))), gold, 0.5)
    say(
        f"  learned combination cv MAP={learned[0]:.4f} P={learned[1]:.3f} R={learned[2]:.3f} "
        f"F1={learned[3]:.4f} at threshold {best:.2f} (as the engine scores)"
    )

    model = fit(x, y)
    trees = export_trees(model)
    exported = BoostedTrees(
        feature=trees["cal_feature"].astype(np.int64),
        threshold=trees["cal_threshold"],
        value=trees["cal_value"],
        baseline=float(trees["cal_baseline"]),
    )
    assert np.allclose(exported.probability(x), model.predict_proba(x)[:, 1], atol=1e-9)
    meta = {
        "features": list(STACK_FEATURES),
        "threshold": float(best),
        "trained_on": "CodiEsp train (goldD.tsv), out-of-fold candidates of the engine",
        "notes": len(docs),
        "rows": int(len(y)),
        "trees": {"kind": "boosted trees", **TREES},
        "cv": {
            "engine": [round(v, 4) for v in engine],
            "learned": [round(v, 4) for v in learned],
            "probabilities_alone": [round(v, 4) for v in raw],
            "columns": ["map", "precision", "recall", "f1"],
        },
    }
    with open(args.out, "wb") as f:
        np.savez_compressed(f, meta=np.array(json.dumps(meta, sort_keys=True)), **trees)
    say(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB) in {time.time() - t0:.0f}s")


def build_rows(
    args: argparse.Namespace,
    files: list[Path],
    gold: list[set[str]],
    targets: list[set[str]],
    folds: list[tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    rows: list[list[float]] = []
    target: list[float] = []
    note: list[int] = []
    codes: list[str] = []
    documents = [read_document(p.read_bytes(), source=p.stem) for p in files]
    with KnowledgeBase.open() as kb:
        # 1. Index paths per note (as scripts/learn_term_reliability.py counts them).
        plain = DiagnosisCoder(kb, CodingConfig(calibrate=False, use_model=False, min_score=0.0))
        fired: list[set[tuple[str, str]]] = []
        for doc in documents:
            result = plain.code(doc)
            fired.append(
                {
                    (dx.index_path, dx.code.replace(".", ""))
                    for dx in result.diagnoses
                    if dx.index_path
                }
            )
        say(f"Index paths of {len(documents)} notes")
        coder = DiagnosisCoder(kb, CodingConfig(stack=False))
        for k, (tr, te) in enumerate(folds):
            # 2. An engine that never saw fold k: its calibration table and its ranker.
            counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
            for i in tr:
                for path, code in fired[i]:
                    counts[path][0] += 1
                    counts[path][1] += code in gold[i]
            coder.reliability = TermReliability({p: (v[0], v[1]) for p, v in counts.items()})
            ranker = LearnedRanker.load(args.fold_rankers.format(k))
            assert coder.combiner is not None
            coder.combiner = ModelCombiner(ranker, coder.icd, coder.lexicon)
            for i in te:
                _, cands, _, _ = coder.candidates(documents[i])
                for c in cands:
                    rows.append(stack_row(c, coder.reliability, ranker))
                    target.append(float(c.code in targets[i]))
                    note.append(int(i))
                    codes.append(c.code)
            say(f"  fold {k}: {len(te)} notes coded")
    return np.array(rows), np.array(target), np.array(note), codes


if __name__ == "__main__":
    main()
