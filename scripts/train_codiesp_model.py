"""Train the learned ICD-10-CM ranker on CodiEsp train and write its artefact.

Usage::

    .venv/bin/python scripts/train_codiesp_model.py /path/to/codiesp/train \\
        [--out src/medcoder/coding/model/resources/codiesp_ranker.npz] [--data data]

The train folder holds ``text_en/<doc>.txt`` and ``goldD.tsv``. Needs numpy, scipy and
scikit-learn (training only). Deterministic: same inputs, same artefact.

Steps (each printed):
1. Gold codes -> valid FY2026 ICD-10-CM leaves: kept if a leaf; a non-leaf that is a valid code
   is mapped to its initial-encounter 7th-character form (``T14.90`` -> ``T14.90XA``) or to its
   "unspecified" child (``R51`` -> ``R51.9``); anything else is dropped.
2. Sublinear TF-IDF of word 1-2-grams (``medcoder.coding.model.features``), min_df = 2.
3. Multi-output ridge regression (dual form, one solve for every code), each code's weights
   truncated to its ``top`` strongest n-grams. ``lambda`` and ``top`` are picked by 5-fold
   cross-validation on train (MAP of the out-of-fold ranking).
4. A boosted-tree calibrator over the out-of-fold candidates (ridge scores, log code
   frequency, title-word overlap, position; ``STAGE2_FEATURES``), its own quality measured by
   a second 5-fold cross-validation over the same notes (MAP and micro-F1 at 0.5 against the
   raw gold codes, as the CodiEsp scorer counts them).
5. Refit on all of train, write the ``.npz``.
"""

from __future__ import annotations

import argparse
import csv
import json
import lzma
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from medcoder.coding.model.features import (  # noqa: E402
    FEATURE_VERSION,
    content_words,
    extract_ngrams,
    tfidf,
)
from medcoder.coding.model.ranker import (  # noqa: E402
    ARTEFACT_NAME,
    CONTEXT_TOPS,
    STAGE2_FEATURES,
    candidate_features,
)
from medcoder.coding.model.trees import BoostedTrees  # noqa: E402

LAMBDAS = (0.01, 0.03, 0.1)
TOPS = (2, 3, 5, 10, 20)
FOLDS = 5
MIN_DF = 2
CANDIDATES = 150
SEED = 0
DEPTH = 4
# Calibrator trees, chosen by the calibrator cross-validation on train (see the report).
TREES = {"max_iter": 100, "learning_rate": 0.1, "max_leaf_nodes": 15, "max_depth": DEPTH}
# Title words that say nothing about the note.
TITLE_NOISE = {"unspecified", "other", "specified", "classified", "elsewhere", "without", "not"}


def say(message: str) -> None:
    """Progress for the person running the script (library code never prints)."""
    sys.stdout.write(message + "\n")


def read_code_set(data: Path) -> tuple[set[str], set[str], dict[str, str]]:
    """Valid codes, leaf codes and titles (undotted) of the FY2026 April release."""
    folder = data / "icd10cm-2026-04"
    with lzma.open(folder / "code-list-April-2026.txt.xz", "rt", encoding="utf-8") as f:
        codes = [ln.strip() for ln in f if ln.strip()]
    codes = [c for c in codes if "-" not in c and not c.isdigit()]
    valid = set(codes)
    prefixes = {c[:i] for c in codes for i in range(3, len(c))}
    with lzma.open(folder / "icd10cm-tabular-April-1-2026.xml.xz", "rt", encoding="utf-8") as f:
        xml = f.read()
    titles = {
        name.replace(".", ""): desc
        for name, desc in re.findall(r"<name>([^<]+)</name>\s*<desc>([^<]*)</desc>", xml)
    }
    return valid, valid - prefixes, titles


