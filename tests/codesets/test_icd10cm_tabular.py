"""The ICD-10-CM Tabular List API against the official FY2026 (April 1, 2026) files."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator

import pytest

from medcoder.codesets import KnowledgeBase
from medcoder.codesets.icd10cm.models import (
    CodeKind,
    CodeRange,
    NoteKind,
    ValidationReason,
    parse_code_ranges,
)
from medcoder.codesets.icd10cm.tabular import Icd10cm
from medcoder.errors import CodeFormatError, NoReleaseError, UnknownCodeError

FY2026 = dt.date(2026, 5, 1)
FY2027 = dt.date(2026, 11, 1)


@pytest.fixture(scope="module")
def cm(kb: KnowledgeBase) -> Iterator[Icd10cm]:
    api = Icd10cm(kb)
    yield api
    api.close()


class TestNormalize:
    @pytest.mark.parametrize("text", ["E11.9", "e119", "E119 ", " e11.9"])
    def test_forms_of_e119(self, text: str) -> None:
        assert Icd10cm.normalize(text) == "E119"
        assert Icd10cm.format(text) == "E11.9"

    def test_category_formats_without_dot(self) -> None:
        assert Icd10cm.format("i10") == "I10"

    def test_qa0_has_a_letter_second(self, cm: Icd10cm) -> None:
        assert cm.lookup("QA0").kind is CodeKind.CATEGORY

    @pytest.mark.parametrize("text", ["", "119", "E1", "E11.9999999", "1E11", "E11-"])
    def test_bad_shape(self, text: str, cm: Icd10cm) -> None:
        with pytest.raises(CodeFormatError, match=re.escape(f"{text!r} is not an ICD-10-CM code")):
            cm.lookup(text)


class TestLookup:
    def test_e119(self, cm: Icd10cm) -> None:
        info = cm.lookup("e119", FY2026)
        assert info.code == "E11.9"
        assert info.title == "Type 2 diabetes mellitus without complications"
        assert info.billable is True
        assert info.kind is CodeKind.CODE
        assert [a.code for a in info.ancestors] == ["4", "E08-E13", "E11"]
        assert info.ancestors[1].title == "Diabetes mellitus (E08-E13)"
        assert info.release_id == "icd10cm-2026-04"

    def test_e11_is_a_category_and_not_billable(self, cm: Icd10cm) -> None:
        info = cm.lookup("E11")
        assert (info.kind, info.billable) == (CodeKind.CATEGORY, False)
        assert "diabetes (mellitus) due to insulin secretory defect" in [
            n.text for n in info.notes_of(NoteKind.INCLUDES)
        ]

    def test_inclusion_terms(self, cm: Icd10cm) -> None:
        assert cm.lookup("H21.1").inclusion_terms == (
            "Neovascularization of iris or ciliary body",
            "Rubeosis iridis",
            "Rubeosis of iris",
        )
        assert "Decompensated COPD with (acute) exacerbation" in (
            cm.lookup("J44.1").inclusion_terms
        )
        # Inclusion terms describe their own code only: they are not inherited.
        assert cm.lookup("H21.1X1").inclusion_terms == ()

    def test_inherited_notes_name_their_level(self, cm: Icd10cm) -> None:
        info = cm.lookup("J44.1")
        sources = {(n.kind, n.source_code) for n in info.notes}
        assert (NoteKind.INCLUDES, "J44") in sources
        assert (NoteKind.CODE_ALSO, "J44") in sources
        assert (NoteKind.EXCLUDES1, "J40-J4A") in sources
        assert (NoteKind.USE_ADDITIONAL, "10") in sources  # chapter 10's tobacco note
        assert "chronic obstructive bronchitis" in [
            n.text for n in info.notes_of(NoteKind.INCLUDES)
        ]

    def test_seventh_characters_inherited_from_s52(self, cm: Icd10cm) -> None:
        info = cm.lookup("S52.501")
        assert info.requires_seventh is True
        assert info.billable is False
        assert {s.source_code for s in info.seventh_characters} == {"S52"}
        chars = {s.character: s.meaning for s in info.seventh_characters}
        assert chars["A"] == "initial encounter for closed fracture"
        assert len(chars) == 16
        assert info.seventh_character_note is not None
        assert "category S52" in info.seventh_character_note

    def test_torus_fractures_override_s52_at_s52_52(self, cm: Icd10cm) -> None:
        # S52.52- (torus fracture) declares its own six 7th characters, nearer than S52's.
        info = cm.lookup("S52.521")
        assert {s.source_code for s in info.seventh_characters} == {"S52.52"}
        assert [s.character for s in info.seventh_characters] == ["A", "D", "G", "K", "P", "S"]
        assert cm.validate("S52.521B", dt.date(2026, 5, 1)).reason is ValidationReason.INVALID_7TH

    def test_full_seventh_character_code(self, cm: Icd10cm) -> None:
        info = cm.lookup("S52.521A")
        assert info.billable is True
        assert info.requires_seventh is False
        assert info.title == (
            "Torus fracture of lower end of right radius, initial encounter for closed fracture"
        )
        assert info.ancestors[-1].code == "S52.521"

    def test_placeholder_needed(self, cm: Icd10cm) -> None:
        assert cm.lookup("T36.0X1A").placeholder_needed is True
        assert cm.lookup("S09.90").placeholder_needed is True  # reported as S09.90XA
        assert cm.lookup("S52.521").placeholder_needed is False

    def test_chapter_and_block_carry_notes(self, cm: Icd10cm) -> None:
        chapter = cm.lookup("1")
        assert chapter.kind is CodeKind.CHAPTER
        assert "diseases generally recognized as communicable or transmissible" in [
            n.text for n in chapter.notes_of(NoteKind.INCLUDES)
        ]
        block = cm.lookup("E08-E13")
        assert block.kind is CodeKind.BLOCK
        assert [c.code for c in cm.children("E08-E13")] == ["E08", "E09", "E10", "E11", "E13"]

    def test_unknown_code_suggests_close_codes(self, cm: Icd10cm) -> None:
        with pytest.raises(UnknownCodeError) as raised:
            cm.lookup("Z99.99")
        assert "Z99.89" in raised.value.suggestions

    def test_lookup_is_well_under_a_millisecond(self, cm: Icd10cm) -> None:
        cm.lookup("E11.9")  # loads the release
        codes = ["E11.9", "S52.521A", "J44.1", "T36.0X1A", "I10", "Z87.891", "C50.911"]
        started = time.perf_counter()
        for _ in range(100):
            for code in codes:
                cm.lookup(code)
        per_lookup = (time.perf_counter() - started) / (100 * len(codes))
        assert per_lookup < 0.0005


class TestExcludes1:
    def test_j44_has_none_of_its_own_but_inherits_the_blocks(self, cm: Icd10cm) -> None:
        notes = cm.excludes1("J44")
        assert [(n.source_code, n.text) for n in notes] == [
            ("J40-J4A", "bronchitis due to chemicals, gases, fumes and vapors (J68.0)")
        ]
        assert notes[0].refs == (CodeRange("J68.0", "J68.0"),)

    def test_j44_1_inherits_the_same(self, cm: Icd10cm) -> None:
        assert [n.source_code for n in cm.excludes1("J44.1")] == ["J40-J4A"]

    def test_j42_excludes_copd_by_range(self, cm: Icd10cm) -> None:
        refs = [r for n in cm.excludes1("J42") for r in n.refs]
        assert CodeRange("J44", "J44") in refs
        assert any(r.covers("J44.1") for r in refs)
        assert not any(r.covers("J45.909") for r in refs)

    def test_parse_code_ranges(self) -> None:
        assert parse_code_ranges("asthma (J45.-)") == (CodeRange("J45", "J45"),)
        ranges = parse_code_ranges("diabetes (E08-E13) and (T36.0-T36.3, O24.-)")
        assert [str(r) for r in ranges] == ["E08-E13", "T36.0-T36.3", "O24"]
        assert ranges[0].covers("E11.621") and not ranges[0].covers("E14")
        assert ranges[1].covers("T36.1X1A") and not ranges[1].covers("T36.4X1A")
        assert parse_code_ranges("hemoglobin A1C above normal") == ()
        assert parse_code_ranges("(AIDS) (B20) (QA0.-)") == (
            CodeRange("B20", "B20"),
            CodeRange("QA0", "QA0"),
        )


class TestHierarchyHelpers:
    def test_title_exists_billable(self, cm: Icd10cm) -> None:
        assert cm.title("I10") == "Essential (primary) hypertension"
        assert cm.exists("E11") and cm.exists("S72.001A") and not cm.exists("E11.99")
        assert not cm.exists("hello")
        assert cm.is_billable("I10") and not cm.is_billable("S72.001")

    def test_children_of_a_leaf_are_its_seventh_character_codes(self, cm: Icd10cm) -> None:
        assert [c.code for c in cm.children("S09.90")] == ["S09.90XA", "S09.90XD", "S09.90XS"]

    def test_billable_descendants(self, cm: Icd10cm) -> None:
        codes = cm.billable_descendants("E11.6")
        assert codes[:3] == ("E11.610", "E11.618", "E11.620")
        assert "E11.621" in codes and "E11.9" not in codes
        assert len(cm.billable_descendants("E11", limit=5)) == 5

    def test_seventh_characters_helper(self, cm: Icd10cm) -> None:
        assert [s.character for s in cm.seventh_characters("T36.0X1")] == ["A", "D", "S"]
        assert cm.seventh_characters("E11.9") == ()


class TestValidate:
    def test_e119_valid(self, cm: Icd10cm) -> None:
        v = cm.validate("E11.9", FY2026)
        assert (v.valid, v.billable, v.reason) == (True, True, ValidationReason.OK)
        assert v.warnings == ()

    def test_e11_not_billable_lists_children(self, cm: Icd10cm) -> None:
        v = cm.validate("E11", FY2026)
        assert (v.valid, v.reason) == (False, ValidationReason.NOT_BILLABLE)
        assert "E11.9" not in v.completions[:3] and v.completions[0] == "E11.00"
        assert len(v.completions) == 20

    def test_s72001_missing_seventh(self, cm: Icd10cm) -> None:
        v = cm.validate("S72.001", FY2026)
        assert (v.valid, v.reason) == (False, ValidationReason.MISSING_7TH)
        assert v.message.startswith("S72.001 needs a 7th character (defined at S72: A = initial")
        assert v.completions[:4] == ("S72.001A", "S72.001B", "S72.001C", "S72.001D")
        assert {"S72.001G", "S72.001K", "S72.001M", "S72.001N", "S72.001P", "S72.001S"} <= set(
            v.completions
        )

    def test_s72001a_valid(self, cm: Icd10cm) -> None:
        assert cm.validate("s72.001a", FY2026).reason is ValidationReason.OK

    def test_invalid_seventh(self, cm: Icd10cm) -> None:
        v = cm.validate("S72.001Z", FY2026)
        assert v.reason is ValidationReason.INVALID_7TH
        assert "Z is not a 7th character of S72.001" in v.message

    def test_placeholder(self, cm: Icd10cm) -> None:
        assert cm.validate("T36.0X1A", FY2026).valid
        for wrong in ("T360 1A", "T36.01A", "T36.X01A"):
            v = cm.validate(wrong, FY2026)
            assert v.reason is ValidationReason.BAD_PLACEHOLDER, wrong
            assert v.completions == ("T36.0X1A",)
        assert cm.validate("T07A", FY2026).completions == ("T07.XXXA",)

    def test_short_code_needs_placeholder_and_seventh(self, cm: Icd10cm) -> None:
        v = cm.validate("S09.90", FY2026)
        assert v.reason is ValidationReason.MISSING_7TH
        assert "placeholder X" in v.message
        assert v.completions == ("S09.90XA", "S09.90XD", "S09.90XS")

    def test_unknown(self, cm: Icd10cm) -> None:
        v = cm.validate("E11.99", FY2026)
        assert v.reason is ValidationReason.UNKNOWN
        assert "E11.9" in v.completions

    def test_before_the_first_release(self, cm: Icd10cm) -> None:
        with pytest.raises(NoReleaseError, match="covers 2026-04-01 onward") as raised:
            cm.validate("E11.9", dt.date(2025, 1, 1))
        assert raised.value.covered[0] == dt.date(2026, 4, 1)


class TestFy2027:
    """From 2026-10-01 codes are also checked with the MCE of grouper version 440."""

    def test_unchanged_code_valid_with_a_warning(self, cm: Icd10cm) -> None:
        v = cm.validate("E11.9", FY2027)
        assert v.valid
        assert any("FY2027 validity" in w for w in v.warnings)

    def test_code_subdivided_in_fy2027(self, cm: Icd10cm) -> None:
        # Dilated cardiomyopathy, valid until 2026-09-30, became I42.00/I42.01/I42.09.
        assert cm.validate("I42.0", dt.date(2026, 9, 30)).valid
        v = cm.validate("I42.0", FY2027)
        assert (v.valid, v.reason) == (False, ValidationReason.NOT_VALID_FY2027)
        assert v.completions == ("I42.00", "I42.01", "I42.09")
        assert cm.validate("D69.1", FY2027).completions == ("D69.11", "D69.19")

    def test_code_added_in_fy2027(self, cm: Icd10cm) -> None:
        assert cm.validate("I42.00", FY2026).reason is ValidationReason.UNKNOWN
        v = cm.validate("I42.00", FY2027)
        assert v.valid and "Medicare Code Editor accepts it" in v.message
