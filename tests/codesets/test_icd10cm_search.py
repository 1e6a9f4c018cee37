"""Full-text search over ICD-10-CM titles, inclusion terms and Alphabetic Index terms."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from medcoder.codesets import KnowledgeBase
from medcoder.codesets.icd10cm._tabular_search import load_synonyms
from medcoder.codesets.icd10cm.models import MatchSource
from medcoder.codesets.icd10cm.tabular import Icd10cm
from medcoder.errors import InputError


@pytest.fixture(scope="module")
def cm(kb: KnowledgeBase) -> Iterator[Icd10cm]:
    api = Icd10cm(kb)
    yield api
    api.close()


def _codes(cm: Icd10cm, text: str, limit: int = 10) -> list[str]:
    return [h.code for h in cm.search(text, limit=limit)]


class TestSearch:
    def test_diabetic_foot_ulcer(self, cm: Icd10cm) -> None:
        hits = cm.search("diabetic foot ulcer", limit=10)
        assert hits[0].code == "E11.621"
        assert hits[0].billable
        codes = [h.code for h in hits]
        assert "L97.5" in codes[:3]  # the site code E11.621's note asks for
        assert codes.index("E11.621") < codes.index("Z86.31")  # history ranks lower

    def test_afib_expands_to_atrial_fibrillation(self, cm: Icd10cm) -> None:
        hits = cm.search("afib", limit=5)
        assert "I48.91" in [h.code for h in hits]
        assert all(h.code.startswith("I48") for h in hits)
        assert all("atrial fibrillation" in h.matched.lower() for h in hits)

    @pytest.mark.parametrize(
        ("text", "code"),
        [
            ("htn", "I10"),
            ("gerd", "K21.9"),
            ("osa", "G47.33"),
            ("copd exacerbation", "J44.1"),
            ("t2dm with ckd", "E11.22"),
            ("pneumonia aspiration", "J69.0"),
        ],
    )
    def test_top_hit(self, cm: Icd10cm, text: str, code: str) -> None:
        assert code in _codes(cm, text, 3)

    def test_billable_ranks_above_its_heading(self, cm: Icd10cm) -> None:
        codes = _codes(cm, "atrial fibrillation", 20)
        assert codes.index("I48.91") < codes.index("I48.2")

    def test_each_code_once_with_where_it_matched(self, cm: Icd10cm) -> None:
        hits = cm.search("pneumonia", limit=20)
        assert len({h.code for h in hits}) == len(hits)
        assert {h.source for h in hits} <= set(MatchSource)
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)

    def test_inclusion_terms_are_searched(self, cm: Icd10cm) -> None:
        hit = cm.search("decompensated copd", limit=1)[0]
        assert (hit.code, hit.source) == ("J44.1", MatchSource.INCLUSION)

    def test_query_syntax_is_not_interpreted(self, cm: Icd10cm) -> None:
        assert _codes(cm, 'fracture AND "hip" NOT (', 5)

    def test_empty_query(self, cm: Icd10cm) -> None:
        with pytest.raises(InputError, match="nothing to search for"):
            cm.search("  ?! ")


class TestSynonyms:
    def test_file_has_the_common_abbreviations(self) -> None:
        synonyms = load_synonyms()
        for key in ("afib", "htn", "t2dm", "chf", "copd", "ckd", "mi", "cva", "uti", "gerd"):
            assert key in synonyms
        assert synonyms["afib"] == ("atrial fibrillation",)
        assert synonyms["a fib"] == ("atrial fibrillation",)