def to_leaf(code: str, valid: set[str], leaves: set[str], titles: dict[str, str]) -> str | None:
    """The valid leaf a gold code stands for, or None (see the module docstring)."""
    if code in leaves:
        return code
    if code not in valid:
        return None
    cur = code
    while cur not in leaves and len(cur) < 7:
        initial = cur.ljust(6, "X") + "A"
        if initial in leaves:
            return initial
        kids = [k for k in (cur + s for s in "0123456789X") if k in valid]
        unspecified = [k for k in kids if "unspecified" in titles.get(k, "").lower()]
        if not unspecified:
            return None
        sided = re.compile(r"\b(left|right|male|female|first|second|third)\b")
        cur = min(
            unspecified, key=lambda k: (bool(sided.search(titles[k].lower())), len(titles[k]), k)
        )
    return cur if cur in leaves else None


def dotted(code: str) -> str:
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


def load_split(folder: Path) -> tuple[list[str], list[str], dict[str, set[str]]]:
    docs = sorted(p.stem for p in (folder / "text_en").glob("*.txt"))
    texts = [(folder / "text_en" / f"{d}.txt").read_text(encoding="utf-8") for d in docs]
    gold: dict[str, set[str]] = {d: set() for d in docs}
    with open(folder / "goldD.tsv", newline="", encoding="utf-8") as f:
        for row in csv.reader(f, delimiter="\t"):
            if len(row) >= 2 and row[0] in gold:
                gold[row[0]].add(row[1].strip().replace(".", "").upper())
    return docs, texts, gold


def held_in(docs: list[str], fold: int) -> list[int]:
    """Indexes of ``docs`` outside ``fold`` of the fixed 5-fold split of train (sorted names)."""
    split = list(KFold(FOLDS, shuffle=True, random_state=SEED).split(docs))
    return [int(i) for i in split[fold][0]]


def packaged_choice() -> tuple[tuple[float, ...], tuple[int, ...]]:
    """The lambda and top of the packaged ranker (a held-out fold model copies them)."""
    packaged = ROOT / "src/medcoder/coding/model/resources" / ARTEFACT_NAME
    with np.load(packaged, allow_pickle=False) as npz:
        meta = json.loads(str(npz["meta"]))
    return (float(meta["lambda"]),), (int(meta["top_weights_per_code"]),)


def vectorise(grams: list[list[str]], rows: list[int]) -> tuple[dict[str, int], np.ndarray]:
    """Vocabulary (min_df) and smoothed idf from the documents ``rows``."""
    df: Counter[str] = Counter()
    for r in rows:
        df.update(set(grams[r]))
    vocab = sorted(t for t, n in df.items() if n >= MIN_DF)
    n = len(rows)
    idf = np.array([np.log((1 + n) / (1 + df[t])) + 1.0 for t in vocab])
    return {t: i for i, t in enumerate(vocab)}, idf


def matrix(
    ngrams: list[list], rows: list[int], vocab: dict[str, int], idf: np.ndarray
) -> sp.csr_matrix:
    data, ind, ptr = [], [], [0]
    idf_list = idf.tolist()
    for r in rows:
        vec = tfidf(ngrams[r], vocab, idf_list)
        ind.extend(vec.keys())
        data.extend(vec.values())
        ptr.append(len(ind))
    return sp.csr_matrix((data, ind, ptr), shape=(len(rows), len(vocab)))


def ridge(x: sp.csr_matrix, y: np.ndarray, lam: float) -> np.ndarray:
    """Primal weights (features x codes) of multi-output ridge, solved in the dual."""
    k = (x @ x.T).toarray()
    alpha = np.linalg.solve(k + lam * np.eye(k.shape[0]), y)
    return np.asarray(x.T @ alpha)


def truncate(w: np.ndarray, top: int) -> np.ndarray:
    """Keep each code's ``top`` largest-magnitude weights (ties broken by column order)."""
    out = np.zeros_like(w)
    keep = np.argsort(-np.abs(w), axis=0, kind="stable")[:top]
    cols = np.arange(w.shape[1])
    out[keep, cols] = w[keep, cols]
    return out


def average_precision(scores: np.ndarray, gold: set[int], extra: int) -> float:
    """AP of the top CANDIDATES; ``extra`` gold codes the model cannot produce count as misses."""
    total = len(gold) + extra
    if not total:
        return 0.0
    hits, ap = 0, 0.0
    for k, j in enumerate(np.argsort(-scores, kind="stable")[:CANDIDATES], 1):
        if int(j) in gold:
            hits += 1
            ap += hits / k
    return ap / total


