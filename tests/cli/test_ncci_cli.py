"""`medcoder ncci import` and `medcoder ncci list` as a user drives them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medcoder.cli import app
from medcoder.codesets import DataDir

runner = CliRunner()


def first_row(name: str) -> dict[str, str]:
    with DataDir().open_text(name) as f:
        return next(csv.DictReader(f))


def write_cms_files(folder: Path) -> Path:
    """One real row of each vendored table, in the CMS download layouts, plus a preamble."""
    folder.mkdir()
    for tag, setting in (("pra", "practitioner"), ("oph", "outpatient_hospital")):
        r = first_row(f"ncci-2024q3/ptp_{setting}_active_2024q3.csv")
        (folder / f"cci{tag}-v320r0-f1.txt").write_text(
            "CPT only copyright 2025 American Medical Association.\n"
            "Column 1\tColumn 2\t*=in existence prior to 1996\tEffective Date\t"
            "Deletion Date *=no data\tModifier 0=not allowed 1=allowed 9=not applicable\t"
            "PTP Edit Rationale\n"
            f"{r['column1']}\t{r['column2']}\t\t20240101\t*\t{r['modifier_indicator']}\t"
            f"{r['ptp_edit_rationale']}\n"
            f"{r['column1']}\tJ1885\t\t20200101\t20251001\t0\tMisuse\n",
            encoding="utf-8",
        )
    for file, title in (("practitioner", "Practitioner Services"),
                        ("outpatient_hospital", "Outpatient Hospital Services"),
                        ("dme_supplier", "DME Supplier Services")):  # fmt: skip
        r = first_row(f"ncci-2024q3/mue_{file}_2024q3.csv")
        (folder / f"MCR_MUE_{title.replace(' ', '')}.csv").write_text(
            f'"HCPCS/CPT Code","{title} MUE Values","MUE Adjudication Indicator","MUE Rationale"\n'
            f'{r["hcpcs_code"]},{r["mue_units"]},"{r["mue_mai"]} Line Edit",{r["mue_rationale"]}\n',
            encoding="utf-8",
        )
    r = first_row("ncci-2024q3/aoc_addon_code_edits_2024-06.csv")
    (folder / "AOC_V2026Q1.txt").write_text(
        "Add-on Code\tPrimary Code\tAOC Edit Type\tAOC Edit Effective Date\t"
        "AOC Edit Deletion Date\n"
        f"{r['add_on_code']}\t{r['primary_code']}\t{r['aoc_edit_type']}\t20240101\t*\n",
        encoding="utf-8",
    )
    return folder


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MEDCODER_DATA_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


class TestImport:
    def test_json_report_and_list(self, tmp_path: Path, home: Path) -> None:
        cms = write_cms_files(tmp_path / "cms")
        result = runner.invoke(app, ["ncci", "import", str(cms), "--quarter", "2026Q1", "--json"])
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["folder"] == str(home / "ncci" / "2026q1")
        assert report["effective_from"] == "2026-01-01"
        pra = next(f for f in report["files"] if f["name"] == "ccipra-v320r0-f1.txt")
        assert pra == {
            "name": "ccipra-v320r0-f1.txt",
            "table": "ptp_practitioner.csv",
            "rows": 1,
            "skipped": {"deleted before 2026-01-01": 1},
        }
        assert report["tables"]["mue_dme_supplier.csv"] == 1

        listed = runner.invoke(app, ["ncci", "list", "--json"])
        assert listed.exit_code == 0, listed.output
        quarters = [
            (q["label"], q["effective_from"], q["nominal_end"]) for q in json.loads(listed.stdout)
        ]
        assert quarters == [
            ("NCCI 2024 Q3", "2024-07-01", "2024-09-30"),
            ("NCCI 2026 Q1", "2026-01-01", "2026-03-31"),
        ]

    def test_table_output(self, tmp_path: Path, home: Path) -> None:
        cms = write_cms_files(tmp_path / "cms")
        result = runner.invoke(
            app, ["ncci", "import", str(cms), "--quarter", "2026q2", "--effective", "2026-04-01"]
        )
        assert result.exit_code == 0, result.output
        text = " ".join(result.stdout.split())
        assert "ptp_practitioner.csv 1, ptp_outpatient_hospital.csv 1, " in text
        assert text.endswith("in force from 2026-04-01; the knowledge base is rebuilt on next use")

    def test_malformed_file_exit_2_nothing_written(self, tmp_path: Path, home: Path) -> None:
        cms = write_cms_files(tmp_path / "cms")
        mue = cms / "MCR_MUE_PractitionerServices.csv"
        mue.write_text(mue.read_text() + "J1885,eight,3 Date of Service Edit: Clinical,x\n")
        result = runner.invoke(app, ["ncci", "import", str(cms), "--quarter", "2026Q1"])
        assert result.exit_code == 2
        assert " ".join(result.stderr.split()) == (
            "error: MCR_MUE_PractitionerServices.csv, line 3, column 'MUE Values': 'eight' is "
            "not a number of units; nothing was imported"
        )
        assert list((home / "ncci").iterdir()) == []

    def test_bad_quarter(self, tmp_path: Path, home: Path) -> None:
        result = runner.invoke(app, ["ncci", "import", str(tmp_path), "--quarter", "Q1-2026"])
        assert result.exit_code == 2
        assert "quarter must look like 2026Q1" in result.stderr
