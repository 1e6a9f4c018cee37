"""`medcoder group` and `medcoder hcc` as a user drives them: output, JSON, exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from medcoder.cli import app
from medcoder.codesets import KnowledgeBase

runner = CliRunner()


@pytest.fixture(autouse=True)
def _built(kb: KnowledgeBase) -> None:
    """Every command opens the same cached knowledge base the session fixture built."""


def write(tmp_path: Path, **overrides: Any) -> Path:
    data: dict[str, Any] = {
        "id": "stay-7",
        "date_of_service": "2026-05-01",
        "discharge_date": "2026-05-04",
        "setting": "inpatient",
        "patient": {"age": 70, "sex": "F"},
        "diagnoses": [
            {"code": "J18.9", "present_on_admission": "Y"},
            {"code": "I50.9", "present_on_admission": "Y"},
            {"code": "E11.9", "present_on_admission": "Y"},
        ],
    }
    data.update(overrides)
    path = tmp_path / "encounter.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def flat(text: str) -> str:
    """Rich wraps long lines to the terminal width: compare with single spaces."""
    return " ".join(text.split())


class TestGroup:
    def test_table_names_the_drg_and_the_query(self, tmp_path: Path) -> None:
        code, out = invoke("group", str(write(tmp_path)))
        assert code == 0
        text = flat(out)
        assert "DRG 195 Simple Pneumonia and Pleurisy without CC/MCC" in text
        # Table 5 FY2026: DRG 195 Simple Pneumonia and Pleurisy without CC/MCC, weight 0.6285.
        assert "grouper v43.1 (FY2026)" in text and "relative weight: 0.6285" in text
        assert "I50.9" in out and "principal" in out
        assert "query Query the provider: I50.9 (Heart failure, unspecified)" in text
        assert "to DRG 193" in text

    def test_json_carries_roles_and_opportunities(self, tmp_path: Path) -> None:
        stay = write(tmp_path, diagnoses=[{"code": "I50.20"}, {"code": "J96.01"}])
        code, out = invoke("group", str(stay), "--json")
        assert code == 0
        data = json.loads(out)
        assert (data["drg"], data["mdc"]) == (291, 5)
        assert data["diagnoses"][1]["acted_as"] == "MCC"
        # Table 5 FY2026: DRG 291 Heart Failure and Shock with MCC, weight 1.2838.
        assert data["relative_weight"] == 1.2838 and data["opportunities"] == []

    def test_outpatient_encounter_exits_2(self, tmp_path: Path) -> None:
        code, out = invoke("group", str(write(tmp_path, setting="outpatient")))
        assert code == 2
        assert "MS-DRG grouping is for inpatient stays" in flat(out)

    def test_bad_json_exits_2(self, tmp_path: Path) -> None:
        path = tmp_path / "broken.json"
        path.write_text("{not json", encoding="utf-8")
        code, out = invoke("group", str(path))
        assert code == 2 and "is not a JSON encounter" in flat(out)

    def test_invalid_encounter_names_the_field(self, tmp_path: Path) -> None:
        code, out = invoke("group", str(write(tmp_path, patient={"age": 200, "sex": "F"})))
        assert code == 2 and "patient.age" in out


class TestHcc:
    def test_table_shows_hccs_and_score(self, tmp_path: Path) -> None:
        stay = write(tmp_path, date_of_service="2025-05-01", discharge_date="2025-05-04")
        code, out = invoke("hcc", str(stay))
        assert code == 0
        assert "RAF 1.033" in out and "community, non-dual, aged" in flat(out)
        assert "226" in out and "I50.9" in out and "0.360" in out
        assert "DIABETES_HF_V28" in out and "no HCC: J18.9" in out

    def test_json_and_year(self, tmp_path: Path) -> None:
        code, out = invoke("hcc", str(write(tmp_path)), "--year", "2027", "--json")
        assert code == 0
        data = json.loads(out)
        assert data["payment_year"] == 2027 and data["risk_score"] == 0.933
        assert [h["hcc"] for h in data["hccs"]] == ["38", "226"]

    def test_dual_option_changes_the_segment(self, tmp_path: Path) -> None:
        code, out = invoke("hcc", str(write(tmp_path)), "--dual", "full", "--json")
        assert code == 0
        assert json.loads(out)["segment"] == "community, full-benefit dual, aged"

    def test_outpatient_without_lines_says_nothing_counted(self, tmp_path: Path) -> None:
        visit = write(tmp_path, setting="outpatient", discharge_date=None)
        code, out = invoke("hcc", str(visit))
        assert code == 0
        assert "RAF 0.395" in out and "not counted" in out

    def test_unsupported_year_exits_2(self, tmp_path: Path) -> None:
        code, out = invoke("hcc", str(write(tmp_path)), "--year", "2024")
        assert code == 2 and "HCC payment year must be one of 2025, 2026, 2027" in flat(out)
