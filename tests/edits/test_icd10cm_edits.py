"""ICD-10-CM edits on real codes of the FY2026 Tabular List."""

from __future__ import annotations

from typing import Any

import pytest

from medcoder.codesets import KnowledgeBase
from medcoder.edits import EditConfig, EditFinding, Editor, Encounter, Severity, parse_encounter
from medcoder.edits.icd10cm_edits import (
    first_listed_only_codes,
    secondary_only_codes,
    symptom_groups,
)


def make_encounter(*codes: str, **extra: Any) -> Encounter:
    data: dict[str, Any] = {
        "date_of_service": "2026-05-01",
        "patient": {"age": extra.pop("age", 50), "sex": extra.pop("sex", "F")},
        "diagnoses": [{"code": c} for c in codes],
    }
    data.update(extra)
    return parse_encounter(data)


@pytest.fixture(scope="module")
def editor(kb: KnowledgeBase) -> Editor:
    # Only this module's edits: the others have their own tests.
    only_icd = frozenset({"mce.", "ncci.", "mue.", "addon.", "procedure.", "payer."})
    return Editor(kb, EditConfig(disabled=only_icd))


def findings(editor: Editor, *codes: str, **extra: Any) -> list[EditFinding]:
    return list(editor.edit(make_encounter(*codes, **extra)).findings)


def ids(found: list[EditFinding]) -> list[str]:
    return [f.edit_id for f in found]


class TestValidity:
    def test_missing_seventh_character_lists_completions(self, editor: Editor) -> None:
        (f,) = findings(editor, "S72.001")
        assert f.edit_id == "icd10cm.code_invalid"
        assert f.severity is Severity.ERROR
        assert f.message.startswith("Diagnosis 1: S72.001 needs a 7th character (defined at S72")
        assert f.fix.startswith("Report a complete code instead: S72.001A, S72.001B")

    def test_heading_placeholder_and_unknown(self, editor: Editor) -> None:
        found = findings(editor, "N18.3", "T36.01A", "Q99.99")
        assert ids(found) == ["icd10cm.code_invalid"] * 3
        assert found[0].message == (
            "Diagnosis 1: N18.3 (Chronic kidney disease, stage 3 (moderate)) is a subcategory "
            "heading, not a billable code: report one of the more specific codes under it"
        )
        assert found[0].fix == "Report a complete code instead: N18.30, N18.31, N18.32"
        assert "did you mean T36.0X1A?" in found[1].message
        assert found[2].message.startswith("Diagnosis 3: Q99.99 is not an ICD-10-CM code")

    def test_malformed_code(self, editor: Editor) -> None:
        (f,) = findings(editor, "11.9")
        assert f.edit_id == "icd10cm.code_invalid"
        assert "'11.9' is not an ICD-10-CM code" in f.message

    def test_clean_codes_pass(self, editor: Editor) -> None:
        assert findings(editor, "E11.22", "N18.4", "I10") == []


class TestExcludes1:
    def test_asthma_with_wheezing(self, editor: Editor) -> None:
        found = [f for f in findings(editor, "J45.909", "R06.2") if f.severity is Severity.ERROR]
        assert [f.edit_id for f in found] == ["icd10cm.excludes1"]
        assert found[0].message == (
            "J45.909 (Unspecified asthma, uncomplicated) and R06.2 (Wheezing) cannot be "
            "reported together: the Excludes1 note at J45 reads 'wheezing NOS (R06.2)'"
        )
        assert found[0].codes == ("J45.909", "R06.2")

    def test_note_of_the_second_code_counts_too(self, editor: Editor) -> None:
        # Only G01 carries the note: the order on the claim does not matter.
        found = findings(editor, "A39.0", "G01")
        assert ids(found) == ["icd10cm.excludes1"]
        assert found[0].message.endswith("the Excludes1 note at G01 reads 'meningococcal (A39.0)'")


