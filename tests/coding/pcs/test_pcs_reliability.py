"""Scores learned from CodiEsp train: smoothing, validation and the packaged counts."""

from __future__ import annotations

import pytest

from medcoder.coding.pcs.reliability import PRIOR_WEIGHT, Reliability, load_reliability
from medcoder.errors import DataFileError


def test_unseen_entry_keeps_its_default_score() -> None:
    assert Reliability().score("appendectomy", True, 0.9) == pytest.approx(0.9)


def test_rate_is_smoothed_towards_the_default() -> None:
    learned = Reliability({"ct:partial": (2, 10)})
    expected = (2 + PRIOR_WEIGHT * 0.6) / (10 + PRIOR_WEIGHT)
    assert learned.score("ct", False, 0.6) == pytest.approx(expected)
    assert learned.score("ct", False, 0.6) < 0.5  # right 1 time in 5: suggested, not assigned
    assert learned.score("ct", True, 0.9) == pytest.approx(0.9)  # full codes: no counts yet


@pytest.mark.parametrize("value", [[3, 2], [1], ["1", 2], [-1, 2]])
def test_malformed_counts_are_rejected(value: object) -> None:
    with pytest.raises(DataFileError, match=r"xray:full: expected \[right, proposed\]"):
        Reliability.from_dict({"xray:full": value})


def test_packaged_counts_round_trip_and_keep_chest_xray_assigned() -> None:
    packaged = load_reliability()
    assert Reliability.from_dict(packaged.to_dict()) == packaged
    assert packaged.score("xray", True, 0.9) > 0.5
