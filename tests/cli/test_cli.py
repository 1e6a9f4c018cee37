"""The `medcoder` command line as a user drives it: output, JSON and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medcoder.cli import app
from medcoder.codesets import KnowledgeBase

runner = CliRunner()


@pytest.fixture(autouse=True)
def _built(kb: KnowledgeBase) -> None:
    """Every command opens the same cached knowledge base the session fixture built."""


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


class TestLookup:
    def test_icd10cm_json_has_title_billable_and_inherited_notes(self) -> None:
        code, out = invoke("lookup", "e119", "--json")
        assert code == 0
        data = json.loads(out)
        assert data["system"] == "icd10cm"
        result = data["result"]
        assert result["code"] == "E11.9"
        assert result["title"] == "Type 2 diabetes mellitus without complications"
        assert result["billable"] is True
        assert any(n["source_code"] == "E11" for n in result["notes"])

    def test_table_view_names_the_hierarchy(self) -> None:
        code, out = invoke("lookup", "J44.1")
        assert code == 0
        assert "Chronic obstructive pulmonary disease with (acute) exacerbation" in out
        assert "J40-J4A" in out and "Excludes1" in out

    def test_hcpcs_and_pos_are_inferred_from_the_code_shape(self) -> None:
        code, out = invoke("lookup", "G0438", "--json")
        assert code == 0 and json.loads(out)["system"] == "hcpcs"
        code, out = invoke("lookup", "11", "--json")
        assert code == 0 and "Office" in out

    def test_unknown_code_exits_2_with_close_matches(self) -> None:
        code, out = invoke("lookup", "E11.99")
        assert code == 2
        assert "did you mean" in out and "E11.9" in out

    def test_garbage_exits_2(self) -> None:
        code, out = invoke("lookup", "not-a-code!")
        assert code == 2 and "does not look like" in out


class TestValidate:
    def test_missing_seventh_character_exits_1_with_completions(self) -> None:
        code, out = invoke("validate", "S72.001", "--dos", "2026-05-01", "--json")
        assert code == 1
        result = json.loads(out)["result"]
        assert result["reason"] == "missing_7th"
        assert "S72.001A" in result["completions"]

    def test_shape_shared_by_two_systems_is_checked_where_it_exists(self) -> None:
        code, out = invoke("validate", "J1885", "--dos", "2026-05-01", "--json")
        assert code == 0 and json.loads(out)["system"] == "hcpcs"

    def test_valid_code_exits_0(self) -> None:
        code, _ = invoke("validate", "S72.001A", "--dos", "2026-05-01")
        assert code == 0

    def test_date_before_the_oldest_release_names_the_range(self) -> None:
        code, out = invoke("validate", "E11.9", "--dos", "2020-01-01")
        assert code == 2 and "2026-04-01" in out

    def test_bad_date_exits_2(self) -> None:
        code, out = invoke("validate", "E11.9", "--dos", "yesterday")
        assert code == 2 and "--dos must be a date" in out


class TestIndexAndTables:
    def test_index_walk_with_comma_subterms(self) -> None:
        code, out = invoke("index", "Pneumonia, aspiration", "--json")
        assert code == 0 and json.loads(out)["code"] == "J69.0"

    def test_unknown_index_term_suggests(self) -> None:
        code, out = invoke("index", "Pneumonai")
        assert code == 2 and "Pneumonia" in out

    def test_neoplasm_behavior_column(self) -> None:
        code, out = invoke(
            "neoplasm", "breast, upper-outer quadrant", "--behavior", "malignant-primary", "--json"
        )
        assert code == 0 and "C50.4" in out

    def test_drug_intent_column(self) -> None:
        code, out = invoke("drug", "Acetaminophen", "--intent", "poisoning-accidental", "--json")
        assert code == 0 and "T39.1X1" in out

    def test_search_finds_diabetic_foot_ulcer(self) -> None:
        code, out = invoke("search", "diabetic foot ulcer", "--json", "-n", "5")
        assert code == 0
        assert "E11.621" in [hit["code"] for hit in json.loads(out)]


class TestCode:
    def test_code_json_envelope(self, tmp_path: Path) -> None:
        note = tmp_path / "visit.json"
        note.write_text(
            json.dumps(
                {
                    "text": "Assessment:\n1. Type 2 diabetes mellitus with diabetic chronic "
                    "kidney disease stage 3b.\n",
                    "setting": "outpatient",
                    "date_of_service": "2026-05-14",
                }
            )
        )
        code, out = invoke("code", str(note), "--json")
        assert code == 0
        data = json.loads(out)
        assigned = [d["code"] for d in data["diagnoses"] if d["score"] >= 0.5]
        assert assigned[:2] == ["E11.22", "N18.32"]
        first = data["diagnoses"][0]
        assert first["evidence"] and first["rationale"].startswith("Index: Diabetes")

    def test_empty_note_is_a_clear_error(self, tmp_path: Path) -> None:
        note = tmp_path / "empty.txt"
        note.write_text("   \n")
        code, out = invoke("code", str(note))
        assert code == 2 and "empty" in out

    def test_date_without_a_code_set_release_is_a_clear_error(self, tmp_path: Path) -> None:
        note = tmp_path / "n.txt"
        note.write_text("Assessment: essential hypertension.")
        code, out = invoke("code", str(note), "--dos", "2019-06-01")
        assert code == 2
        assert "no icd10cm release covers 2019-06-01" in out and "2026-04-01 onward" in out

    def test_unknown_setting_is_a_clear_error(self, tmp_path: Path) -> None:
        note = tmp_path / "n.txt"
        note.write_text("Hypertension.")
        code, out = invoke("code", str(note), "--setting", "er")
        assert code == 2 and "setting must be 'outpatient' or 'inpatient'" in out


class TestCodeBatch:
    def test_one_bad_file_does_not_stop_the_batch(self, tmp_path: Path) -> None:
        (tmp_path / "a.txt").write_text("Assessment: essential hypertension.\n")
        (tmp_path / "b.txt").write_bytes(b"\x00\x01\x02binary")
        (tmp_path / "c.txt").write_text("Assessment: acute on chronic diastolic heart failure.\n")
        out_tsv = tmp_path / "preds.tsv"
        jsonl = tmp_path / "full.jsonl"
        code, out = invoke("code-batch", str(tmp_path), "-o", str(out_tsv), "--jsonl", str(jsonl))
        assert code == 0
        assert "coded 2 of 3" in out and "b" in out
        rows = [line.split("\t") for line in out_tsv.read_text().splitlines()]
        assert ["a", "I10"] in [r[:2] for r in rows]
        assert ["c", "I50.33"] in [r[:2] for r in rows]
        for doc in ("a", "c"):
            scores = [float(r[2]) for r in rows if r[0] == doc]
            assert scores == sorted(scores, reverse=True)
        assert len(jsonl.read_text().splitlines()) == 2

    def test_missing_folder_exits_2(self, tmp_path: Path) -> None:
        code, out = invoke("code-batch", str(tmp_path / "nope"), "-o", str(tmp_path / "p.tsv"))
        assert code == 2 and "not a folder" in out


def test_cpt_lookup_and_search_use_medcoders_own_wording(kb: KnowledgeBase) -> None:
    code, out = invoke("lookup", "69210", "--json")
    assert code == 0
    result = json.loads(out)
    assert result["system"] == "cpt"
    assert result["result"]["source"] == "medcoder"
    assert "earwax" in result["result"]["short_description"].lower()
    code, out = invoke("search", "--system", "cpt", "earwax", "--json")
    assert code == 0
    assert "69210" in [hit["code"] for hit in json.loads(out)]


def test_cpt_code_without_wording_points_to_the_import(kb: KnowledgeBase) -> None:
    code, out = invoke("lookup", "99999", "--system", "cpt")
    assert code == 2
    assert "medcoder cpt import" in " ".join(out.split())
