"""The ICD-10-CM Alphabetic Index as a coder walks it (FY2025 Index, FY2026 codes)."""

from __future__ import annotations

import re
import time

import pytest

from medcoder.codesets import KnowledgeBase
from medcoder.codesets.icd10cm.build_index import Fy2026Codes, check_fy2025_codes
from medcoder.codesets.icd10cm.index import AlphabeticIndex, IndexSource
from medcoder.codesets.icd10cm.index_models import (
    CodeStatus,
    dotted,
    normalize_term,
    split_nonessential,
)
from medcoder.errors import InputError, TermNotFoundError


@pytest.fixture(scope="module")
def ix(kb: KnowledgeBase) -> AlphabeticIndex:
    return kb.index


class TestNormalisation:
    def test_terms_lose_case_accents_and_punctuation(self) -> None:
        assert normalize_term("Waldenström  macroglobulinemia") == "waldenstrom macroglobulinemia"
        assert normalize_term("Hb-SS disease") == "hb ss disease"

    def test_nonessential_groups(self) -> None:
        assert split_nonessential("(-astasia) (hysterical)") == ("astasia", "hysterical")
        assert split_nonessential(None) == ()

    def test_dotted_keeps_the_incomplete_dash(self) -> None:
        assert dotted("J690") == "J69.0"
        assert dotted("C504-") == "C50.4-"
        assert dotted("I63-") == "I63.-"
        assert dotted("R69") == "R69"


class TestWalk:
    def test_pneumonia_aspiration(self, ix: AlphabeticIndex) -> None:
        entry = ix.index("Pneumonia", "aspiration")
        assert entry.path == ("Pneumonia", "aspiration")
        assert entry.code == "J69.0"
        assert entry.code_status is CodeStatus.VALID
        assert not entry.more_characters_needed
        assert "due to" in {c.term for c in entry.children}

    def test_comma_separated_form_and_case_are_the_same_walk(self, ix: AlphabeticIndex) -> None:
        assert ix.index("pneumonia, ASPIRATION").id == ix.index("Pneumonia", "aspiration").id

    def test_main_term_with_a_comma_in_its_name(self, ix: AlphabeticIndex) -> None:
        entry = ix.index("Disease, diseased", "heart")
        assert entry.path == ("Disease, diseased", "heart")
        assert entry.code == "I51.9"
        assert ix.index("Disease", "heart").id == entry.id

    def test_children_carry_codes_and_depth_is_limited(self, ix: AlphabeticIndex) -> None:
        entry = ix.index("Pneumonia", depth=2)
        aspiration = next(c for c in entry.children if c.term == "aspiration")
        assert aspiration.code == "J69.0"
        assert aspiration.children and not aspiration.has_more
        assert ix.index("Pneumonia", depth=0).children == ()

    def test_incomplete_code_is_flagged(self, ix: AlphabeticIndex) -> None:
        entry = ix.index("Fracture, traumatic", "femur", "shaft")
        assert entry.path == ("Fracture, traumatic", "femur, femoral", "shaft")
        assert entry.code == "S72.30-"
        assert entry.more_characters_needed
        assert entry.code_status is CodeStatus.INCOMPLETE


class TestNonessentialModifiers:
    def test_main_term_with_modifiers(self, ix: AlphabeticIndex) -> None:
        entry = ix.index("Abasia")
        assert entry.code == "F44.4"
        assert entry.nonessential == "(-astasia) (hysterical)"
        assert entry.matched_nonessential == ()

    @pytest.mark.parametrize("terms", [("Abasia", "hysterical"), ("Abasia, hysterical",)])
    def test_subterm_matching_a_modifier_returns_the_entry(
        self, ix: AlphabeticIndex, terms: tuple[str, ...]
    ) -> None:
        entry = ix.index(*terms)
        assert entry.path == ("Abasia",)
        assert entry.code == "F44.4"
        assert entry.matched_nonessential == ("hysterical",)

    def test_modifier_of_pneumonia(self, ix: AlphabeticIndex) -> None:
        entry = ix.index("Pneumonia", "acute")
        assert entry.code == "J18.9"
        assert entry.matched_nonessential == ("acute",)


class TestCrossReferences:
    def test_see_is_followed(self, ix: AlphabeticIndex) -> None:
        # "Abdominalgia -- see Pain, abdominal" is the whole entry.
        entry = ix.index("Abdominalgia")
        assert entry.path == ("Pain", "abdominal")
        assert entry.code == "R10.9"
        assert entry.followed == ("Abdominalgia -> see Pain, abdominal",)

    def test_see_plural_and_nonessential_forms(self, ix: AlphabeticIndex) -> None:
        # "see Complications, colostomy" names the main term "Complication (s)".
        entry = ix.index("Complication", "colostomy")
        assert entry.code == "K94.00"

    def test_subterm_is_looked_up_under_the_see_target(self, ix: AlphabeticIndex) -> None:
        entry = ix.index("Abdominalgia", "colic")
        assert entry.path == ("Pain", "abdominal", "colic")
        assert entry.code == "R10.83"
        assert entry.followed

    def test_see_also_is_reported_not_followed(self, ix: AlphabeticIndex) -> None:
        entry = ix.index("Disorder")
        assert entry.see_also == "Disease"
        assert entry.path == ("Disorder",)
        assert entry.followed == ()

    def test_reference_to_the_neoplasm_table_is_explained(self, ix: AlphabeticIndex) -> None:
        entry = ix.index("Adenoacanthoma")
        assert entry.see == "Neoplasm, malignant, by site"
        assert entry.note is not None and "Neoplasm Table" in entry.note


