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
