"""CPT wording: medcoder's own short text, and the import of a user's licensed file.

The licensed files here are synthetic: the descriptors are made-up text, not the AMA's.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from medcoder.codesets import KnowledgeBase
from medcoder.codesets.build import build_knowledge_base
from medcoder.codesets.cpt import (
    BUILDER,
    CPT_WORDING,
    Cpt,
    import_cpt_file,
    parse_cpt_file,
)
from medcoder.coding.services.drugs import DRUGS
from medcoder.coding.services.office_procedures import _JOINT_SIZES
from medcoder.coding.services.office_tests import OFFICE_TESTS
from medcoder.coding.services.skin_procedures import _TECHNIQUES
from medcoder.coding.services.vaccines import VACCINES
from medcoder.errors import InputError, UnknownCodeError

FAKE_TSV = (
    "code\tshort descriptor\tlong descriptor\n"
    "96372\tFAKE SHORT INJ\tFake long text for an injection service, for tests only\n"
    "99213\tFAKE SHORT VISIT\tFake long text for a visit, for tests only\n"
)


class TestBuiltInWording:
    def test_every_cpt_number_the_services_emit_has_wording(self) -> None:
        emitted = {v.code for v in VACCINES} | {t.code for t in OFFICE_TESTS}
        emitted |= {v.child_code for v in VACCINES if v.child_code} | {"90460", "90461"}
        emitted |= {code for t in OFFICE_TESTS for _, code in t.variants if code}
        emitted |= {c for _, plain, guided, _ in _JOINT_SIZES for c in (plain, guided)}
        emitted |= {c for _, first, addon in _TECHNIQUES for c in (first, addon)}
        emitted |= {"96372", "96374", "96375", "96365", "96366", "96360", "96361", "96367"}
        emitted |= {"11900", "11901", "93010", "69209", "69210", "10060", "10061", "17000"}
        missing = sorted(c for c in emitted if c not in CPT_WORDING)
        assert missing == []

    def test_drug_codes_are_hcpcs_not_cpt(self) -> None:
        assert all(re.fullmatch(r"J\d{4}", c) for d in DRUGS for c in d.codes)

    def test_the_kb_answers_with_medcoder_wording(self, kb: KnowledgeBase) -> None:
        found = Cpt(kb).lookup("96372")
        assert found.source == "medcoder"
        assert found.long_description == CPT_WORDING["96372"]

    def test_an_unknown_number_points_to_the_import(self, kb: KnowledgeBase) -> None:
        with pytest.raises(UnknownCodeError, match="medcoder cpt import"):
            Cpt(kb).lookup("33533")


class TestParse:
    def test_tsv_with_header_picks_short_and_long_by_name(self) -> None:
        rows, fmt, columns, duplicates = parse_cpt_file(FAKE_TSV.encode(), "fake.tsv")
        assert fmt == "tsv"
        assert columns == ("code", "short descriptor", "long descriptor")
        assert rows["96372"] == (
            "FAKE SHORT INJ",
            "Fake long text for an injection service, for tests only",
        )
        assert duplicates == 0

    def test_csv_without_header_picks_columns_by_content(self) -> None:
        data = (
            '"Fake long text, number one, for tests",FAKE ONE,10021\n'
            '"Fake long text, number two, for tests",FAKE TWO,10040\n'
        )
        rows, fmt, columns, _ = parse_cpt_file(data.encode(), "fake.csv")
        assert fmt == "csv"
        assert columns == ("3", "2", "1")
        assert rows["10040"] == ("FAKE TWO", "Fake long text, number two, for tests")

    def test_fixed_width_text(self) -> None:
        data = "Made-up title line\n99213 Fake visit text, for tests\n0001F Fake measure text\n"
        rows, fmt, _, _ = parse_cpt_file(data.encode("cp1252"), "LONGULT.txt")
        assert fmt == "fixed-width"
        assert rows["0001F"] == ("Fake measure text", "Fake measure text")

    def test_duplicates_keep_the_first_row(self) -> None:
        rows, _, _, duplicates = parse_cpt_file(
            (FAKE_TSV + "96372\tOTHER\tOther fake text\n").encode(), "f"
        )
        assert duplicates == 1 and rows["96372"][0] == "FAKE SHORT INJ"

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ("", "fake.tsv: the file is empty"),
            ("code\tname\nabc\tdef\nghi\tjkl\n", "no column holds CPT codes"),
            ("99213\t\t\n99214\t\t\n", "no descriptor column"),
            ("code\tdesc\n99213\tFake visit\n9921\tFake broken\n", "row 3: '9921' is not a CPT"),
        ],
    )
    def test_clear_errors(self, data: str, message: str) -> None:
        with pytest.raises(InputError, match=re.escape(message)):
            parse_cpt_file(data.encode(), "fake.tsv")


class TestImport:
    def test_import_then_the_kb_uses_the_licensed_text(self, tmp_path: Path) -> None:
        source = tmp_path / "licensed.tsv"
        source.write_text(FAKE_TSV, encoding="utf-8")
        home = tmp_path / "home"
        result = import_cpt_file(source, home)
        assert result.rows == 2 and result.path == home / "cpt" / "descriptors.tsv"
        report = build_knowledge_base(tmp_path / "cache", builders=[BUILDER], user_data=home)
        with KnowledgeBase(report.path) as small:
            cpt = Cpt(small)
            assert cpt.licensed()
            assert cpt.lookup("99213").short_description == "FAKE SHORT VISIT"
            assert cpt.lookup("96372").source == "licensed"
            assert cpt.lookup("20610").source == "medcoder"  # not in the file: own wording
            assert [c.code for c in cpt.search("fake injection")] == ["96372"]

    def test_a_bad_file_writes_nothing(self, tmp_path: Path) -> None:
        source = tmp_path / "bad.csv"
        source.write_text("code,desc\nnot-a-code,text\nalso,text\n", encoding="utf-8")
        with pytest.raises(InputError):
            import_cpt_file(source, tmp_path / "home")
        assert not (tmp_path / "home" / "cpt" / "descriptors.tsv").exists()
