"""E/M with a procedure, diagnosis pointers, sex- and age-specific procedure edits."""

from __future__ import annotations

from typing import Any

import pytest

from medcoder.codesets import KnowledgeBase
from medcoder.edits import (
    EditCategory,
    EditContext,
    EditFinding,
    Encounter,
    Severity,
    parse_encounter,
)
from medcoder.edits.engine import EditRule
from medcoder.edits.procedure_edits import (
    EmWithProcedureRule,
    PointerMissingRule,
    PointerRangeRule,
    PreventiveAgeRule,
    SexSpecificRule,
    procedure_data,
)


def encounter(
    *lines: dict[str, Any],
    age: int = 50,
    sex: str = "F",
    diagnoses: int = 1,
    setting: str = "outpatient",
) -> Encounter:
    return parse_encounter(
        {
            "date_of_service": "2026-05-01",
            "setting": setting,
            "patient": {"age": age, "sex": sex},
            "diagnoses": [{"code": c} for c in ("Z00.00", "N40.0", "R10.9")[:diagnoses]],
            "lines": [{"diagnosis_pointers": [1], **line} for line in lines],
        }
    )


def run(rule: EditRule, kb: KnowledgeBase, enc: Encounter) -> list[EditFinding]:
    return list(rule.check(enc, EditContext(kb=kb, view=kb.for_date(enc.dos))))


class TestEmWithProcedure:
    def test_em_with_surgery_not_in_ptp_table_is_a_warning(self, kb: KnowledgeBase) -> None:
        # No practitioner PTP row pairs 99385 with 55700 (prostate biopsy, 10-day global).
        assert kb.ncci.ptp("99385", "55700") is None
        [f] = run(EmWithProcedureRule(), kb, encounter({"code": "99385"}, {"code": "55700"}))
        assert (f.edit_id, f.severity, f.category) == (
            "procedure.em_modifier25", Severity.WARNING, EditCategory.PROCEDURE)  # fmt: skip
        assert (f.line, f.codes) == (0, ("99385", "55700"))
        assert f.message == (
            "E/M 99385 is billed on the same day as procedure 55700 without modifier 25: payers "
            "include the visit in the procedure's payment unless it was a significant, "
            "separately identifiable service."
        )
        assert f.fix == (
            "If the visit went beyond the usual evaluation before the procedure (documented), "
            "append modifier 25 to 99385 (57 if it was the decision for major surgery); "
            "otherwise remove 99385."
        )

    @pytest.mark.parametrize("modifier", ["25", "57"])
    def test_modifier_25_or_57_passes(self, kb: KnowledgeBase, modifier: str) -> None:
        enc = encounter({"code": "99385", "modifiers": [modifier]}, {"code": "55700"})
        assert run(EmWithProcedureRule(), kb, enc) == []

    def test_pairs_in_the_ptp_table_are_left_to_ncci(self, kb: KnowledgeBase) -> None:
        # Practitioner PTP row 11055,99213,1: ncci.ptp reports it as an error.
        assert kb.ncci.ptp("99213", "11055") is not None
        assert run(EmWithProcedureRule(), kb, encounter({"code": "99213"}, {"code": "11055"})) == []

    def test_lab_or_other_day_is_not_flagged(self, kb: KnowledgeBase) -> None:
        assert run(EmWithProcedureRule(), kb, encounter({"code": "99385"}, {"code": "84153"})) == []
        other_day = encounter({"code": "99385"}, {"code": "55700", "date_of_service": "2026-05-02"})
        assert run(EmWithProcedureRule(), kb, other_day) == []


