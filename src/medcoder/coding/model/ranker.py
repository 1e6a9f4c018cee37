"""A small learned ranker of ICD-10-CM diagnosis codes, trained on CodiEsp train.

Two stages, both linear, both evaluated with numpy alone:

1. **Keyword ridge.** The note becomes a sublinear TF-IDF vector of words and word pairs
   (:mod:`.features`); each code has a ridge-regression weight vector learned on the training
   notes, truncated to its few strongest n-grams — the truncation is what makes it work on 500
   notes: it keeps "brucella" for A23.9 and drops the noise. Score = dot product, clipped to
   the range seen in training.
2. **Calibration.** Boosted regression trees (:mod:`.trees`) turn each candidate's evidence
   into a probability that a coder assigned the code: the core score, the wider scores over the
   code's 20 and 100 strongest n-grams (context that agrees), log training frequency of the
   code, how many and what share of the code title's words are in the note, the candidate's
   position and its lead over (or lag behind) candidates of the same 3-character category
   (:data:`STAGE2_FEATURES`). They are fitted on out-of-fold scores of the training notes. On
   the same candidates, trees beat a logistic calibrator in 5-fold cross-validation on train
   (MAP 0.369 -> 0.391, micro-F1 at 0.5: 0.381 -> 0.439); a vote of the nearest training notes
   added nothing there and was left out.

Only valid FY2026 ICD-10-CM leaf codes are in the model (gold codes of other shapes were mapped or
dropped at training time). Example::

    >>> ranker = LearnedRanker.load()
    >>> best = ranker.rank("Type 2 diabetes mellitus on metformin.", top=3)[0]
    >>> best.code, 0.0 <= best.score <= 1.0
    ('E11.9', True)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from medcoder.coding.model.features import (
    FEATURE_VERSION,
    Ngram,
    extract_ngrams,
    tfidf,
)
from medcoder.coding.model.trees import BoostedTrees
from medcoder.errors import DataFileError, InputError

__all__ = [
    "ARTEFACT_NAME",
    "CONTEXT_TOPS",
    "STAGE2_FEATURES",
    "LearnedRanker",
    "NgramEvidence",
    "RankedCode",
    "candidate_features",
]

#: File name of the packaged artefact under ``medcoder/coding/model/resources/``.
ARTEFACT_NAME = "codiesp_ranker.npz"

#: Besides its few core n-grams, each code has wider ridge scores over its 20 and 100 strongest
#: weights: too noisy to rank with, they tell the calibrator how much context agrees.
CONTEXT_TOPS = (20, 100)

#: Inputs of the calibrator, in order (see :func:`candidate_features`).
STAGE2_FEATURES = (
    "core_score",
    "log1p_train_count",
    "title_overlap",
    "core_x_count",
    "score_top20",
    "score_top100",
    "title_complete",
    "log1p_position",
    "log1p_title_hits",
    "title_any",
    "category_gap",
    "log_category_candidates",
)

# Stage-1 candidates passed to the calibrator: 150 scored better than 60 or 100 in train CV
# (the trees recover gold codes that the core score ranks low).
_CANDIDATES = 150
_EVIDENCE_PER_CODE = 3

_FloatArray = npt.NDArray[np.float64]
_IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class NgramEvidence:
    """A feature that pushed a code up: ``text[start:end]`` is where it occurs first."""

    start: int
    end: int
    ngram: str


@dataclass(frozen=True, slots=True)
class RankedCode:
    """One code proposed by the model.

    ``score`` is a calibrated probability that a professional coder assigned this code to the
    note (fitted on CodiEsp train, out of fold); ``evidence`` holds the strongest n-grams.
    """

    code: str
    score: float
    evidence: tuple[NgramEvidence, ...]


def candidate_features(
    scores: Sequence[_FloatArray],
    log_count: _FloatArray,
    title_words: Sequence[frozenset[str]],
    words: set[str],
    caps: _FloatArray,
    categories: _IntArray,
) -> tuple[_IntArray, _FloatArray]:
    """Pick a note's candidate codes and compute the calibrator's inputs for them.

    Shared by training and inference so both see the same features.

    Args:
        scores: per-code ridge scores of the core model and of each of :data:`CONTEXT_TOPS`.
        log_count: ``log1p`` of each code's number of training notes.
        title_words: content words of each code's title.
        words: content words of the note.
        caps: the largest score of each model seen in training (scores are clipped to it).
        categories: a number per code, the same for codes of one 3-character category.

    Returns:
        Candidate code columns (best core score first, the top-20 score breaking ties) and
        one row of :data:`STAGE2_FEATURES` per candidate.
    """
    core, wide, broad = (np.minimum(s, cap) for s, cap in zip(scores, caps, strict=True))
    base = np.maximum(core, 0.0) + 1e-3 * np.maximum(wide, 0.0)
    positive = np.flatnonzero(base > 0.0)
    order = positive[np.argsort(-base[positive], kind="stable")][:_CANDIDATES]
    hits = np.array([len(title_words[j] & words) for j in order.tolist()], dtype=np.float64)
    sizes = np.array([len(title_words[j]) for j in order.tolist()], dtype=np.float64)
    overlap = np.divide(hits, sizes, out=np.zeros_like(hits), where=sizes > 0)
    s, lc = core[order], log_count[order]
    # Siblings: how far the best candidate of the same 3-character category is ahead, and how
    # many candidates share the category (a code among many cousins is often the wrong one).
    _, family = np.unique(categories[order], return_inverse=True)
    best = np.full(int(family.max(initial=-1)) + 1, -np.inf)
    np.maximum.at(best, family, s)
    gap = best[family] - s
    siblings = np.log(np.bincount(family).astype(np.float64))[family]
    rows = np.column_stack(
        [
            s,
            lc,
            overlap,
            s * lc,
            wide[order],
            broad[order],
            (overlap == 1.0) * 1.0,
            np.log1p(np.arange(order.size, dtype=np.float64)),
            np.log1p(hits),
            (hits > 0) * 1.0,
            gap,
            siblings,
        ]
    )
    return order, rows.reshape(-1, len(STAGE2_FEATURES))


def _unigrams(grams: Sequence[Ngram]) -> set[str]:
    # The same set as features.content_words(text), without tokenising the note again.
    return {g.text for g in grams if " " not in g.text}


def _default_artefact() -> IO[bytes]:
    return resources.files("medcoder.coding.model").joinpath("resources", ARTEFACT_NAME).open("rb")


class LearnedRanker:
    """Ranks ICD-10-CM codes for a note with the packaged linear model.

    Build it with :meth:`load`; it is immutable and thread-safe once loaded.
    """

    def __init__(self, arrays: dict[str, Any], meta: dict[str, Any]) -> None:
        self.meta = meta
        self._vocab: list[str] = [str(t) for t in arrays["vocab"].tolist()]
        self._vocabulary = {t: i for i, t in enumerate(self._vocab)}
        self._idf: list[float] = arrays["idf"].astype(np.float64).tolist()
        self._codes: list[str] = [str(c) for c in arrays["codes"].tolist()]
        self._categories: _IntArray = np.unique([c[:3] for c in self._codes], return_inverse=True)[
            1
        ].astype(np.int64)
        self._log_count: _FloatArray = np.log1p(arrays["code_count"].astype(np.float64))
        self._count = {
            c.replace(".", ""): int(n)
            for c, n in zip(self._codes, arrays["code_count"].tolist(), strict=True)
        }
        self._category_count: dict[str, int] = {}
        for c, n in self._count.items():
            self._category_count[c[:3]] = self._category_count.get(c[:3], 0) + n
        self._title_words: list[frozenset[str]] = [
            frozenset(str(t).split()) for t in arrays["title_words"].tolist()
        ]
        self._ptr: _IntArray = arrays["w_ptr"].astype(np.int64)
        self._w_code: _IntArray = arrays["w_code"].astype(np.int64)
        self._w_val: _FloatArray = arrays["w_val"].astype(np.float64)
        self._calibrator = BoostedTrees(
            feature=arrays["cal_feature"].astype(np.int64),
            threshold=arrays["cal_threshold"].astype(np.float64),
            value=arrays["cal_value"].astype(np.float64),
            baseline=float(arrays["cal_baseline"]),
        )
        self._w_rank: _IntArray = arrays["w_rank"].astype(np.int64)
        self._core_top = int(meta["top_weights_per_code"])
        self._caps: _FloatArray = np.array(meta["score_caps"], dtype=np.float64)

    @classmethod
    def load(cls, path: Path | str | None = None) -> LearnedRanker:
        """Read a trained artefact (default: the one packaged with medcoder).

        Args:
            path: an ``.npz`` written by ``scripts/train_codiesp_model.py``.

        Returns:
            The ranker.

        Raises:
            DataFileError: the file is missing, unreadable or was trained with other features.
        """
        where = (
            str(path) if path is not None else f"medcoder/coding/model/resources/{ARTEFACT_NAME}"
        )
        try:
            stream = open(path, "rb") if path is not None else _default_artefact()
            with stream, np.load(stream, allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
        except (OSError, ValueError) as exc:
            raise DataFileError(f"cannot read the ranker artefact: {exc}", path=where) from exc
        try:
            meta = json.loads(str(arrays.pop("meta")))
        except (KeyError, ValueError) as exc:
            raise DataFileError("the ranker artefact has no metadata", path=where) from exc
        if meta.get("feature_version") != FEATURE_VERSION:
            raise DataFileError(
                f"the ranker artefact was trained with features v{meta.get('feature_version')}, "
                f"this code extracts v{FEATURE_VERSION}: retrain it",
                path=where,
            )
        try:
            return cls(arrays, meta)
        except KeyError as exc:
            raise DataFileError(f"the ranker artefact lacks {exc}", path=where) from exc

    @property
    def codes(self) -> tuple[str, ...]:
        """Every code the model can propose (dotted, upper case)."""
        return tuple(self._codes)

    def train_count(self, code: str) -> int:
        """In how many training notes ``code`` (dotted or not) was a gold code (0: never)."""
        return self._count.get(code.replace(".", "").upper(), 0)

    def category_count(self, code: str) -> int:
        """Gold codes of the training notes in the 3-character category of ``code``."""
        return self._category_count.get(code.replace(".", "").upper()[:3], 0)

    def rank(self, text: str, *, top: int = 30) -> list[RankedCode]:
        """The most probable codes for ``text``, best first.

        Args:
            text: the note; evidence offsets refer to it.
            top: at most this many codes.

        Returns:
            Up to ``top`` codes with a positive stage-1 score; empty for a note without any
            known word.

        Raises:
            InputError: ``top`` is negative.
        """
        if top < 0:
            raise InputError(f"'top' must be >= 0, got {top}", field="top")
        grams = extract_ngrams(text)
        vector = tfidf(grams, self._vocabulary, self._idf)
        if not vector or top == 0:
            return []
        cols = np.fromiter(vector.keys(), dtype=np.int64, count=len(vector))
        xs = np.fromiter(vector.values(), dtype=np.float64, count=len(vector))
        starts, ends = self._ptr[cols], self._ptr[cols + 1]
        lengths = ends - starts
        # Flatten the CSR rows of the note's features: one entry per (feature, code) weight.
        offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
        flat = offsets + np.arange(int(lengths.sum()), dtype=np.int64)
        codes = self._w_code[flat]
        contrib = self._w_val[flat] * np.repeat(xs, lengths)
        rank = self._w_rank[flat]
        features = np.repeat(cols, lengths)
        n = len(self._codes)
        scores = [
            np.bincount(codes, weights=np.where(rank < top_k, contrib, 0.0), minlength=n).astype(
                np.float64, copy=False
            )
            for top_k in (self._core_top, *CONTEXT_TOPS)
        ]
        order, rows = candidate_features(
            scores,
            self._log_count,
            self._title_words,
            _unigrams(grams),
            self._caps,
            self._categories,
        )
        if order.size == 0:
            return []
        probs = self._calibrator.probability(rows)
        best = np.argsort(-probs, kind="stable")[:top]
        chosen = order[best]
        evidence = self._evidence(chosen, codes, contrib, rank, features, grams)
        return [
            RankedCode(self._codes[j], min(1.0, max(0.0, float(p))), evidence.get(j, ()))
            for j, p in zip(chosen.tolist(), probs[best].tolist(), strict=True)
        ]

    def _evidence(
        self,
        chosen: _IntArray,
        codes: _IntArray,
        contrib: _FloatArray,
        rank: _IntArray,
        features: _IntArray,
        grams: Sequence[Ngram],
    ) -> dict[int, tuple[NgramEvidence, ...]]:
        """Per chosen code, the note's n-grams among its 20 strongest, biggest push first."""
        keep = np.flatnonzero((contrib > 0.0) & (rank < CONTEXT_TOPS[0]) & np.isin(codes, chosen))
        # Sorted by code, then by falling contribution: one pass groups them.
        keep = keep[np.lexsort((-contrib[keep], codes[keep]))]
        first = {gram.text: gram for gram in reversed(grams)}
        found: dict[int, list[NgramEvidence]] = {}
        for j, f in zip(codes[keep].tolist(), features[keep].tolist(), strict=True):
            spans = found.setdefault(j, [])
            if len(spans) < _EVIDENCE_PER_CODE:
                gram = first[self._vocab[f]]
                spans.append(NgramEvidence(gram.start, gram.end, gram.text))
        return {j: tuple(spans) for j, spans in found.items()}
