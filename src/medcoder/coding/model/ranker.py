"""A small learned ranker of ICD-10-CM diagnosis codes, trained on CodiEsp train.

Two stages, both linear, both evaluated with numpy alone:

1. **Keyword ridge.** The note becomes a sublinear TF-IDF vector of words and word pairs
   (:mod:`.features`); each code has a ridge-regression weight vector learned on the training
   notes, truncated to its few strongest n-grams — the truncation is what makes it work on 500
   notes, it keeps "brucellosis" for A23.9 and drops the noise. Score = dot product, clipped
   to the range seen in training.
2. **Calibration.** A logistic regression over (ridge score, log training frequency of the code,
   share of the code title's words found in the note, their product), fitted on out-of-fold
   scores, turns the score into a probability that the code is in the gold set.

Only valid FY2026 ICD-10-CM leaf codes are in the model (gold codes of other shapes were mapped or
dropped at training time). Example::

    >>> ranker = LearnedRanker.load()
    >>> best = ranker.rank("Type 2 diabetes mellitus on metformin.", top=3)[0]
    >>> best.code, 0.0 <= best.score <= 1.0
    ('E11.9', True)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from medcoder.coding.model.features import (
    FEATURE_VERSION,
    Ngram,
    content_words,
    extract_ngrams,
    tfidf,
)
from medcoder.errors import DataFileError, InputError

__all__ = ["ARTEFACT_NAME", "LearnedRanker", "NgramEvidence", "RankedCode"]

#: File name of the packaged artefact under ``medcoder/coding/model/resources/``.
ARTEFACT_NAME = "codiesp_ranker.npz"

# Stage-1 candidates passed to the calibrator; more would only add near-zero probabilities.
_CANDIDATES = 60
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
        self._log_count: _FloatArray = np.log1p(arrays["code_count"].astype(np.float64))
        self._title_words: list[frozenset[str]] = [
            frozenset(str(t).split()) for t in arrays["title_words"].tolist()
        ]
        self._ptr: _IntArray = arrays["w_ptr"].astype(np.int64)
        self._w_code: _IntArray = arrays["w_code"].astype(np.int64)
        self._w_val: _FloatArray = arrays["w_val"].astype(np.float64)
        self._coef: _FloatArray = arrays["stage2_coef"].astype(np.float64)
        self._intercept = float(arrays["stage2_intercept"])
        self._score_cap = float(meta["score_cap"])

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
        return cls(arrays, meta)

    @property
    def codes(self) -> tuple[str, ...]:
        """Every code the model can propose (dotted, upper case)."""
        return tuple(self._codes)

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
        features = np.repeat(cols, lengths)
        scores = np.bincount(codes, weights=contrib, minlength=len(self._codes))

        positive = np.flatnonzero(scores > 0.0)
        order = positive[np.argsort(-scores[positive], kind="stable")][:_CANDIDATES]
        if order.size == 0:
            return []
        words = content_words(text)
        overlap = np.array(
            [
                len(self._title_words[j] & words) / len(self._title_words[j])
                if self._title_words[j]
                else 0.0
                for j in order.tolist()
            ]
        )
        s, lc = np.minimum(scores[order], self._score_cap), self._log_count[order]
        z = np.column_stack([s, lc, overlap, s * lc]) @ self._coef + self._intercept
        probs = 1.0 / (1.0 + np.exp(-z))
        best = np.argsort(-probs, kind="stable")[:top]

        first: dict[str, Ngram] = {}
        for gram in grams:
            first.setdefault(gram.text, gram)
        result = []
        for k in best.tolist():
            j = int(order[k])
            mask = (codes == j) & (contrib > 0.0)
            picked = features[mask][np.argsort(-contrib[mask], kind="stable")][:_EVIDENCE_PER_CODE]
            evidence = tuple(
                NgramEvidence(first[t].start, first[t].end, t)
                for t in (self._vocab[f] for f in picked.tolist())
            )
            score = float(probs[k])
            result.append(RankedCode(self._codes[j], min(1.0, max(0.0, score)), evidence))
        return result
