"""`medcoder cpt import | lookup | search` as a user drives them (synthetic licensed file)."""

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
    """Commands open the cached knowledge base the session fixture built."""


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


class TestCptImport:
    def test_import_writes_the_table_to_the_data_home(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # A private data home: an import must not reach the shared test knowledge base.
        monkeypatch.setenv("MEDCODER_DATA_HOME", str(tmp_path / "home"))
        source = tmp_path / "cpt.csv"
        source.write_text(
            "Code,Short Desc,Long Desc\n"
            '96372,FAKE INJ,"Fake long wording, injection, for tests"\n'
            '20610,FAKE JOINT,"Fake long wording, joint, for tests"\n',
            encoding="utf-8",
        )
        code, out = invoke("cpt", "import", str(source), "--json")
        assert code == 0, out
        data = json.loads(out)
        assert data["rows"] == 2 and data["format"] == "csv"
        assert (data["code_column"], data["short_column"], data["long_column"]) == (
            "Code",
            "Short Desc",
            "Long Desc",
        )
        written = (tmp_path / "home" / "cpt" / "descriptors.tsv").read_text("utf-8")
        assert written.splitlines()[0] == "20610\tFAKE JOINT\tFake long wording, joint, for tests"

    def test_a_file_without_codes_exits_2_and_imports_nothing(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("MEDCODER_DATA_HOME", str(tmp_path / "home"))
        source = tmp_path / "notes.txt"
        source.write_text("hello\nworld\n", encoding="utf-8")
        code, out = invoke("cpt", "import", str(source))
        assert code == 2
        assert "no column holds CPT codes" in out and "nothing was imported" in out
        assert not (tmp_path / "home" / "cpt").exists()

    def test_a_missing_file_exits_2(self, tmp_path: Path) -> None:
        code, out = invoke("cpt", "import", str(tmp_path / "nope.tsv"))
        assert code == 2 and "no such file" in out


class TestCptLookup:
    def test_lookup_shows_medcoder_wording_without_a_licence(self) -> None:
        code, out = invoke("cpt", "lookup", "69210", "--json")
        assert code == 0
        assert json.loads(out) == {
            "code": "69210",
            "short_description": "Impacted earwax removal with instruments, one ear",
            "long_description": "Impacted earwax removal with instruments, one ear",
            "source": "medcoder",
        }

    def test_unknown_code_says_how_to_import(self) -> None:
        code, out = invoke("cpt", "lookup", "33533")
        assert code == 2 and "medcoder cpt import" in out

    def test_search(self) -> None:
        code, out = invoke("cpt", "search", "rapid antigen", "--json")
        assert code == 0
        assert {"87880", "87804", "87811"} <= {hit["code"] for hit in json.loads(out)}


OFFICE_NOTE = (
    "CC: Ear fullness and right knee pain.\n"
    "HPI: Established patient with decreased hearing in the right ear and right knee "
    "osteoarthritis.\n"
    "Assessment and plan:\n"
    "1. Impacted cerumen, right ear. Cerumen removed from the right ear with a curette.\n"
    "2. Primary osteoarthritis of the right knee. Right knee injected with Kenalog 40 mg.\n"
)


class TestCodeWithProcedures:
    def test_code_json_has_em_services_pcs_and_warnings(self, tmp_path: Path) -> None:
        note = tmp_path / "visit.json"
        note.write_text(
            json.dumps(
                {"text": OFFICE_NOTE, "setting": "outpatient", "date_of_service": "2026-05-14"}
            )
        )
        code, out = invoke("code", str(note), "--json")
        assert code == 0, out
        data = json.loads(out)
        assert {"diagnoses", "em", "services", "pcs", "warnings", "edits"} <= set(data)
        assigned = [d["code"] for d in data["diagnoses"] if d["score"] >= 0.5]
        assigned += [d["code"] for d in data["added_diagnoses"]]
        assert {"H61.21", "M17.11"} <= set(assigned)
        em = data["em"]
        assert em["code"].startswith("992") and em["basis"] in ("mdm", "time")
        assert set(em["mdm"]) == {"level", "problems", "data", "risk"}
        assert em["mdm"]["problems"]["findings"][0]["evidence"]["text"]
        lines = {s["code"]: s for s in data["services"]}
        assert lines[em["code"]]["modifiers"] == ["25"]  # E/M with a procedure the same day
        assert lines["69210"]["modifiers"] == ["RT"]
        assert [assigned[p - 1] for p in lines["69210"]["diagnosis_pointers"]] == ["H61.21"]
        assert lines["20610"]["modifiers"] == ["RT"]
        assert assigned[lines["20610"]["diagnosis_pointers"][0] - 1] == "M17.11"
        assert lines["J3301"]["units"] == 4 and lines["J3301"]["system"] == "HCPCS"
        assert "96372" not in lines  # an intra-articular injection is paid with 20610
        evidence = lines["69210"]["evidence"][0]
        assert OFFICE_NOTE[evidence["start"] : evidence["end"]] == evidence["text"]
        assert data["pcs"] is None  # outpatient
        assert any("-25: billed with 69210" in w for w in data["warnings"])

    def test_inpatient_notes_get_pcs_codes(self, tmp_path: Path) -> None:
        note = tmp_path / "stay.json"
        note.write_text(
            json.dumps(
                {
                    "text": "Hospital course: Acute appendicitis. Laparoscopic appendectomy "
                    "was performed.\nDischarge diagnosis: Acute appendicitis.",
                    "setting": "inpatient",
                    "date_of_service": "2026-05-14",
                }
            )
        )
        code, out = invoke("code", str(note), "--json")
        assert code == 0, out
        data = json.loads(out)
        assert "0DTJ4ZZ" in [c["code"] for c in data["pcs"]["codes"]]
        assert all(s["kind"] == "em" for s in data["services"])

    def test_the_human_view_shows_the_em_level_and_the_lines(self, tmp_path: Path) -> None:
        note = tmp_path / "visit.txt"
        note.write_text(OFFICE_NOTE)
        code, out = invoke("code", str(note))
        assert code == 0
        assert "E/M 99" in out and "Procedures and services" in out and "69210" in out

    def test_code_batch_with_procedures_writes_system_rows(self, tmp_path: Path) -> None:
        notes = tmp_path / "notes"
        notes.mkdir()
        (notes / "a.txt").write_text(OFFICE_NOTE)
        out_tsv, jsonl = tmp_path / "preds.tsv", tmp_path / "full.jsonl"
        code, out = invoke(
            "code-batch", str(notes), "-o", str(out_tsv), "--jsonl", str(jsonl), "--procedures"
        )
        assert code == 0, out
        rows = [line.split("\t") for line in out_tsv.read_text().splitlines()]
        assert all(len(r) == 4 for r in rows)
        assert ["a", "H61.21", "ICD10CM"] in [[r[0], r[1], r[3]] for r in rows]
        assert ["a", "69210", "CPT"] in [[r[0], r[1], r[3]] for r in rows]
        assert ["a", "J3301", "HCPCS"] in [[r[0], r[1], r[3]] for r in rows]
        full = json.loads(jsonl.read_text().splitlines()[0])
        assert full["doc_id"] == "a" and full["em"]["code"].startswith("992")
        assert "69210" in [s["code"] for s in full["services"]]

    def test_code_batch_default_keeps_diagnosis_rows_only(self, tmp_path: Path) -> None:
        notes = tmp_path / "notes"
        notes.mkdir()
        (notes / "a.txt").write_text(OFFICE_NOTE)
        out_tsv = tmp_path / "preds.tsv"
        code, _ = invoke("code-batch", str(notes), "-o", str(out_tsv))
        assert code == 0
        rows = [line.split("\t") for line in out_tsv.read_text().splitlines()]
        assert rows and all(len(r) == 3 for r in rows)
        assert "69210" not in [r[1] for r in rows]
