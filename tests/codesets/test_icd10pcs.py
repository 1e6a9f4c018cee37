"""ICD-10-PCS: codes, axes read back from the descriptions, validation, search, tables."""

from __future__ import annotations

import datetime as dt

import pytest

from medcoder.codesets import KnowledgeBase
from medcoder.codesets._pcs_axes import ROOT_OPERATIONS, infer_labels
from medcoder.errors import CodeFormatError, NoReleaseError, UnknownCodeError


class TestLookup:
    def test_laparoscopic_appendectomy_axes(self, kb: KnowledgeBase) -> None:
        code = kb.pcs.lookup("0DTJ4ZZ")
        assert code.description == "Resection of Appendix, Percutaneous Endoscopic Approach"
        assert code.section == "Medical and Surgical"
        assert code.body_system == "Gastrointestinal System"
        assert code.root_operation == "Resection"
        assert code.body_part == "Appendix"
        assert code.approach == "Percutaneous Endoscopic"
        assert code.device == "No Device"
        assert code.qualifier == "No Qualifier"
        assert [a.name for a in code.axes][2:5] == ["Root Operation", "Body Part", "Approach"]

    def test_bypass_reads_device_and_qualifier(self, kb: KnowledgeBase) -> None:
        code = kb.pcs.lookup("0016070")
        assert code.root_operation == "Bypass"
        assert code.body_part == "Cerebral Ventricle"
        assert code.approach == "Open"
        assert code.device == "Autologous Tissue Substitute"
        assert code.qualifier == "Nasopharynx"

    def test_diagnostic_qualifier_and_lower_case_input(self, kb: KnowledgeBase) -> None:
        code = kb.pcs.lookup("0cb80zx")
        assert (code.code, code.body_part, code.qualifier) == (
            "0CB80ZX",
            "Right Parotid Gland",
            "Diagnostic",
        )

    def test_imaging_section_names_its_own_axes(self, kb: KnowledgeBase) -> None:
        code = kb.pcs.lookup("B00B0ZZ")
        assert code.section == "Imaging"
        assert code.axes[2].name == "Type"
        assert code.root_operation == "Plain Radiography"
        assert code.axes[4].name == "Contrast"
        assert code.axes[4].label == "High Osmolar Contrast"

    def test_unknown_code_suggests_its_neighbours(self, kb: KnowledgeBase) -> None:
        with pytest.raises(UnknownCodeError) as info:
            kb.pcs.lookup("0DTJ4ZX")
        assert "0DTJ4ZZ" in info.value.suggestions

    def test_letters_i_and_o_are_not_pcs(self, kb: KnowledgeBase) -> None:
        with pytest.raises(CodeFormatError):
            kb.pcs.lookup("0DTJ4ZO")


class TestValidate:
    def test_valid_code(self, kb: KnowledgeBase) -> None:
        result = kb.pcs.validate("0DTJ4ZZ", dt.date(2026, 3, 1))
        assert result.valid and result.release_id == "icd10pcs-fy2026" and not result.stale

    def test_partial_code_lists_next_characters(self, kb: KnowledgeBase) -> None:
        result = kb.pcs.validate("0DTJ4")
        assert not result.valid
        assert result.reason == "incomplete: 5 of 7 characters"
        assert result.suggestions == ("0DTJ4ZG", "0DTJ4ZZ")
        assert [(v.value, v.label) for v in result.next_values] == [("Z", "No Device")]

    def test_after_fy2026_is_stale(self, kb: KnowledgeBase) -> None:
        assert kb.pcs.validate("0DTJ4ZZ", dt.date(2026, 10, 1)).stale

    def test_before_fy2026_has_no_release(self, kb: KnowledgeBase) -> None:
        with pytest.raises(NoReleaseError):
            kb.pcs.validate("0DTJ4ZZ", dt.date(2025, 9, 30))


class TestSearch:
    def test_words_in_any_order(self, kb: KnowledgeBase) -> None:
        hits = kb.pcs.search("appendix resection endoscopic", limit=5)
        assert hits[0].code == "0DTJ4ZZ"

    def test_no_words_no_hits(self, kb: KnowledgeBase) -> None:
        assert kb.pcs.search("  --  ") == ()


class TestTable:
    def test_resection_gi_table(self, kb: KnowledgeBase) -> None:
        table = kb.pcs.table("0DT")
        assert table.root_operation == "Resection"
        assert table.body_system == "Gastrointestinal System"
        axes = dict(table.axes)
        assert ("J", "Appendix") in [(v.value, v.label) for v in axes["Body Part"]]
        assert {v.value for v in axes["Approach"]} == {"0", "4", "7", "8", "F"}
        assert table.code_count == 106

    def test_next_values_walk_axis_by_axis(self, kb: KnowledgeBase) -> None:
        approaches = {v.value: v.label for v in kb.pcs.next_values("0DTJ")}
        assert approaches == {
            "0": "Open",
            "4": "Percutaneous Endoscopic",
            "7": "Via Natural or Artificial Opening",
            "8": "Via Natural or Artificial Opening Endoscopic",
        }
        # The table offers approach F for other body parts, not for the appendix.
        assert "F" in {v.value for v in dict(kb.pcs.table("0DT").axes)["Approach"]}

    def test_unknown_table(self, kb: KnowledgeBase) -> None:
        with pytest.raises(UnknownCodeError):
            kb.pcs.table("0DZ")


class TestAxisInference:
    """The heuristic on a hand-made table, and its agreement with section 0's names."""

    def test_labels_from_sibling_differences(self) -> None:
        labels = infer_labels(
            {
                "0AB10ZZ": "Excision of Left Knob, Open Approach",
                "0AB20ZZ": "Excision of Right Knob, Open Approach",
                "0AB13ZZ": "Excision of Left Knob, Percutaneous Approach",
                "0AB107Z": "Excision of Left Knob with Autologous Tissue Substitute, Open Approach",
            }
        )
        assert labels[("0AB", 3, "1")] == "Left Knob"
        assert labels[("0AB", 5, "7")] == "Autologous Tissue Substitute"
        assert labels[("0AB", 5, "Z")] == "No Device"
        assert labels[("0AB", 2, "B")] == ROOT_OPERATIONS["B"] == "Excision"

    def test_official_operation_names_open_every_surgical_description(
        self, kb: KnowledgeBase
    ) -> None:
        rows = kb.con.execute("SELECT code, description FROM pcs_code WHERE code < '1'").fetchall()
        assert len(rows) == 68092
        assert all(d.startswith(ROOT_OPERATIONS[c[2]]) for c, d in rows)

    def test_most_axis_values_are_named(self, kb: KnowledgeBase) -> None:
        named, total = kb.con.execute(
            "SELECT count(label), count(*) FROM pcs_axis_value WHERE position >= 3"
        ).fetchone()
        assert total > 15000 and named / total > 0.95