def fit_logistic(x: np.ndarray, target: np.ndarray) -> LogisticRegression:
    """The former calibrator, kept as the baseline of the calibrator cross-validation."""
    return LogisticRegression(C=1.0, max_iter=3000).fit(x, target)


def fit_trees(x: np.ndarray, target: np.ndarray) -> HistGradientBoostingClassifier:
    """The calibrator: boosted trees, no early stopping (so no random validation split)."""
    model = HistGradientBoostingClassifier(early_stopping=False, random_state=SEED, **TREES)
    return model.fit(x, target)


def calibrator_cv(
    fit: Callable[[np.ndarray, np.ndarray], Any],
    orders: list[np.ndarray],
    feats: list[np.ndarray],
    targets: list[np.ndarray],
    raw_gold: list[set[str]],
    codes: list[str],
    folds: list[tuple[np.ndarray, np.ndarray]],
) -> tuple[float, float, float, float]:
    """MAP and micro P/R/F1 (probability >= 0.5) of a calibrator fitted on the other folds.

    Ranked like the ranker does (top 30 by probability) and scored against the raw gold codes,
    as the CodiEsp scorer counts them (a mapped or dropped gold code is a miss).
    """
    aps: list[float] = []
    tp = fp = fn = 0
    for tr, te in folds:
        model = fit(np.vstack([feats[i] for i in tr]), np.concatenate([targets[i] for i in tr]))
        for i in te:
            gold = raw_gold[i]
            prob = model.predict_proba(feats[i])[:, 1] if len(orders[i]) else np.zeros(0)
            best = np.argsort(-prob, kind="stable")[:30]
            ranked = [codes[int(orders[i][b])] for b in best]
            hits, ap = 0, 0.0
            for k, code in enumerate(ranked, 1):
                if code in gold:
                    hits += 1
                    ap += hits / k
            aps.append(ap / len(gold) if gold else 0.0)
            assigned = {codes[int(orders[i][b])] for b in best if prob[b] >= 0.5}
            tp += len(assigned & gold)
            fp += len(assigned - gold)
            fn += len(gold - assigned)
    p, r = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    return float(np.mean(aps)), p, r, 2 * p * r / max(p + r, 1e-12)