class TestUnknownTerms:
    def test_unknown_main_term_suggests_close_ones(self, ix: AlphabeticIndex) -> None:
        with pytest.raises(
            TermNotFoundError, match=re.escape("'Pneumonai' is not a main term")
        ) as exc:
            ix.index("Pneumonai")
        assert exc.value.suggestions[0] == "Pneumonia"

    def test_unknown_subterm_suggests_siblings(self, ix: AlphabeticIndex) -> None:
        with pytest.raises(TermNotFoundError, match="has no subterm 'aspirashun'") as exc:
            ix.index("Pneumonia", "aspirashun")
        assert exc.value.term == "aspirashun"
        assert "aspiration" in exc.value.suggestions

    def test_empty_input(self, ix: AlphabeticIndex) -> None:
        with pytest.raises(InputError):
            ix.index(" , ")


class TestFy2026Codes:
    def test_expanded_code_is_kept_and_flagged(self, ix: AlphabeticIndex) -> None:
        # Multiple sclerosis was G35 in FY2025; FY2026 subdivided it (G35.A .. G35.D).
        entry = ix.index("Sclerosis", "multiple")
        assert entry.code_fy2025 == "G35"
        assert entry.code == "G35"
        assert entry.code_status is CodeStatus.EXPANDED
        assert entry.more_characters_needed

    def test_code_map_records_the_cms_conversion_as_a_hint(self, kb: KnowledgeBase) -> None:
        row = kb.con.execute(
            "SELECT code, status, conversion FROM icd10cm_index_codemap WHERE code_fy2025 = 'B880'"
        ).fetchone()
        assert row == ("B880", "expanded", "B8801")

    def test_missing_code_is_converted_or_recorded(self) -> None:
        # A FY2026 list without D57.00's subdivision target forces the conversion path:
        # the CMS table maps D57.00 (FY2025) to D57.03 ... only when D57.00 is gone.
        codes = Fy2026Codes(["D57", "D570", "D5703", "D5704", "J690"])
        checks = check_fy2025_codes(["D5700", "J690", "ZZZ99"], codes)
        assert checks["J690"].status is CodeStatus.VALID
        assert checks["D5700"].status is CodeStatus.MAPPED
        assert checks["D5700"].code == "D5703"
        assert checks["ZZZ99"].status is CodeStatus.UNMAPPED
        assert checks["ZZZ99"].code is None

    def test_index_codes_all_known_to_fy2026(self, kb: KnowledgeBase) -> None:
        counts = dict(
            kb.con.execute(
                "SELECT status, COUNT(*) FROM icd10cm_index_codemap GROUP BY status"
            ).fetchall()
        )
        assert counts.get("expanded", 0) == 16
        assert counts["valid"] > 12_000
        unmapped = kb.con.execute("SELECT COUNT(*) FROM icd10cm_index_unmapped").fetchone()[0]
        assert unmapped == counts.get("unmapped", 0)

    def test_search_term_table(self, kb: KnowledgeBase) -> None:
        rows = kb.con.execute(
            "SELECT code FROM icd10cm_index_term WHERE term_path = 'Pneumonia, aspiration'"
        ).fetchall()
        assert rows == [("J690",)]


class TestEngineAccess:
    def test_main_terms_children_entry(self, ix: AlphabeticIndex) -> None:
        mains = dict(ix.main_terms())
        assert len(mains) > 8000
        pneumonia = mains["pneumonia"]
        kids = dict(ix.children(pneumonia))
        entry = ix.entry(kids["aspiration"])
        assert entry.code == "J69.0"
        assert "acute" in ix.modifiers(pneumonia)

    def test_entry_follows_see_on_request(self, ix: AlphabeticIndex) -> None:
        node = dict(ix.main_terms())["abdominalgia"]
        assert ix.entry(node).code is None
        assert ix.entry(node, follow_see=True).code == "R10.9"

    def test_bad_id(self, ix: AlphabeticIndex) -> None:
        with pytest.raises(InputError):
            ix.entry(10_000_000, IndexSource.INDEX)

    def test_walk_is_fast(self, ix: AlphabeticIndex) -> None:
        ix.index("Pneumonia", "aspiration")
        started = time.perf_counter()
        for _ in range(200):
            ix.index("Pneumonia", "aspiration", depth=0)
        assert (time.perf_counter() - started) / 200 < 0.001
