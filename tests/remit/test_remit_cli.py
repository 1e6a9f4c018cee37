"""`medcoder remit read` and `medcoder ack read`: parse only, no database."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from medcoder.cli import app
from medcoder.codesets import KnowledgeBase

DATA = Path(__file__).with_name("data")
runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


class TestRemitRead:
    def test_json_has_every_claim_with_money_as_exact_strings(self) -> None:
        code, out, _ = invoke("remit", "read", str(DATA / "era_mixed.835"), "--json")
        assert code == 0
        (remittance,) = json.loads(out)
        assert remittance["payer"]["name"] == "ACME HEALTH PLAN"
        assert remittance["payee"]["id"] == "1234567893"
        assert remittance["total_paid"] == "172.30"
        claims = {c["patient_control_number"]: c for c in remittance["claims"]}
        assert claims["PCN1002"]["patient_responsibility"] == "60.00"
        assert [
            (a["group"], a["reason"], a["amount"])
            for a in claims["PCN1002"]["lines"][0]["adjustments"]
        ] == [("CO", "45", "25.00"), ("PR", "2", "35.00")]
        assert claims["PCN1003"]["lines"][0]["remarks"] == ["M51", "N290"]
        assert claims["PCN1003"]["status"] == "4"
        assert remittance["provider_adjustments"][0]["amount"] == "87.70"

    def test_reversal_flag(self) -> None:
        code, out, _ = invoke("remit", "read", str(DATA / "era_reversal.835"), "--json")
        assert code == 0
        claims = json.loads(out)[0]["claims"]
        assert [(c["is_reversal"], c["is_correction"]) for c in claims] == [
            (True, False),
            (False, True),
        ]

    def test_table(self) -> None:
        code, out, _ = invoke("remit", "read", str(DATA / "era_mixed.835"))
        assert code == 0
        assert "ACME HEALTH PLAN" in out and "PCN1003" in out and "CO-16" in out

    def test_malformed_file_exits_2_naming_the_segment(self, tmp_path: Path) -> None:
        bad = tmp_path / "bad.835"
        bad.write_text((DATA / "era_mixed.835").read_text().replace("SE*52*", "SE*50*"))
        code, out, err = invoke("remit", "read", str(bad), "--json")
        assert code == 2
        assert out == ""
        assert "segment 54 (SE) element 01: segment count 50 does not match" in " ".join(
            err.split()
        )

    def test_missing_file(self, tmp_path: Path) -> None:
        code, _, err = invoke("remit", "read", str(tmp_path / "none.835"))
        assert code == 2
        assert "no such file" in err


class TestAckRead:
    def test_999_json(self) -> None:
        code, out, _ = invoke("ack", "read", str(DATA / "ack_partial.999"), "--json")
        assert code == 0
        (ack,) = json.loads(out)
        assert ack["type"] == "999"
        assert [t["status"] for t in ack["transactions"]] == ["A", "R"]
        assert ack["transactions"][1]["errors"][0]["segment_id"] == "NM1"

    def test_277_json_and_table(self) -> None:
        code, out, _ = invoke("ack", "read", str(DATA / "claimack.277"), "--json")
        assert code == 0
        (ack,) = json.loads(out)
        assert ack["type"] == "277CA"
        assert [(c["patient_control_number"], c["accepted"]) for c in ack["claims"]] == [
            ("PCN1001", True),
            ("PCN1002", False),
        ]
        code, out, _ = invoke("ack", "read", str(DATA / "claimack.277"))
        assert code == 0 and "rejected for invalid information" in " ".join(out.split())


class TestExplain:
    def test_denials_explained_without_a_database(self, kb: KnowledgeBase) -> None:
        code, out, err = invoke("remit", "read", str(DATA / "era_mixed.835"), "--explain", "--json")
        assert code == 0, err
        (remittance,) = json.loads(out)
        (denial,) = remittance["denials"]
        assert (denial["claim_id"], denial["line"], denial["carc"]) == (
            "PCN1003",
            "PCN1003-1",
            "16",
        )
        assert denial["carc_text"].startswith("Claim/service lacks information")
        assert [r["code"] for r in denial["remarks"]] == ["M51", "N290", "MA130"]
        assert denial["action"] == "correct_and_resubmit"
        code, out, _ = invoke("remit", "read", str(DATA / "era_mixed.835"), "--explain")
        flat = " ".join(out.split())
        assert code == 0 and "denied PCN1003 PCN1003-1 CO-16 250.00" in flat
        assert "cause: Information is missing" in flat
