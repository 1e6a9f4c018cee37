"""The Neoplasm Table, Table of Drugs and Chemicals and External Cause Index (FY2026 April)."""

from __future__ import annotations

import pytest

from medcoder.codesets import KnowledgeBase
from medcoder.codesets.icd10cm.index import AlphabeticIndex, IndexSource
from medcoder.codesets.icd10cm.index_models import (
    Behavior,
    CodeStatus,
    DrugEntry,
    Intent,
    NeoplasmEntry,
    TableCode,
)
from medcoder.errors import InputError, TermNotFoundError


@pytest.fixture(scope="module")
def ix(kb: KnowledgeBase) -> AlphabeticIndex:
    return kb.index


class TestNeoplasmTable:
    def test_breast_upper_outer_quadrant_all_columns(self, ix: AlphabeticIndex) -> None:
        entry = ix.neoplasm("breast", "upper-outer quadrant")
        assert isinstance(entry, NeoplasmEntry)
        assert entry.path == ("Neoplasm, neoplastic", "breast", "upper-outer quadrant")
        assert (
            entry.malignant_primary,
            entry.malignant_secondary,
            entry.in_situ,
            entry.benign,
            entry.uncertain,
            entry.unspecified,
        ) == ("C50.4-", "C79.81", "D05.-", "D24.-", "D48.6-", "D49.3")

    def test_one_behavior(self, ix: AlphabeticIndex) -> None:
        cell = ix.neoplasm("breast, upper-outer quadrant", behavior="malignant-primary")
        assert isinstance(cell, TableCode)
        assert cell.code == "C50.4-"
        assert cell.more_characters_needed
        benign = ix.neoplasm("Breast", "upper outer quadrant", behavior=Behavior.BENIGN)
        assert isinstance(benign, TableCode) and benign.code == "D24.-"

    def test_site_nonessential_and_children(self, ix: AlphabeticIndex) -> None:
        entry = ix.neoplasm("breast", "glandular tissue")
        assert isinstance(entry, NeoplasmEntry)
        assert entry.path[-1] == "breast"
        assert entry.malignant_primary == "C50.9-"
        assert "upper-outer quadrant" in {c.term for c in entry.children}

    def test_complete_code_and_dash_cell(self, ix: AlphabeticIndex) -> None:
        cell = ix.neoplasm("abdomen", "wall", "connective tissue", behavior="in-situ")
        assert isinstance(cell, TableCode)
        assert cell.code is None  # the table prints a dash
        lung = ix.neoplasm("lung", behavior="malignant-secondary")
        assert isinstance(lung, TableCode) and lung.code == "C78.0-"

    def test_see_inside_the_table_is_followed(self, ix: AlphabeticIndex) -> None:
        entry = ix.neoplasm("skin", "breast")
        assert isinstance(entry, NeoplasmEntry)
        assert entry.malignant_primary == "C44.501"
        abdomen_wall = ix.neoplasm("abdomen", "wall")
        assert isinstance(abdomen_wall, NeoplasmEntry)
        assert abdomen_wall.see_also == "Neoplasm, abdomen, wall, skin"

    def test_unknown_site_and_behavior(self, ix: AlphabeticIndex) -> None:
        with pytest.raises(TermNotFoundError) as exc:
            ix.neoplasm("braest")
        assert "breast" in exc.value.suggestions
        with pytest.raises(InputError, match="'behavior' must be one of"):
            ix.neoplasm("breast", behavior="malignant")


class TestDrugTable:
    def test_acetaminophen_all_columns(self, ix: AlphabeticIndex) -> None:
        entry = ix.drug("Acetaminophen")
        assert isinstance(entry, DrugEntry)
        assert entry.poisoning_accidental == "T39.1X1"
        assert entry.poisoning_intentional == "T39.1X2"
        assert entry.adverse_effect == "T39.1X5"
        assert entry.underdosing == "T39.1X6"
        assert entry.code(Intent.POISONING_ASSAULT) == "T39.1X3"

    def test_one_intent_needs_a_seventh_character(self, ix: AlphabeticIndex) -> None:
        cell = ix.drug("acetaminophen", intent="poisoning-accidental")
        assert isinstance(cell, TableCode)
        assert cell.code == "T39.1X1"
        assert cell.code_status is CodeStatus.INCOMPLETE and cell.more_characters_needed
        adverse = ix.drug("Acetaminophen", intent="adverse-effect")
        assert isinstance(adverse, TableCode) and adverse.code == "T39.1X5"

    def test_dash_columns_are_none(self, ix: AlphabeticIndex) -> None:
        entry = ix.drug("1-propanol")
        assert isinstance(entry, DrugEntry)
        assert entry.poisoning_accidental == "T51.3X1"
        assert entry.adverse_effect is None and entry.underdosing is None

    def test_nonessential_in_title(self, ix: AlphabeticIndex) -> None:
        entry = ix.drug("2,4-D", "dichlorophen-oxyacetic acid")
        assert isinstance(entry, DrugEntry)
        assert entry.nonessential == "(dichlorophen-oxyacetic acid)"
        assert entry.poisoning_accidental == "T60.3X1"

    def test_unknown_intent(self, ix: AlphabeticIndex) -> None:
        with pytest.raises(InputError, match="'intent' must be one of"):
            ix.drug("Acetaminophen", intent="overdose")


class TestExternalCauseIndex:
    def test_walk_to_a_code(self, ix: AlphabeticIndex) -> None:
        entry = ix.external_cause("Accident", "boat", "striking swimmer", "powered")
        assert entry.source == "external-cause"
        assert entry.path == ("Accident", "boat, boating", "striking swimmer", "powered")
        assert entry.code == "V94.11"
        assert entry.more_characters_needed  # 7th character

    def test_see_is_followed(self, ix: AlphabeticIndex) -> None:
        entry = ix.external_cause("Accident", "automobile")
        assert entry.path == ("Accident", "transport", "car occupant")
        assert entry.followed == ("Accident, automobile -> see Accident, transport, car occupant",)

    def test_nonessential_and_trailing_title_text(self, ix: AlphabeticIndex) -> None:
        entry = ix.external_cause("Abandonment", "with intent to injure or kill")
        assert entry.term == "Abandonment NEC"
        assert entry.code == "X58"
        assert entry.matched_nonessential == ("with intent to injure or kill",)

    def test_subcategory_reference_is_a_code(self, ix: AlphabeticIndex) -> None:
        entry = ix.external_cause("Struck", "by", "lightning")
        assert entry.code == "T75.0"
        assert entry.more_characters_needed

    def test_main_terms_for_the_engine(self, ix: AlphabeticIndex) -> None:
        mains = dict(ix.main_terms(IndexSource.EXTERNAL_CAUSE))
        assert "fall falling" in mains
        assert len(mains) == 314


class TestBuild:
    def test_row_counts(self, kb: KnowledgeBase) -> None:
        counts = dict(
            kb.con.execute("SELECT tbl, COUNT(*) FROM icd10cm_table_node GROUP BY tbl").fetchall()
        )
        assert counts == {"drug": 7430, "external": 8090, "neoplasm": 1940}
        missing = kb.con.execute(
            "SELECT COUNT(*) FROM icd10cm_table_cell WHERE code_status = 'unmapped'"
        ).fetchone()[0]
        assert missing == 0