class TestSequencing:
    def test_manifestation_first_names_the_underlying_code(self, editor: Editor) -> None:
        (f,) = findings(editor, "F02.80", "G30.9")
        assert f.edit_id == "icd10cm.manifestation_first"
        assert f.message.endswith(
            "is a manifestation code and cannot be first-listed: its Tabular note says "
            "'code first the underlying physiological condition'"
        )
        assert f.fix == "List G30.9 first and F02.80 after it"
        assert findings(editor, "G30.9", "F02.80") == []

    def test_code_first_without_manifestation_title_is_not_flagged(self, editor: Editor) -> None:
        # N18 says "code first any associated diabetic CKD" but CKD is not a manifestation.
        assert "icd10cm.manifestation_first" not in ids(findings(editor, "N18.4"))

    def test_use_additional_missing(self, editor: Editor) -> None:
        (f,) = findings(editor, "E11.22")
        assert f.edit_id == "icd10cm.use_additional_missing"
        assert f.severity is Severity.WARNING
        assert f.message == (
            "E11.22 (Type 2 diabetes mellitus with diabetic chronic kidney disease) has the "
            "note 'use additional code to identify stage of chronic kidney disease "
            "(N18.1-N18.6)' but no code from N18.1-N18.6 is on the claim"
        )

    def test_chapter_wide_and_optional_notes_do_not_fire(self, editor: Editor) -> None:
        # J45 lists tobacco exposure codes "to identify:" as a header; chapter 10 adds the
        # same list "where applicable": neither is a missing code.
        assert findings(editor, "J45.909") == []

    def test_external_cause_first(self, editor: Editor) -> None:
        found = findings(editor, "W01.0XXA", "S72.001A")
        assert ids(found) == ["icd10cm.external_cause_first"]
        assert found[0].message == (
            "W01.0XXA is an external cause code and cannot be the first-listed diagnosis"
        )

    def test_first_listed_only_z_code_listed_second(self, editor: Editor) -> None:
        found = findings(editor, "I10", "Z00.00")
        assert ids(found) == ["icd10cm.first_listed_only"]
        assert found[0].severity is Severity.WARNING
        assert found[0].message.startswith("Diagnosis 2: Z00.00 (Encounter for general exam")
        # Z00.6 is the guideline's exception.
        assert findings(editor, "I10", "Z00.6") == []

    def test_secondary_only_code_first(self, editor: Editor) -> None:
        found = findings(editor, "Z68.30", "E66.9")
        assert ids(found) == ["icd10cm.secondary_only_first"]
        assert found[0].message.startswith(
            "Z68.30 (Body mass index [BMI]) is only reported as an additional code"
        )
        assert findings(editor, "E66.9", "Z68.30") == []

    def test_symptom_with_definitive_diagnosis(self, editor: Editor) -> None:
        found = findings(editor, "K35.80", "R10.9")
        assert ids(found) == ["icd10cm.symptom_with_definitive"]
        assert found[0].message == (
            "R10.9 (Unspecified abdominal pain) is a symptom of the digestive system and "
            "abdomen coded with K35.80 (Unspecified acute appendicitis), a definitive "
            "diagnosis of the same system"
        )
        # A symptom of another system stays.
        assert findings(editor, "K35.80", "R51.9") == []

    def test_duplicate(self, editor: Editor) -> None:
        found = findings(editor, "E11.9", "I10", "E119")
        assert ids(found) == ["icd10cm.duplicate"]
        assert found[0].message == (
            "E11.9 is listed 2 times (diagnoses 1 and 3); each code is reported only once per "
            "encounter"
        )

    def test_disable_one_edit(self, kb: KnowledgeBase) -> None:
        editor = Editor(kb, EditConfig(disabled=frozenset({"icd10cm.duplicate", "mce."})))
        assert "icd10cm.duplicate" not in ids(
            list(editor.edit(make_encounter("I10", "I10")).findings)
        )


class TestData:
    def test_sequencing_lists_exist_in_the_tabular(self, kb: KnowledgeBase) -> None:
        groups = [*first_listed_only_codes(), *secondary_only_codes()]
        assert len(first_listed_only_codes()) == 20
        for group in groups:
            assert group.source
            for r in group.codes:
                assert kb.icd10cm.exists(r.first), r.first
        assert [str(g.symptoms) for g in symptom_groups()][0] == "R00-R03"
