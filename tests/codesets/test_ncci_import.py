"""Importing an NCCI quarter from CMS-layout files built from real rows of the vendored tables."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from medcoder.codesets import DataDir, KnowledgeBase
from medcoder.codesets.build import build_knowledge_base, kb_fingerprint
from medcoder.codesets.ncci import BUILDER, MUE_FILES, PTP_FILES
from medcoder.codesets.ncci_import import (
    NcciImportResult,
    import_ncci_quarter,
    ncci_quarters,
    parse_quarter,
)
from medcoder.errors import DataFileError, InputError

PREAMBLE = "CPT only copyright 2025 American Medical Association. All rights reserved.\n\n"
PTP_HEADER = (
    "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale\n"
    "\t\tprior to 1996\tDate\tDate\t0=not allowed\t\n"
    "\t\t\t\t*=no data\t1=allowed\t\n"
    "\t\t\t\t\t9=not applicable\t\n"
)
MAI_TEXT = {"1": "1 Line Edit", "2": "2 Date of Service Edit: Policy",
            "3": "3 Date of Service Edit: Clinical"}  # fmt: skip
MUE_TITLE = {"practitioner": "Practitioner Services", "outpatient_hospital":
             "Outpatient Hospital Services", "dme": "DME Supplier Services"}  # fmt: skip
MUE_NAME = {"practitioner": "PractitionerServices", "outpatient_hospital":
            "OutpatientHospitalServices", "dme": "DMESupplierServices"}  # fmt: skip
#: Dates given to the five PTP rows taken from each vendored table: three active, one
#: deleted before 2026 Q1 (must be skipped), one deleted in the middle of the quarter.
PTP_DATES = [("20240101", "*")] * 3 + [("20190101", "20251001"), ("20240101", "20260215")]


def vendored_rows(name: str) -> Iterator[dict[str, str]]:
    with DataDir().open_text(name) as f:
        yield from csv.DictReader(f)


def ptp_rows(setting: str) -> list[dict[str, str]]:
    return list(itertools.islice(vendored_rows(PTP_FILES[setting]), 5))  # type: ignore[index]


def mue_rows(setting: str) -> list[dict[str, str]]:
    return [r for r in vendored_rows(MUE_FILES[setting]) if r["hcpcs_code"] in ("J0696", "J1885")]  # type: ignore[index]


def aoc_rows() -> list[dict[str, str]]:
    return [r for r in vendored_rows("ncci-2024q3/aoc_addon_code_edits_2024-06.csv")
            if r["add_on_code"] == "0071U"]  # fmt: skip


def ptp_text(setting: str) -> str:
    lines = [
        f"{r['column1']}\t{r['column2']}\t\t{eff}\t{dele}\t{r['modifier_indicator']}\t"
        f"{r['ptp_edit_rationale']}\n"
        for r, (eff, dele) in zip(ptp_rows(setting), PTP_DATES, strict=True)
    ]
    return PREAMBLE + PTP_HEADER + "".join(lines)


def write_cms_files(folder: Path) -> Path:
    """The CMS 2026 Q1 download, in CMS layouts, holding real rows of the vendored tables."""
    folder.mkdir(parents=True)
    (folder / "ccipra-v320r0-f1.txt").write_text(ptp_text("practitioner"), encoding="utf-8")
    with zipfile.ZipFile(folder / "ccioph-v320r0-f1.zip", "w") as z:
        z.writestr("ccioph-v320r0-f1.txt", ptp_text("outpatient_hospital"))
        z.writestr("ccioph-v320r0-f1.pdf", "%PDF-1.4")
    for setting in ("practitioner", "outpatient_hospital", "dme"):
        with (folder / f"MCR_MUE_{MUE_NAME[setting]}_Eff_01-01-2026.csv").open(
            "w", newline="", encoding="utf-8"
        ) as f:
            f.write('"CPT codes, descriptions and other data only are copyright 2025 AMA."\n')
            w = csv.writer(f)
            w.writerow(["HCPCS/CPT Code", f"{MUE_TITLE[setting]} MUE Values",
                        "MUE Adjudication Indicator", "MUE Rationale"])  # fmt: skip
            for r in mue_rows(setting):
                w.writerow([r["hcpcs_code"], r["mue_units"], MAI_TEXT[r["mue_mai"]],
                            r["mue_rationale"]])  # fmt: skip
    aoc = ["Add-on Code\tPrimary Code\tAOC Edit Type\tAOC Edit Effective Date\t"
           "AOC Edit Deletion Date\n"]  # fmt: skip
    aoc += [f"{r['add_on_code']}\t{r['primary_code']}\t{r['aoc_edit_type']}\t20240101\t*\n"
            for r in aoc_rows()]  # fmt: skip
    (folder / "AOC_V2026Q1.txt").write_text("".join(aoc), encoding="utf-8")
    (folder / "AOC_V2026Q1.xlsx").write_bytes(b"PK")
    return folder


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, NcciImportResult]:
    root = tmp_path_factory.mktemp("ncci")
    home = root / "data-home"
    result = import_ncci_quarter(write_cms_files(root / "cms"), home, quarter="2026Q1")
    return home, result


@pytest.fixture(scope="module")
def kb26(
    imported: tuple[Path, NcciImportResult], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[KnowledgeBase]:
    home, _ = imported
    cache = tmp_path_factory.mktemp("cache")
    report = build_knowledge_base(cache, builders=[BUILDER], user_data=home)
    with KnowledgeBase(report.path) as kb:
        yield kb


FEB = dt.date(2026, 2, 1)
AUG24 = dt.date(2024, 8, 1)


class TestImport:
    def test_rows_per_file_and_skipped(self, imported: tuple[Path, NcciImportResult]) -> None:
        home, result = imported
        assert result.folder == home / "ncci" / "2026q1"
        assert (result.quarter, result.effective_from, result.nominal_end) == (
            "2026Q1",
            dt.date(2026, 1, 1),
            dt.date(2026, 3, 31),
        )
        by_name = {f.name: (f.table, f.rows, f.skipped) for f in result.files}
        deleted = {"deleted before 2026-01-01": 1}
        assert by_name["ccipra-v320r0-f1.txt"] == ("ptp_practitioner.csv", 4, deleted)
        assert by_name["ccioph-v320r0-f1.zip/ccioph-v320r0-f1.txt"] == (
            "ptp_outpatient_hospital.csv",
            4,
            deleted,
        )
        assert by_name["MCR_MUE_DMESupplierServices_Eff_01-01-2026.csv"] == (
            "mue_dme_supplier.csv",
            2,
            {},
        )
        assert result.tables["aoc_addon_code_edits.csv"] == len(aoc_rows()) == 1
        assert result.ignored == ("AOC_V2026Q1.xlsx", "ccioph-v320r0-f1.zip/ccioph-v320r0-f1.pdf")
        assert not result.replaced
        assert sorted(p.name for p in result.folder.iterdir()) == [
            "aoc_addon_code_edits.csv.gz",
            "mue_dme_supplier.csv.gz",
            "mue_outpatient_hospital.csv.gz",
            "mue_practitioner.csv.gz",
            "ptp_outpatient_hospital.csv.gz",
            "ptp_practitioner.csv.gz",
            "release.json",
        ]

    def test_listed_after_the_vendored_quarter(
        self, imported: tuple[Path, NcciImportResult]
    ) -> None:
        home, _ = imported
        assert [(q.release_id, q.label) for q in ncci_quarters(home)] == [
            ("ncci-2024q3", "NCCI 2024 Q3"),
            ("ncci-2026q1", "NCCI 2026 Q1"),
        ]

    def test_import_changes_the_fingerprint(self, imported: tuple[Path, NcciImportResult]) -> None:
        home, _ = imported
        configured = BUILDER.for_user_data(home)
        assert len(configured.user_files) == 7
        assert kb_fingerprint(DataDir(), [configured]) != kb_fingerprint(DataDir(), [BUILDER])


class TestKnowledgeBase:
    def test_release_by_date(self, kb26: KnowledgeBase) -> None:
        assert kb26.ncci.release_for(FEB).id == "ncci-2026q1"
        assert kb26.ncci.release_for(AUG24).id == "ncci-2024q3"

    def test_ptp_from_the_imported_quarter(self, kb26: KnowledgeBase) -> None:
        row = ptp_rows("practitioner")[0]
        edit = kb26.ncci.ptp(row["column2"], row["column1"], day=FEB)
        assert edit is not None
        assert (edit.column1, edit.column2, edit.release_id) == (
            row["column1"],
            row["column2"],
            "ncci-2026q1",
        )
        assert edit.modifier_indicator == int(row["modifier_indicator"])
        assert edit.rationale == row["ptp_edit_rationale"]
        assert (edit.effective_date, edit.deletion_date, edit.stale) == (
            dt.date(2024, 1, 1),
            None,
            False,
        )

    def test_deleted_before_the_quarter_is_gone(self, kb26: KnowledgeBase) -> None:
        row = ptp_rows("outpatient_hospital")[3]
        pair = (row["column1"], row["column2"])
        assert kb26.ncci.ptp(*pair, setting="outpatient_hospital", day=FEB) is None
        old = kb26.ncci.ptp(*pair, setting="outpatient_hospital", day=AUG24)
        assert old is not None and old.release_id == "ncci-2024q3"

    def test_deleted_mid_quarter(self, kb26: KnowledgeBase) -> None:
        row = ptp_rows("practitioner")[4]
        pair = (row["column1"], row["column2"])
        edit = kb26.ncci.ptp(*pair, day=FEB)
        assert edit is not None and edit.deletion_date == dt.date(2026, 2, 15)
        assert kb26.ncci.ptp(*pair, day=dt.date(2026, 2, 15)) is None

    def test_a_pair_not_in_the_new_files(self, kb26: KnowledgeBase) -> None:
        assert kb26.ncci.ptp("11055", "11720", day=FEB) is None
        assert kb26.ncci.ptp("11055", "11720", day=AUG24) is not None

    def test_mue(self, kb26: KnowledgeBase) -> None:
        mue = kb26.ncci.mue("J1885", day=FEB)
        assert mue is not None
        assert (mue.units, mue.mai, mue.rationale, mue.release_id) == (
            8,
            3,
            "Prescribing Information",
            "ncci-2026q1",
        )
        dme = kb26.ncci.mue("J0696", "dme", day=FEB)
        assert dme is not None and (dme.units, dme.rationale) == (0, "CMS Policy")
        assert kb26.ncci.mue("J1885", day=AUG24).release_id == "ncci-2024q3"  # type: ignore[union-attr]

    def test_addon_primaries(self, kb26: KnowledgeBase) -> None:
        (primary,) = kb26.ncci.addon_primaries("0071U", day=FEB)
        assert (primary.primary_code, primary.edit_type) == ("0070U", 1)
        assert primary.effective_date == dt.date(2024, 1, 1)
        assert not kb26.ncci.is_addon("0072U", day=FEB)
        assert kb26.ncci.is_addon("0072U", day=AUG24)

    def test_staleness_warning(self, kb26: KnowledgeBase) -> None:
        assert kb26.ncci.staleness_warning(dt.date(2026, 2, 10)) is None
        assert kb26.ncci.staleness_warning(dt.date(2026, 5, 1)) == (
            "date of service 2026-05-01 is after the end of NCCI 2026 Q1 (2026-03-31), the "
            "newest NCCI quarter loaded; edits may have changed since: load a newer quarter "
            "of the CMS NCCI files before relying on it"
        )


class TestBadInput:
    def test_malformed_file_imports_nothing(self, tmp_path: Path) -> None:
        cms = write_cms_files(tmp_path / "cms")
        path = cms / "ccipra-v320r0-f1.txt"
        path.write_text(path.read_text().replace("\t1\t", "\t5\t", 1), encoding="utf-8")
        home = tmp_path / "home"
        with pytest.raises(DataFileError) as info:
            import_ncci_quarter(cms, home, quarter="2026Q1")
        row = ptp_rows("practitioner")[0]
        assert str(info.value) == (
            "ccipra-v320r0-f1.txt, line 7, column 'Modifier': '5' is not a modifier "
            "indicator 0, 1 or 9"
        )
        assert row["modifier_indicator"] == "1"
        assert list((home / "ncci").iterdir()) == []

    def test_missing_table(self, tmp_path: Path) -> None:
        cms = write_cms_files(tmp_path / "cms")
        (cms / "AOC_V2026Q1.txt").unlink()
        with pytest.raises(DataFileError) as info:
            import_ncci_quarter(cms, tmp_path / "home", quarter="2026Q1")
        assert str(info.value) == (
            f"{cms} has no file for add-on code edits; an NCCI quarter needs both PTP tables, "
            "all three MUE tables and the add-on code edits (not recognised: AOC_V2026Q1.xlsx, "
            "ccioph-v320r0-f1.zip/ccioph-v320r0-f1.pdf)"
        )

    def test_ambiguous_ptp_name_needs_setting(self, tmp_path: Path) -> None:
        cms = write_cms_files(tmp_path / "cms")
        shutil.move(cms / "ccipra-v320r0-f1.txt", cms / "edits-f1.txt")
        with pytest.raises(InputError) as info:
            import_ncci_quarter(cms, tmp_path / "home", quarter="2026Q1")
        assert info.value.field == "setting"
        result = import_ncci_quarter(
            cms, tmp_path / "home", quarter="2026Q1", setting="practitioner"
        )
        assert result.tables["ptp_practitioner.csv"] == 4

    def test_quarter(self) -> None:
        assert parse_quarter("2026-q4").last_day == dt.date(2026, 12, 31)
        with pytest.raises(InputError, match="quarter must look like 2026Q1"):
            parse_quarter("2026Q5")
        with pytest.raises(InputError, match="shipped with medcoder"):
            import_ncci_quarter(Path("."), Path("."), quarter="2024Q3")
