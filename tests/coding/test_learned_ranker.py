"""The learned ranker as shipped: what a coder and the diagnosis engine rely on."""

from __future__ import annotations

import re
import time
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from medcoder.codesets.datafiles import DataDir
from medcoder.coding.model import LearnedRanker, RankedCode, extract_ngrams
from medcoder.coding.model.features import normalise_word
from medcoder.coding.model.ranker import ARTEFACT_NAME, STAGE2_FEATURES
from medcoder.coding.model.trees import BoostedTrees
from medcoder.errors import DataFileError, InputError

DIABETES_NOTE = (
    "A 58-year-old woman with type 2 diabetes mellitus treated with metformin was admitted.\n"
    "Physical examination was unremarkable."
)


@pytest.fixture(scope="module")
def ranker() -> LearnedRanker:
    return LearnedRanker.load()


def _artefact() -> Path:
    ref = resources.files("medcoder.coding.model").joinpath("resources", ARTEFACT_NAME)
    return Path(str(ref))


class TestArtefact:
    def test_small_and_fast_to_load(self) -> None:
        assert _artefact().stat().st_size <= 15 * 1024 * 1024
        t0 = time.perf_counter()
        LearnedRanker.load()
        assert time.perf_counter() - t0 < 1.0

    def test_every_code_is_a_valid_fy2026_leaf(self, ranker: LearnedRanker) -> None:
        with DataDir().open_text("icd10cm-2026-04/code-list-April-2026.txt") as f:
            # The list also holds chapter numbers and block ranges ("A90-A99"): not codes.
            listed = {c for c in (line.strip() for line in f) if c[:1].isalpha() and "-" not in c}
        parents = {c[:i] for c in listed for i in range(3, len(c))}
        leaves = listed - parents
        assert len(ranker.codes) > 1000
        bad = [c for c in ranker.codes if c.replace(".", "") not in leaves]
        assert bad == []
        assert all(re.fullmatch(r"[A-Z]\d[0-9A-Z](\.[0-9A-Z]{1,4})?", c) for c in ranker.codes)

    def test_records_how_it_was_trained(self, ranker: LearnedRanker) -> None:
        assert ranker.meta["notes"] == 500
        assert ranker.meta["top_weights_per_code"] >= 1
        assert 0.0 < ranker.meta["cv_map"] < 1.0

    def test_missing_file_is_a_data_file_error(self, tmp_path: Path) -> None:
        with pytest.raises(DataFileError, match="cannot read the ranker artefact"):
            LearnedRanker.load(tmp_path / "nope.npz")

    def test_other_feature_version_is_refused(self, tmp_path: Path) -> None:
        with np.load(_artefact(), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        arrays["meta"] = np.array(
            str(arrays["meta"]).replace('"feature_version": 1', '"feature_version": 0')
        )
        path = tmp_path / "old.npz"
        np.savez(path, **arrays)
        with pytest.raises(DataFileError, match=re.escape("trained with features v0")):
            LearnedRanker.load(path)


class TestRank:
    def test_type_2_diabetes_ranks_e11_first(self, ranker: LearnedRanker) -> None:
        ranked = ranker.rank(DIABETES_NOTE)
        assert ranked[0].code.startswith("E11.")
        assert ranked[0].score >= 0.5

    def test_evidence_points_at_the_words(self, ranker: LearnedRanker) -> None:
        best = ranker.rank(DIABETES_NOTE)[0]
        assert best.evidence
        for ev in best.evidence:
            words = DIABETES_NOTE[ev.start : ev.end].lower()
            assert words.split()[0] == ev.ngram.split()[0]
        assert any("diabetes" in DIABETES_NOTE[ev.start : ev.end] for ev in best.evidence)

    def test_known_findings(self, ranker: LearnedRanker) -> None:
        note = "He has essential hypertension. HIV infection diagnosed in 2010. Fever of 39 C."
        codes = [r.code for r in ranker.rank(note, top=10)]
        assert {"I10", "B20", "R50.9"} <= set(codes)

    def test_scores_are_probabilities_best_first(self, ranker: LearnedRanker) -> None:
        ranked = ranker.rank(DIABETES_NOTE + " Anemia and fever. Chronic kidney disease.", top=30)
        scores = [r.score for r in ranked]
        assert all(0.0 <= s <= 1.0 for s in scores)
        assert scores == sorted(scores, reverse=True)
        assert len({r.code for r in ranked}) == len(ranked)

    def test_deterministic(self, ranker: LearnedRanker) -> None:
        assert ranker.rank(DIABETES_NOTE) == LearnedRanker.load().rank(DIABETES_NOTE)

    def test_top_limits_the_list(self, ranker: LearnedRanker) -> None:
        note = DIABETES_NOTE + " Fever, anemia, abdominal pain, hypertension, HIV."
        assert len(ranker.rank(note, top=3)) == 3
        assert ranker.rank(note, top=0) == []

    @pytest.mark.parametrize("text", ["", "   \n\t", "qqqq zzzz", ".. ; ()"])
    def test_nothing_to_go_on_gives_nothing(self, ranker: LearnedRanker, text: str) -> None:
        assert ranker.rank(text) == []

    def test_negative_top_is_an_input_error(self, ranker: LearnedRanker) -> None:
        with pytest.raises(InputError, match=re.escape("'top' must be >= 0, got -1")):
            ranker.rank(DIABETES_NOTE, top=-1)

    def test_result_is_frozen(self, ranker: LearnedRanker) -> None:
        best: RankedCode = ranker.rank(DIABETES_NOTE)[0]
        with pytest.raises(AttributeError):
            best.score = 0.0  # type: ignore[misc]


class TestFeatures:
    def test_offsets_and_pairs(self) -> None:
        text = "Chronic Tumours; renal oedema."
        grams = {(g.text, text[g.start : g.end]) for g in extract_ngrams(text)}
        assert ("tumor", "Tumours") in grams
        assert ("chronic tumor", "Chronic Tumours") in grams
        assert ("renal edema", "renal oedema") in grams
        # A pair never crosses sentence punctuation.
        assert not any(t == "tumor renal" for t, _ in grams)

    def test_stop_words_are_skipped_when_pairing(self) -> None:
        texts = [g.text for g in extract_ngrams("pain in the abdomen")]
        assert texts == ["pain", "abdomen", "pain abdomen"]

    @pytest.mark.parametrize(
        ("word", "norm"),
        [
            ("Diabetes", "diabetes"),
            ("arteries", "artery"),
            ("haemorrhages", "hemorrhage"),
            ("stenosis", "stenosis"),
            ("HIV", "hiv"),
            ("2.5", "2.5"),
        ],
    )
    def test_normalise_word(self, word: str, norm: str) -> None:
        assert normalise_word(word) == norm


class TestBoostedTrees:
    """The calibrator's tree walk, on trees small enough to follow by hand."""

    def test_walk_sums_the_reached_leaves(self) -> None:
        # Tree 0 splits on feature 0 at 1.0, then on feature 1 at 5.0 (left) / 2.0 (right).
        # Tree 1 is a single leaf padded to depth 2: thresholds +inf, value copied to all leaves.
        inf = np.inf
        trees = BoostedTrees(
            feature=np.array([[0, 1, 1], [0, 0, 0]]),
            threshold=np.array([[1.0, 5.0, 2.0], [inf, inf, inf]]),
            value=np.array([[1.0, 2.0, 3.0, 4.0], [0.5, 0.5, 0.5, 0.5]]),
            baseline=-1.0,
        )
        rows = np.array([[1.0, 5.0], [1.0, 6.0], [2.0, 2.0], [2.0, 9.0]])
        raw = np.array([1.0, 2.0, 3.0, 4.0]) + 0.5 - 1.0
        assert trees.depth == 2
        assert np.allclose(trees.probability(rows), 1.0 / (1.0 + np.exp(-raw)))

    def test_no_rows_no_probabilities(self) -> None:
        trees = BoostedTrees(
            feature=np.zeros((1, 1), dtype=np.int64),
            threshold=np.zeros((1, 1)),
            value=np.zeros((1, 2)),
            baseline=0.0,
        )
        assert trees.probability(np.zeros((0, 3))).shape == (0,)

    def test_shipped_calibrator_rewards_agreeing_evidence(self, ranker: LearnedRanker) -> None:
        # The same code twice: a weak core score far down the list with no title word in the
        # note, then a strong one at the top with the whole title there.
        weak = {"core_score": 0.05, "score_top20": 0.05, "score_top100": 0.05}
        strong = {"core_score": 0.6, "score_top20": 0.6, "score_top100": 0.6, "title_overlap": 1.0}
        strong |= {"title_complete": 1.0, "log1p_title_hits": 1.1, "title_any": 1.0}
        weak["log1p_position"], strong["log1p_position"] = 3.0, 0.0
        rows = np.array(
            [
                [{**cand, "log1p_train_count": 2.0}.get(name, 0.0) for name in STAGE2_FEATURES]
                for cand in (weak, strong)
            ]
        )
        rows[:, STAGE2_FEATURES.index("core_x_count")] = rows[:, 0] * 2.0
        probs = ranker._calibrator.probability(rows)
        assert probs[0] < 0.2 and probs[1] > 0.5
