"""`medcoder claim x12 --from ... --practice ...` and `claim fhir` (no database)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medcoder.claims.x12.validate import validate_x12
from medcoder.cli import app
from medcoder.codesets import KnowledgeBase

ROOT = Path(__file__).resolve().parents[2]
CLAIMS = ROOT / "examples" / "claims"
PRACTICE = str(ROOT / "examples" / "practice" / "practice.yaml")
runner = CliRunner()


@pytest.fixture(autouse=True)
def _built(kb: KnowledgeBase) -> None:
    """Every command opens the same cached knowledge base the session fixture built."""


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_x12_from_files_writes_a_valid_837p(tmp_path: Path) -> None:
    out, counter = tmp_path / "out.837", tmp_path / "ctl"
    code, text = invoke("claim", "x12", "--from", str(CLAIMS / "office_visit_claim.json"),
                        "--from", str(CLAIMS / "child_sore_throat_claim.json"),
                        "--practice", PRACTICE, "-o", str(out),
                        "--control-number-file", str(counter), "--json")
    assert code == 0, text
    summary = json.loads(text)
    assert summary["claims"] == ["OV20260514A", "CS20260515B"]
    assert summary["total_charge"] == "294.50"
    assert summary["control_number"] == "000000001"
    body = out.read_text()
    assert validate_x12(body).ok and "ST*837*0001*005010X222A1~" in body
    # A second run takes the next control number.
    code, text = invoke("claim", "x12", "--from", str(CLAIMS / "office_visit_claim.json"),
                        "--practice", PRACTICE, "-o", str(tmp_path / "two.837"),
                        "--control-number-file", str(counter), "--json")
    assert code == 0 and json.loads(text)["control_number"] == "000000002"


def test_x12_institutional(tmp_path: Path) -> None:
    out = tmp_path / "ip.837"
    code, text = invoke("claim", "x12", "--from", str(CLAIMS / "inpatient_claim.json"),
                        "--practice", PRACTICE, "-o", str(out),
                        "--control-number-file", str(tmp_path / "ctl"))
    assert code == 0, text
    assert "005010X223A2" in out.read_text() and validate_x12(out.read_text()).ok


def test_mixed_payers_refused(tmp_path: Path) -> None:
    code, text = invoke("claim", "x12", "--from", str(CLAIMS / "inpatient_claim.json"),
                        "--from", str(CLAIMS / "office_visit_claim.json"),
                        "--practice", PRACTICE, "-o", str(tmp_path / "x.837"),
                        "--control-number-file", str(tmp_path / "ctl"))
    assert code == 2
    assert "one file goes to one payer" in " ".join(text.split())
    assert not (tmp_path / "x.837").exists()


def test_edit_errors_block_the_file(tmp_path: Path) -> None:
    data = json.loads((CLAIMS / "child_sore_throat_claim.json").read_text())
    data["encounter"]["diagnoses"] = [{"code": "J45.909"}, {"code": "R06.2"}]
    claim = tmp_path / "bad.json"
    claim.write_text(json.dumps(data))
    code, text = invoke("claim", "x12", "--from", str(claim), "--practice", PRACTICE,
                        "-o", str(tmp_path / "x.837"),
                        "--control-number-file", str(tmp_path / "ctl"))
    assert code == 1
    assert "icd10cm.excludes1" in text
    assert not (tmp_path / "x.837").exists()


def test_bad_input_exits_2(tmp_path: Path) -> None:
    code, text = invoke("claim", "x12", "--from", str(tmp_path / "missing.json"),
                        "--practice", PRACTICE, "-o", str(tmp_path / "x.837"))
    assert code == 2 and "cannot read" in text
    code, text = invoke("claim", "x12", "--from", str(CLAIMS / "office_visit_claim.json"),
                        "-o", str(tmp_path / "x.837"))
    assert code == 2 and "--practice" in text


def test_fhir(tmp_path: Path) -> None:
    code, text = invoke("claim", "fhir", "--from", str(CLAIMS / "office_visit_claim.json"),
                        "--practice", PRACTICE)
    assert code == 0, text
    data = json.loads(text)
    assert data["resourceType"] == "Claim" and data["total"]["value"] == 165.0