def export_trees(model: HistGradientBoostingClassifier) -> dict[str, np.ndarray]:
    """The fitted trees padded to complete trees of depth ``DEPTH`` (``medcoder...trees``).

    Reads scikit-learn's fitted predictors (a private attribute: training only); the caller
    checks the result against ``predict_proba``.
    """
    inner, leaves = 2**DEPTH - 1, 2**DEPTH
    trees = [predictors[0].nodes for predictors in model._predictors]
    feature = np.zeros((len(trees), inner), dtype=np.int8)
    threshold = np.full((len(trees), inner), np.inf)
    value = np.zeros((len(trees), leaves))
    for t, nodes in enumerate(trees):
        stack = [(0, 0, 0)]  # (sklearn node, level-order position, level)
        while stack:
            n, pos, level = stack.pop()
            node = nodes[n]
            if node["is_leaf"]:
                # Padded nodes below keep threshold +inf (always left); every padded leaf
                # under this position carries the value.
                first = (pos + 1) * 2 ** (DEPTH - level) - 1 - inner
                value[t, first : first + 2 ** (DEPTH - level)] = node["value"]
                continue
            feature[t, pos] = node["feature_idx"]
            threshold[t, pos] = node["num_threshold"]
            stack.append((int(node["left"]), 2 * pos + 1, level + 1))
            stack.append((int(node["right"]), 2 * pos + 2, level + 1))
    return {
        "cal_feature": feature,
        "cal_threshold": threshold,
        "cal_value": value,
        "cal_baseline": np.array(float(np.ravel(model._baseline_prediction)[0])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("train", type=Path, help="CodiEsp train folder (text_en/, goldD.tsv)")
    parser.add_argument("--data", type=Path, default=ROOT / "data", help="vendored data folder")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "src/medcoder/coding/model/resources" / ARTEFACT_NAME
    )
    parser.add_argument(
        "--hold-out",
        type=int,
        metavar="FOLD",
        help="train without this fold (0..4) of train (for out-of-fold predictions downstream)",
    )
    args = parser.parse_args()
    t0 = time.time()

    valid, leaves, titles = read_code_set(args.data)
    docs, texts, gold = load_split(args.train)
    if args.hold_out is not None:
        keep = held_in(docs, args.hold_out)
        docs, texts = [docs[i] for i in keep], [texts[i] for i in keep]
        say(f"holding out fold {args.hold_out}: training on {len(docs)} notes")
    status: Counter[str] = Counter()
    labels: list[set[str]] = []
    unreachable: list[int] = []
    for d in docs:
        mapped: set[str] = set()
        for code in gold[d]:
            leaf = to_leaf(code, valid, leaves, titles)
            status["leaf" if leaf == code else "mapped" if leaf else "dropped"] += 1
            if leaf:
                mapped.add(leaf)
        labels.append(mapped)
        unreachable.append(len(gold[d]) - len(mapped))
    say(
        f"{len(docs)} notes, {sum(status.values())} gold rows: {status['leaf']} valid leaves, "
        f"{status['mapped']} mapped to a leaf, {status['dropped']} dropped"
    )

    codes = sorted({c for s in labels for c in s})
    col = {c: j for j, c in enumerate(codes)}
    y = np.zeros((len(docs), len(codes)))
    for i, s in enumerate(labels):
        for c in s:
            y[i, col[c]] = 1.0
    count = y.sum(axis=0)
    say(f"{len(codes)} codes; {int((count >= 2).sum())} with >= 2 notes")
    ngrams = [extract_ngrams(t) for t in texts]
    grams = [[g.text for g in ng] for ng in ngrams]
    gold_idx = [{col[c] for c in s} for s in labels]

    # Out-of-fold ridge scores for every (lambda, top).
    folds = list(KFold(FOLDS, shuffle=True, random_state=SEED).split(docs))
    # A held-out fold model reuses the packaged model's lambda and top (no grid search).
    lambdas, grid = (LAMBDAS, TOPS) if args.hold_out is None else packaged_choice()
    tops = sorted(set(grid) | set(CONTEXT_TOPS))
    oof = {(lam, top): np.zeros_like(y) for lam in lambdas for top in tops}
    for tr, te in folds:
        vocab, idf = vectorise(grams, list(tr))
        x_tr, x_te = matrix(ngrams, list(tr), vocab, idf), matrix(ngrams, list(te), vocab, idf)
        for lam in lambdas:
            w = ridge(x_tr, y[tr], lam)
            for top in tops:
                oof[lam, top][te] = np.asarray(x_te @ truncate(w, top))
    cv = {
        key: float(
            np.mean(
                [average_precision(s[i], gold_idx[i], unreachable[i]) for i in range(len(docs))]
            )
        )
        for key, s in oof.items()
        if key[1] in grid
    }
    for (lam, top), m in sorted(cv.items()):
        say(f"  cv lambda={lam:<5} top={top:<3} MAP={m:.4f}")
    lam, top = max(cv, key=lambda k: (cv[k], -k[1]))
    say(f"chosen lambda={lam} top={top} (cv MAP {cv[lam, top]:.4f})")

    # Calibrator on the out-of-fold candidates (the same features the ranker computes).
    title_words = [frozenset(content_words(titles.get(c, "")) - TITLE_NOISE) for c in codes]
    log_count = np.log1p(count)
    categories = np.unique([c[:3] for c in codes], return_inverse=True)[1]
    no_cap = np.full(3, np.inf)
    orders, feats = [], []
    for i in range(len(docs)):
        scores = [oof[lam, t][i] for t in (top, *CONTEXT_TOPS)]
        order, f = candidate_features(
            scores, log_count, title_words, content_words(texts[i]), no_cap, categories
        )
        orders.append(order)
        feats.append(f)
    targets = [y[i, orders[i]] for i in range(len(docs))]
    raw_gold = [gold[d] for d in docs]
    calibrator_scores = {}
    # A held-out fold model only feeds out-of-fold predictions: no calibrator comparison.
    calibrators = (
        () if args.hold_out is not None else (("logistic", fit_logistic), ("trees", fit_trees))
    )
    for name, fit in calibrators:
        m, p, r, f1 = calibrator_cv(fit, orders, feats, targets, raw_gold, codes, folds)
        say(f"  calibrator cv {name:<8} MAP={m:.4f} P={p:.3f} R={r:.3f} F1={f1:.4f}")
        calibrator_scores[name] = {"map": round(m, 4), "f1": round(f1, 4)}
    x2, target = np.vstack(feats), np.concatenate(targets)
    calibrator = fit_trees(x2, target)
    trees = export_trees(calibrator)
    exported = BoostedTrees(
        feature=trees["cal_feature"].astype(np.int64),
        threshold=trees["cal_threshold"],
        value=trees["cal_value"],
        baseline=float(trees["cal_baseline"]),
    )
    assert np.allclose(exported.probability(x2), calibrator.predict_proba(x2)[:, 1], atol=1e-9)
    # Scores beyond what the calibrator saw (short notes: the L2 norm spreads over few
    # n-grams) are clipped to its range instead of extrapolated.
    score_caps = x2[:, [0, 4, 5]].max(axis=0)
    say(
        f"calibrator on {len(target)} candidates ({int(target.sum())} gold): "
        f"{trees['cal_value'].shape[0]} trees of depth {DEPTH}"
    )

    # Final model on all of train.
    vocab, idf = vectorise(grams, list(range(len(docs))))
    w = ridge(matrix(ngrams, list(range(len(docs))), vocab, idf), y, lam)
    # Each code keeps its CONTEXT_TOPS[-1] strongest weights with their rank, so the ranker
    # can sum the top-`top` core and the wider context scores from one table.
    keep = np.argsort(-np.abs(w), axis=0, kind="stable")[: CONTEXT_TOPS[-1]]
    cols = np.broadcast_to(np.arange(w.shape[1]), keep.shape)
    ranks = np.broadcast_to(np.arange(keep.shape[0])[:, None], keep.shape)
    vals = w[keep, cols]
    nz = vals != 0
    csr = sp.csr_matrix((vals[nz].astype(np.float32), (keep[nz], cols[nz])), shape=w.shape)
    rank_csr = sp.csr_matrix(
        ((ranks[nz] + 1).astype(np.float64), (keep[nz], cols[nz])), shape=w.shape
    )
    csr.sort_indices()
    rank_csr.sort_indices()
    assert np.array_equal(csr.indices, rank_csr.indices)
    meta = {
        "feature_version": FEATURE_VERSION,
        "trained_on": "CodiEsp train (goldD.tsv), English text",
        "notes": len(docs),
        "gold_rows": dict(status),
        "lambda": lam,
        "top_weights_per_code": top,
        "min_df": MIN_DF,
        "cv_map": round(cv[lam, top], 4),
        "context_tops": list(CONTEXT_TOPS),
        "score_caps": score_caps.tolist(),
        "stage2_features": list(STAGE2_FEATURES),
        "calibrator": {"kind": "boosted trees", **TREES},
        "calibrator_cv": calibrator_scores,
        "code_set": "ICD-10-CM FY2026 April",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "wb") as f:
        np.savez_compressed(
            f,
            meta=np.array(json.dumps(meta, sort_keys=True)),
            vocab=np.array(sorted(vocab, key=vocab.__getitem__)),
            idf=idf,
            codes=np.array([dotted(c) for c in codes]),
            code_count=count.astype(np.int32),
            title_words=np.array([" ".join(sorted(t)) for t in title_words]),
            w_ptr=csr.indptr.astype(np.int32),
            w_code=csr.indices.astype(np.int32),
            w_val=csr.data.astype(np.float32),
            w_rank=(rank_csr.data - 1).astype(np.uint8),
            **trees,
        )
    say(
        f"vocabulary {len(vocab)} n-grams, {csr.nnz} weights; wrote {args.out} "
        f"({args.out.stat().st_size / 1024:.0f} KiB) in {time.time() - t0:.0f}s"
    )


if __name__ == "__main__":
    main()
