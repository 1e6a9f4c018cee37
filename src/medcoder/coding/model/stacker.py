"""The learned combination of the engine's evidence about one candidate code.

The Index walk, the calibration table, the learned ranker and the rules each say something
about a candidate code. Instead of fixed weights, a small boosted-tree model (fitted by
``scripts/train_codiesp_combiner.py`` on out-of-fold candidates of CodiEsp train: every train
note coded by an engine whose ranker and calibration table never saw it) turns those signals
(``STACK_FEATURES``) into the probability that a coder assigned the code. The artefact is one
``.npz`` (``resources/codiesp_stacker.npz``), evaluated with numpy alone.

The probability is mapped onto the engine's score scale so that the F1-optimal threshold found
on train becomes the engine's assignment threshold (0.5); the mapping is monotone, so the order
of the codes is the order of the probabilities.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from medcoder.coding.model.trees import BoostedTrees
from medcoder.errors import DataFileError

__all__ = ["STACKER_NAME", "STACK_FEATURES", "Stacker", "final_score", "to_engine_score"]

#: File name of the packaged artefact under ``medcoder/coding/model/resources/``.
STACKER_NAME = "codiesp_stacker.npz"

#: The columns of a candidate's row, in order (built by ``medcoder.coding.combine.stack_row``).
STACK_FEATURES = (
    "engine_score",  # the engine's score after combination and rules
    "index_score",  # the Index walk's calibrated score before the ranker (0: model-only)
    "model_p",  # the learned ranker's probability (0: not proposed)
    "model_rank_inverse",  # 1 / the ranker's rank (0: not proposed)
    "origin_index",
    "origin_rule",
    "origin_model",
    "not_named",  # model-only, demoted: its words are not words of its title or Index entries
    "already_coded",  # model-only, demoted: its words are already coded from the Index
    "assertion_demoted",  # model-only, its evidence negated, historical, possible, family ...
    "rule_demoted",  # demoted by a coding rule (Excludes1, integral symptom, not valid on the date)
    "uncertain",  # an uncertain diagnosis coded as established (inpatient, II.H)
    "path_fired",  # log(1 + notes the Index path fired in, calibration table)
    "path_precision",  # (correct + 1) / (fired + 2) of the Index path (0.5 if unseen)
    "code_train_notes",  # log(1 + training notes with this code)
    "category_train_notes",  # log(1 + training notes with a code of its 3-character category)
    "evidence_spans",  # log(1 + words of the note that support it)
    "symptom",  # chapter 18 (R codes)
    "factor",  # chapter 21 (Z codes)
    "title_match",  # found as a Tabular title said word for word
    "agreement",  # the Index and the ranker both proposed it
)

_FloatArray = npt.NDArray[np.float64]
_COLUMN = {name: i for i, name in enumerate(STACK_FEATURES)}
#: Highest score of a code that must not be assigned (``medcoder.coding.rules.DEMOTED_CEILING``).
_CEILING = 0.49
#: A model-only code whose evidence is negated, historical, uncertain (outpatient) or a family
#: member's is never assigned, whatever the combination says.
HARD_ASSERTION = True
#: A model-only code (no Index walk, no rule behind it) is assigned only when the combination
#: gives it at least this probability: the F1-optimal threshold learned on CodiEsp (about 0.2)
#: lets single generic words ("skin", "heart") assign unspecified codes in US notes, and a
#: wrong code costs more than a missed one (DESIGN: correct before clever). Below it, the code
#: stays a suggestion for the coder, in the same order.
MODEL_ONLY_MIN_PROBABILITY = 0.5


def to_engine_score(probability: float, threshold: float) -> float:
    """Map a probability onto the engine's scale: ``threshold`` -> 0.5, monotone, 0 -> 0, 1 -> 1."""
    if probability < threshold:
        return 0.5 * probability / threshold
    return 0.5 + 0.5 * (probability - threshold) / (1.0 - threshold)


def final_score(probability: float, row: list[float], threshold: float) -> float:
    """The engine score of a candidate from its probability and its ``STACK_FEATURES`` row.

    The probability is mapped onto the engine scale (``to_engine_score``). A code a coding rule
    demoted (Excludes1, integral symptom, not valid on the date), a model-only code whose words
    are already coded from the Index (one mention, one code) and, with ``HARD_ASSERTION``, a
    model-only code whose evidence is not a current condition stay below 0.5. A code a rule
    added (status, drug therapy, combination) keeps its own score when that is higher: such
    codes are rare in CodiEsp's case reports by design, not because they are wrong.
    """
    score = to_engine_score(probability, threshold)
    if row[_COLUMN["origin_rule"]]:
        score = max(score, row[_COLUMN["engine_score"]])
    hard = (
        row[_COLUMN["rule_demoted"]] or row[_COLUMN["already_coded"]] or row[_COLUMN["not_named"]]
    )
    if hard or (HARD_ASSERTION and row[_COLUMN["assertion_demoted"]]):
        score = min(score, _CEILING)
    model_only = row[_COLUMN["origin_model"]] and not row[_COLUMN["index_score"]]
    if model_only and not row[_COLUMN["origin_rule"]] and probability < MODEL_ONLY_MIN_PROBABILITY:
        score = min(score, _CEILING)
    return score


def _default_artefact() -> IO[bytes]:
    return resources.files("medcoder.coding.model").joinpath("resources", STACKER_NAME).open("rb")


class Stacker:
    """The fitted combination model: rows of ``STACK_FEATURES`` -> probabilities."""

    def __init__(self, trees: BoostedTrees, threshold: float, meta: dict[str, Any]) -> None:
        self.trees = trees
        self.threshold = threshold
        self.meta = meta

    @classmethod
    def load(cls, path: Path | str | None = None) -> Stacker:
        """Read the artefact written by ``scripts/train_codiesp_combiner.py``.

        Raises:
            DataFileError: the file is missing, unreadable or built for other features.
        """
        where = str(path) if path is not None else f"medcoder/coding/model/resources/{STACKER_NAME}"
        try:
            stream = open(path, "rb") if path is not None else _default_artefact()
            with stream, np.load(stream, allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
            meta = json.loads(str(arrays["meta"]))
            trees = BoostedTrees(
                feature=arrays["cal_feature"].astype(np.int64),
                threshold=arrays["cal_threshold"].astype(np.float64),
                value=arrays["cal_value"].astype(np.float64),
                baseline=float(arrays["cal_baseline"]),
            )
        except (OSError, ValueError, KeyError) as exc:
            raise DataFileError(f"cannot read the combination artefact: {exc}", path=where) from exc
        if tuple(meta.get("features", ())) != STACK_FEATURES:
            raise DataFileError(
                "the combination artefact was fitted on other features: retrain it", path=where
            )
        return cls(trees, float(meta["threshold"]), meta)

    def probability(self, rows: list[list[float]]) -> list[float]:
        """The probability that a coder assigned each candidate row."""
        if not rows:
            return []
        matrix: _FloatArray = np.asarray(rows, dtype=np.float64)
        return [float(p) for p in self.trees.probability(matrix)]
