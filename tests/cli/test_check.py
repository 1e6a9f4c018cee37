"""`medcoder check` on the documented example encounters, bad input, and `code --encounter`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medcoder.cli import app
from medcoder.codesets import KnowledgeBase
from medcoder.coding.result import CodeSuggestion, CodingResult
from medcoder.edits import Patient, encounter_json_schema, parse_encounter
from medcoder.edits.encounter import Sex
from medcoder.edits.export import encounter_from_coding, encounter_to_json

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "encounters"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _built(kb: KnowledgeBase) -> None:
    """Every command opens the same cached knowledge base the session fixture built."""


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def check_json(name: str, *extra: str) -> tuple[int, dict[str, object]]:
    code, out = invoke("check", str(EXAMPLES / name), "--json", *extra)
    return code, json.loads(out)


def edit_ids(data: dict[str, object]) -> list[str]:
    findings = data["findings"]
    assert isinstance(findings, list)
    return [f["edit_id"] for f in findings]


class TestExamples:
    @pytest.mark.parametrize(
        ("name", "exit_code", "expected"),
        [
            ("office_visit_clean.json", 0, []),
            (
                "excludes1_conflict.json",
                1,
                ["icd10cm.excludes1", "icd10cm.symptom_with_definitive"],
            ),
            ("male_pregnancy_code.json", 0, ["mce.sex_conflict"]),
            ("manifestation_first.json", 1, ["icd10cm.manifestation_first"]),
            ("inpatient_pneumonia.json", 0, []),
        ],
    )
    def test_example(self, name: str, exit_code: int, expected: list[str]) -> None:
        code, data = check_json(name)
        assert code == exit_code
        assert edit_ids(data) == expected
        assert data["passed"] is (exit_code == 0)

    def test_every_example_is_in_the_table(self) -> None:
        names = sorted(p.name for p in EXAMPLES.glob("*.json"))
        readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
        assert len(names) == 5
        assert all(f"`{n}`" in readme for n in names)

    def test_table_output(self) -> None:
        code, out = invoke("check", str(EXAMPLES / "manifestation_first.json"))
        assert code == 1
        assert "icd10cm.manifestation_first" in out
        assert "G30.9" in out  # the fix names the underlying condition

    def test_disable(self) -> None:
        code, data = check_json("excludes1_conflict.json", "--disable", "icd10cm.excludes1")
        assert code == 0
        assert edit_ids(data) == ["icd10cm.symptom_with_definitive"]

    def test_payer_rules(self, tmp_path: Path) -> None:
        rules = tmp_path / "payer.yaml"
        rules.write_text(
            "payer: '*'\n"
            "rules:\n"
            "  - id: no-99214\n"
            "    kind: not_covered\n"
            "    codes: ['99214']\n"
            "    message: This payer does not pay 99214.\n",
            encoding="utf-8",
        )
        code, data = check_json("office_visit_clean.json", "--rules", str(rules))
        assert code == 1
        assert edit_ids(data) == ["payer.no-99214"]


class TestBadInput:
    def test_malformed_json(self, tmp_path: Path) -> None:
        path = tmp_path / "bad.json"
        path.write_text('{"date_of_service": "2026-05-01",', encoding="utf-8")
        code, out = invoke("check", str(path))
        assert code == 2
        # Rich wraps the message at 80 columns, wherever the temporary path makes it fall.
        message = " ".join(out.replace(str(path), "BAD.json").split())
        assert "BAD.json is not valid JSON: Expecting property name enclosed in double" in message

    def test_schema_violation_names_the_field(self, tmp_path: Path) -> None:
        data = json.loads((EXAMPLES / "office_visit_clean.json").read_text(encoding="utf-8"))
        data["lines"][0]["units"] = 0
        path = tmp_path / "units.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        code, out = invoke("check", str(path))
        assert code == 2
        assert "'lines[0].units' input should be greater than or equal to 1, got 0" in (
            " ".join(out.split())
        )

    def test_missing_file(self) -> None:
        code, out = invoke("check", "no-such-encounter.json")
        assert code == 2
        assert "no such encounter file: no-such-encounter.json" in out


class TestSchema:
    def test_documented_schema_is_the_generated_one(self) -> None:
        documented = (ROOT / "docs" / "encounter-schema.json").read_text(encoding="utf-8")
        assert json.loads(documented) == encounter_json_schema()
        code, out = invoke("check", "--schema")
        assert code == 0
        assert out == documented

    def test_examples_validate_against_the_model(self) -> None:
        for path in EXAMPLES.glob("*.json"):
            parse_encounter(json.loads(path.read_text(encoding="utf-8")))


class TestExport:
    def test_assigned_codes_in_order(self) -> None:
        result = CodingResult(
            source="note-1",
            setting="inpatient",
            date_of_service=dt.date(2026, 5, 14),
            diagnoses=(
                CodeSuggestion("J18.9", "Pneumonia, unspecified organism", 0.9, "Index"),
                CodeSuggestion("R69", "Illness, unspecified", 0.2, "model"),
                CodeSuggestion("E11.9", "Type 2 diabetes mellitus", 0.7, "Index"),
            ),
        )
        encounter = encounter_from_coding(
            result, patient=Patient(age=70, sex=Sex.FEMALE), procedures=["5A1955Z"]
        )
        assert [d.code for d in encounter.diagnoses] == ["J18.9", "E11.9"]
        assert encounter.setting == "inpatient"
        assert encounter.id == "note-1"
        assert parse_encounter(json.loads(encounter_to_json(encounter))) == encounter

    def test_code_writes_encounter_and_prints_edits(self, tmp_path: Path) -> None:
        note = tmp_path / "note.json"
        note.write_text(
            json.dumps(
                {
                    "text": "Assessment: Type 2 diabetes mellitus with diabetic chronic kidney "
                    "disease, CKD stage 4.",
                    "date_of_service": "2026-05-14",
                    "patient": {"age": 61, "sex": "male"},
                }
            ),
            encoding="utf-8",
        )
        out_path = tmp_path / "encounter.json"
        code, out = invoke("code", str(note), "--json", "--encounter", str(out_path))
        assert code == 0
        data = json.loads(out)
        assert data["edits"]["passed"] is True
        written = json.loads(out_path.read_text(encoding="utf-8"))
        assert [d["code"] for d in written["diagnoses"]] == ["E11.22", "N18.4"]
        assert written["patient"] == {"age": 61, "sex": "M"}
        assert invoke("check", str(out_path))[0] == 0

    def test_encounter_needs_the_age(self, tmp_path: Path) -> None:
        note = tmp_path / "note.txt"
        note.write_text("Assessment: essential hypertension.", encoding="utf-8")
        code, out = invoke("code", str(note), "--encounter", str(tmp_path / "e.json"))
        assert code == 2
        assert "--encounter needs the patient's age" in out
