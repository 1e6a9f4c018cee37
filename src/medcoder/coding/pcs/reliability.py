"""How often each procedure word's code was right on CodiEsp train: the suggestion's score.

``resources/pcs_reliability.json`` maps ``"<lexicon entry id>:<full|partial>"`` to
``[right, proposed]``: how many of the codes the entry proposed on CodiEsp train (complete
codes, or 4-character partials) were in the gold standard. It is written by
``scripts/learn_pcs_reliability.py``. A score is that rate smoothed towards the default score
(``PRIOR_WEIGHT`` pseudo-counts), so a rarely seen entry keeps about its default, and an entry
right less than half the time is suggested, not assigned.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from medcoder.errors import DataFileError

__all__ = ["PRIOR_WEIGHT", "Reliability", "load_reliability"]

PRIOR_WEIGHT = 4.0
_RESOURCE = "resources/pcs_reliability.json"


@dataclass(frozen=True, slots=True)
class Reliability:
    """Counts of right / proposed codes per lexicon entry and kind (empty: default scores)."""

    counts: Mapping[str, tuple[int, int]] = field(default_factory=dict)

    def score(self, procedure: str, complete: bool, default: float) -> float:
        """The smoothed rate at which ``procedure``'s codes of this kind were right."""
        right, proposed = self.counts.get(
            f"{procedure}:{'full' if complete else 'partial'}", (0, 0)
        )
        return (right + PRIOR_WEIGHT * default) / (proposed + PRIOR_WEIGHT)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Reliability:
        counts: dict[str, tuple[int, int]] = {}
        for key, value in data.items():
            if (
                not isinstance(value, list)
                or len(value) != 2
                or not all(isinstance(v, int) and v >= 0 for v in value)
                or value[0] > value[1]
            ):
                raise DataFileError(
                    f"{key}: expected [right, proposed], got {value!r}", path=_RESOURCE
                )
            counts[key] = (value[0], value[1])
        return cls(counts)

    def to_dict(self) -> dict[str, list[int]]:
        return {k: [r, p] for k, (r, p) in sorted(self.counts.items())}


@lru_cache(maxsize=1)
def load_reliability() -> Reliability:
    """The packaged counts (default scores if the file is absent)."""
    ref = resources.files("medcoder.coding.pcs").joinpath(_RESOURCE)
    if not ref.is_file():
        return Reliability()
    return Reliability.from_dict(json.loads(ref.read_text(encoding="utf-8")))
