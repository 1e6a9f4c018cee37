"""The learned combination (coding/model/stacker.py, combine.restack) as a coder relies on it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import numpy as np
import pytest

from medcoder.codesets import KnowledgeBase
from medcoder.coding import DiagnosisCoder
from medcoder.coding.combine import ModelCombiner
from medcoder.coding.diagnosis import CodingConfig
from medcoder.coding.model import LearnedRanker, NgramEvidence, RankedCode
from medcoder.coding.model.stacker import STACK_FEATURES, Stacker, to_engine_score
from medcoder.coding.result import ASSIGNED_THRESHOLD
from medcoder.coding.rules import Candidate
from medcoder.errors import DataFileError
from medcoder.notes import parse_note, read_document


@pytest.fixture(scope="module")
def coder(kb: KnowledgeBase) -> Iterator[DiagnosisCoder]:
    yield DiagnosisCoder(kb)


def _code(coder: DiagnosisCoder, text: str, setting: str = "outpatient") -> dict[str, float]:
    result = coder.code(read_document(text, setting=setting, date_of_service="2026-05-14"))
    return {d.code: d.score for d in result.diagnoses}


class TestEngineScale:
    def test_threshold_maps_to_the_assignment_threshold(self) -> None:
        assert to_engine_score(0.37, 0.37) == pytest.approx(ASSIGNED_THRESHOLD)
        assert to_engine_score(0.0, 0.37) == 0.0
        assert to_engine_score(1.0, 0.37) == pytest.approx(1.0)

    def test_mapping_keeps_the_order(self) -> None:
        probabilities = np.linspace(0, 1, 101)
        mapped = [to_engine_score(float(p), 0.42) for p in probabilities]
        assert mapped == sorted(mapped)
        assert all(m < 0.5 for p, m in zip(probabilities, mapped, strict=True) if p < 0.42)


class TestArtefact:
    def test_packaged_artefact_matches_the_features(self) -> None:
        stacker = Stacker.load()
        assert tuple(stacker.meta["features"]) == STACK_FEATURES
        assert 0.05 < stacker.threshold < 0.95
        # Fitted out of fold on train, and it must beat the hand-set scores there.
        cv = stacker.meta["cv"]
        assert cv["learned"][3] > cv["engine"][3]

    def test_artefact_for_other_features_is_refused(self, tmp_path: Path) -> None:
        stacker = Stacker.load()
        path = tmp_path / "old.npz"
        meta = {**stacker.meta, "features": ["engine_score"]}

        np.savez(
            path,
            meta=np.array(json.dumps(meta)),
            cal_feature=stacker.trees.feature,
            cal_threshold=stacker.trees.threshold,
            cal_value=stacker.trees.value,
            cal_baseline=np.array(stacker.trees.baseline),
        )
        with pytest.raises(DataFileError, match="other features"):
            Stacker.load(path)

    def test_missing_artefact_is_a_clear_error(self, tmp_path: Path) -> None:
        with pytest.raises(DataFileError, match="cannot read"):
            Stacker.load(tmp_path / "missing.npz")


class TestCombination:
    def test_probabilities_follow_the_evidence(self) -> None:
        stacker = Stacker.load()
        weak = dict.fromkeys(STACK_FEATURES, 0.0) | {
            "engine_score": 0.3,
            "origin_model": 1.0,
            "not_named": 1.0,
            "path_precision": 0.5,
            "evidence_spans": 0.69,
        }
        strong = dict.fromkeys(STACK_FEATURES, 0.0) | {
            "engine_score": 0.99,
            "index_score": 0.9,
            "model_p": 0.95,
            "model_rank_inverse": 1.0,
            "origin_index": 1.0,
            "path_fired": 4.0,
            "path_precision": 0.9,
            "code_train_notes": 4.0,
            "category_train_notes": 4.5,
            "evidence_spans": 1.1,
            "agreement": 1.0,
        }
        rows = [[weak[f] for f in STACK_FEATURES], [strong[f] for f in STACK_FEATURES]]
        p_weak, p_strong = stacker.probability(rows)
        assert p_strong > 0.8 > 0.3 > p_weak

    def test_negated_condition_stays_unassigned(self, coder: DiagnosisCoder) -> None:
        scores = _code(coder, "Assessment: acute bronchitis.\nHe denies chest pain.\n")
        assert scores.get("R07.9", 0.0) < ASSIGNED_THRESHOLD
        assert scores["J20.9"] >= ASSIGNED_THRESHOLD

    def test_every_code_carries_evidence_and_the_combination(self, coder: DiagnosisCoder) -> None:
        result = coder.code(
            read_document(
                "A 64-year-old man with type 2 diabetes and hypertension presented with "
                "community-acquired pneumonia of the right lower lobe. Chest X-ray showed "
                "consolidation. He was treated with ceftriaxone.",
                setting="inpatient",
                date_of_service="2026-05-14",
            )
        )
        assert result.diagnoses
        for d in result.diagnoses:
            assert d.evidence, d.code
            assert any(r.startswith("learned combination p=") for r in d.rules), d.code
        assigned = {d.code for d in result.assigned}
        assert {"J18.9", "E11.9", "I10"} <= assigned

    def test_switch_off_keeps_the_hand_set_scores(self, kb: KnowledgeBase) -> None:
        plain = DiagnosisCoder(kb, CodingConfig(stack=False))
        assert plain.stacker is None
        result = plain.code(read_document("Assessment: essential hypertension."))
        assert [d.code for d in result.assigned] == ["I10"]
        assert not any("learned combination" in r for d in result.diagnoses for r in d.rules)


class _OneCode:
    """A ranker that proposes one code from the given n-grams (first occurrence each)."""

    def __init__(self, code: str, ngrams: list[str]) -> None:
        self.code, self.ngrams = code, ngrams

    def rank(self, text: str, *, top: int = 30) -> list[RankedCode]:
        lower = text.lower()
        evidence = tuple(
            NgramEvidence(lower.index(g), lower.index(g) + len(g), g) for g in self.ngrams
        )
        return [RankedCode(self.code, 0.9, evidence)]


class TestModelEvidenceAssertion:
    """A model-only code is current when a naming n-gram is current somewhere in the note."""

    def _combine(self, coder: DiagnosisCoder, text: str, code: str, ngrams: list[str]) -> Candidate:
        ranker = cast(LearnedRanker, _OneCode(code, ngrams))
        combiner = ModelCombiner(ranker, coder.icd, coder.lexicon)
        note = parse_note(read_document(text, setting="inpatient", date_of_service="2026-05-14"))
        (cand,) = combiner.combine([], note)
        return cand

    def test_a_later_current_mention_counts(self, coder: DiagnosisCoder) -> None:
        text = "No fever on admission. On day 3 she had fever of 39 C."
        cand = self._combine(coder, text, "R50.9", ["fever"])
        assert not any(r.startswith("not assigned") for r in cand.rules)
        assert [e.start for e in cand.evidence] == [text.index("fever of")]

    def test_only_words_naming_the_condition_decide(self, coder: DiagnosisCoder) -> None:
        cand = self._combine(coder, "No diabetes. Cr 1.9 mg/dl.", "E11.9", ["diabetes", "cr"])
        assert any(r.startswith("not assigned: its evidence is negated") for r in cand.rules)

    def test_negation_before_a_phrase_reaches_its_last_word(self, coder: DiagnosisCoder) -> None:
        text = "He has no history of hypertension."
        cand = self._combine(coder, text, "I10", ["history of hypertension"])
        assert cand.score < ASSIGNED_THRESHOLD

    def test_history_of_a_chronic_condition_is_current(self, coder: DiagnosisCoder) -> None:
        cand = self._combine(
            coder, "History of hypertension, on lisinopril.", "I10", ["hypertension"]
        )
        assert "history-of-chronic-condition-still-current" in cand.rules
        assert not any(r.startswith("not assigned") for r in cand.rules)
