"""Calibrated confidence of Index walks, learned from coded training notes.

A walk's prior confidence comes from how much of the Index path the note supports. Some walks
look well supported and are still rarely what a coder assigns ("Old" in "a 70-year-old man",
"Symptoms NEC"); others are nearly always right. ``resources/term_reliability.json`` holds, per
Index path, how often it fired and how often its code was in the gold codes of the training
notes (CodiEsp train; produced by ``scripts/learn_term_reliability.py``). The calibrated score
blends the prior with that precision, smoothed so that a path seen a few times moves little.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from medcoder.errors import InputError

__all__ = ["TermReliability"]

#: Pseudo-observations at the prior: a path must be seen this many times to move halfway.
SMOOTHING = 4.0


@dataclass(frozen=True)
class TermReliability:
    """Observed (fired, correct) counts per Index path."""

    counts: Mapping[str, tuple[int, int]]
    source: str = ""

    @classmethod
    def load(cls) -> TermReliability:
        """The packaged table (empty if it was never learned)."""
        ref = resources.files("medcoder.coding").joinpath("resources/term_reliability.json")
        if not ref.is_file():
            return cls({})
        return cls.from_dict(json.loads(ref.read_text(encoding="utf-8")))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TermReliability:
        unknown = set(data) - {"_comment", "source", "counts"}
        if unknown:
            raise InputError(f"term_reliability: unknown keys {sorted(unknown)}", field="")
        counts = {str(k): (int(v[0]), int(v[1])) for k, v in data["counts"].items()}
        return cls(counts, str(data.get("source", "")))

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "counts": {k: list(v) for k, v in self.counts.items()}}

    def adjust(self, path: str, prior: float) -> float:
        """The calibrated score of a walk along ``path`` whose prior score is ``prior``."""
        seen = self.counts.get(path)
        if seen is None:
            return prior
        fired, correct = seen
        precision = (correct + SMOOTHING * prior) / (fired + SMOOTHING)
        return round(0.4 * prior + 0.6 * precision, 4)