class TestPointers:
    def test_missing_pointer(self, kb: KnowledgeBase) -> None:
        [f] = run(PointerMissingRule(), kb, encounter({"code": "99213", "diagnosis_pointers": []}))
        assert (f.severity, f.category, f.line) == (
            Severity.ERROR,
            EditCategory.MEDICAL_NECESSITY,
            0,
        )
        assert f.message == (
            "Service line 1 (99213) has no diagnosis pointer: every service line must point to "
            "the diagnosis that supports it."
        )
        assert f.fix == "Add a diagnosis pointer to line 1 (1 = the first-listed diagnosis)."

    def test_pointer_out_of_range(self, kb: KnowledgeBase) -> None:
        enc = encounter(
            {"code": "99213"}, {"code": "84153", "diagnosis_pointers": [2, 4]}, diagnoses=2
        )
        [f] = run(PointerRangeRule(), kb, enc)
        assert f.line == 1
        assert (
            f.message
            == "Service line 2 (84153) points to diagnosis 4, but the claim lists 2 diagnoses."
        )
        assert f.fix == "Point line 2 to a diagnosis between 1 and 2, or add the missing diagnosis."

    def test_inpatient_has_no_line_pointers(self, kb: KnowledgeBase) -> None:
        enc = encounter({"code": "99223", "diagnosis_pointers": []}, setting="inpatient")
        assert run(PointerMissingRule(), kb, enc) == []


class TestSexSpecific:
    @pytest.mark.parametrize(
        ("code", "sex", "word"),
        [("55700", "F", "male"), ("G0103", "F", "male"), ("G0101", "M", "female"),
         ("Q0091", "M", "female"), ("58150", "M", "female"), ("59400", "M", "female")],
    )  # fmt: skip
    def test_mismatch_is_an_error(self, kb: KnowledgeBase, code: str, sex: str, word: str) -> None:
        [f] = run(SexSpecificRule(), kb, encounter({"code": code}, sex=sex))
        assert (
            f.message == f"Procedure {code} is for {word} patients, but the patient's sex is {sex}."
        )
        assert f.severity is Severity.ERROR

    @pytest.mark.parametrize(
        ("code", "sex", "mods"),
        [("55700", "M", []), ("G0101", "F", []), ("55700", "U", []), ("55700", "F", ["KX"]),
         ("0001U", "M", []), ("99213", "M", [])],
    )  # fmt: skip
    def test_match_unknown_or_kx_passes(
        self, kb: KnowledgeBase, code: str, sex: str, mods: list[str]
    ) -> None:
        assert (
            run(SexSpecificRule(), kb, encounter({"code": code, "modifiers": mods}, sex=sex)) == []
        )

    def test_data_list_codes_are_real_hcpcs(self, kb: KnowledgeBase) -> None:
        data = procedure_data()
        singles = [
            s.first for _, spans in data.sex_specific for s in spans if not s.first.isdigit()
        ]
        assert singles and all(kb.hcpcs.validate(c).valid for c in singles)


class TestPreventiveAge:
    @pytest.mark.parametrize(
        ("code", "age", "message", "fix"),
        [
            ("99385", 50, "Preventive visit 99385 is for patients aged 18 to 39 years, but the "
             "patient is 50 years old.", "Use 99386 (patients aged 40 to 64 years), or correct "
             "the patient's age."),
            ("99397", 0, "Preventive visit 99397 is for patients aged 65 years and older, but "
             "the patient is 0 years old.", "Use 99391 (patients younger than 1 year), or "
             "correct the patient's age."),
        ],
    )  # fmt: skip
    def test_wrong_band(
        self, kb: KnowledgeBase, code: str, age: int, message: str, fix: str
    ) -> None:
        [f] = run(PreventiveAgeRule(), kb, encounter({"code": code}, age=age))
        assert (f.message, f.fix, f.severity) == (message, fix, Severity.ERROR)

    @pytest.mark.parametrize(
        ("code", "age"), [("99381", 0), ("99384", 17), ("99396", 64), ("99387", 99)]
    )
    def test_right_band(self, kb: KnowledgeBase, code: str, age: int) -> None:
        assert run(PreventiveAgeRule(), kb, encounter({"code": code}, age=age)) == []
