"""Scores learned from CodiEsp train: smoothing, validation and the packaged counts."""

from __future__ import annotations

import pytest

from medcoder.codesets.kb import KnowledgeBase
from medcoder.coding.pcs import PcsCoder, code_pcs
from medcoder.coding.pcs.reliability import PRIOR_WEIGHT, Reliability, load_reliability
from medcoder.errors import DataFileError
from medcoder.notes import parse_note, read_document


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


def test_code_pcs_uses_the_engine_scores_not_the_codiesp_rates(kb: KnowledgeBase) -> None:
    # CodiEsp annotators cut orotracheal intubation to 4 characters, so its learned rate is
    # low; a documented intubation must still be assigned by default.
    note = parse_note(read_document("Orotracheal intubation was performed in the ICU."))
    (suggestion,) = code_pcs(note, kb).suggestions
    assert (suggestion.code, suggestion.score) == ("0BH17EZ", 0.9)
    learned = PcsCoder(kb, reliability=load_reliability()).code(note).suggestions[0]
    assert learned.score < 0.5
