"""Claim assembly: charges from the fee schedule, pointers, frequency, edits that block."""

from __future__ import annotations

import copy
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from medcoder.claims.assemble import build_claim
from medcoder.claims.details import details_from_dict, load_claim_file
from medcoder.claims.errors import ClaimEditError, ClaimError
from medcoder.claims.fees import parse_fee_schedule
from medcoder.claims.model import ClaimType, Frequency, Relationship
from medcoder.claims.practice import Practice, load_practice, npi_is_valid, practice_from_dict
from medcoder.claims.revenue import revenue_code_for
from medcoder.codesets import KnowledgeBase
from medcoder.edits.encounter import Encounter, parse_encounter
from medcoder.edits.engine import Editor
from medcoder.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
PRACTICE = ROOT / "examples" / "practice" / "practice.yaml"
CLAIMS = ROOT / "examples" / "claims"


@pytest.fixture(scope="module")
def practice() -> Practice:
    return load_practice(PRACTICE)


def subscriber(**over: Any) -> dict[str, Any]:
    base = {
        "last_name": "Doe", "first_name": "Jane", "birth_date": "1968-02-11", "sex": "F",
        "address": {"line1": "12 Oak St", "city": "Springfield", "state": "IL",
                    "postal_code": "62704"},
        "member_id": "XEP123456789",
    }
    return {**base, **over}


def encounter(*lines: dict[str, Any], dx: tuple[str, ...] = ("E11.22", "N18.31", "Z79.4"),
              **over: Any) -> Encounter:
    return parse_encounter({
        "id": "ENC1", "date_of_service": "2026-05-14", "place_of_service": "11",
        "payer": "EXAMPLE-PAYER", "patient": {"age": 58, "sex": "F"},
        "diagnoses": [{"code": c} for c in dx],
        "lines": list(lines) or [{"code": "99214", "diagnosis_pointers": [1, 2, 3]}],
        **over,
    })


class TestFeeSchedule:
    def test_modifier_row_wins_then_plain_code(self) -> None:
        fees = parse_fee_schedule("code,modifier,charge\n99214,,165.00\n99214,25,150.50\n")
        assert fees.unit_charge("99214", ["25"]) == Decimal("150.50")
        assert fees.unit_charge("99214", ["59"]) == Decimal("165.00")
        assert fees.unit_charge("99215") is None

    def test_bad_amount_names_the_line(self) -> None:
        with pytest.raises(InputError, match=re.escape("fs line 3: charge must be an amount")):
            parse_fee_schedule("code,charge\n99213,110\n99214,abc\n", source="fs")

    def test_fractions_of_a_cent_are_refused(self) -> None:
        with pytest.raises(InputError, match="more than two decimals"):
            parse_fee_schedule("code,charge\n99213,110.005\n")

    def test_duplicate_row(self) -> None:
        with pytest.raises(InputError, match="99213 is listed twice"):
            parse_fee_schedule("code,charge\n99213,110\n99213,111\n")


class TestPractice:
    def test_example_loads(self, practice: Practice) -> None:
        assert practice.billing_provider.npi == "1234567893"
        assert practice.claim_type_for(practice.payer("EXAMPLE-HOSPITAL-PAYER")) is \
            ClaimType.INSTITUTIONAL
        assert practice.fees.unit_charge("99214") == Decimal("165.00")

    def test_npi_check_digit(self) -> None:
        assert npi_is_valid("1234567893")
        assert not npi_is_valid("1234567890")

    def test_bad_npi_names_the_field(self, practice: Practice) -> None:
        data = practice.spec.model_dump(mode="json")
        data["billing_provider"]["npi"] = "1234567890"
        with pytest.raises(InputError, match=re.escape("'billing_provider.npi' is not a valid")):
            practice_from_dict(data, practice.fees)

    def test_billing_provider_needs_zip_plus_4(self, practice: Practice) -> None:
        data = practice.spec.model_dump(mode="json")
        data["billing_provider"]["address"]["postal_code"] = "62701"
        with pytest.raises(InputError, match=re.escape("'billing_provider.address' postal_code "
                                                       "must have 9 digits")):
            practice_from_dict(data, practice.fees)

    def test_unknown_payer(self, practice: Practice) -> None:
        with pytest.raises(InputError, match="payer 'NOPE' is not in the practice file"):
            practice.payer("NOPE")


class TestBuild:
    def test_charges_and_pointers(self, kb: KnowledgeBase, practice: Practice) -> None:
        enc = encounter({"code": "99214", "modifiers": ["25"], "diagnosis_pointers": [1, 2]},
                        {"code": "36415", "units": 1, "diagnosis_pointers": [1]},
                        {"code": "82947", "units": 3, "diagnosis_pointers": [1]})
        details = details_from_dict({"subscriber": subscriber()})
        claim = build_claim(enc, details, practice, edits=Editor(kb).edit(enc))
        assert [line.charge for line in claim.lines] == [
            Decimal("165.00"), Decimal("12.00"), Decimal("27.75")]
        assert claim.total_charge == Decimal("204.75")
        assert isinstance(claim.total_charge, Decimal)
        assert claim.lines[0].diagnosis_pointers == (1, 2)
        assert claim.lines[0].modifiers == ("25",)
        assert claim.diagnoses == ("E1122", "N1831", "Z794")
        assert claim.claim_id == "ENC1"
        assert [line.control_number for line in claim.lines] == ["ENC1-1", "ENC1-2", "ENC1-3"]
        assert claim.relationship is Relationship.SELF
        assert claim.frequency is Frequency.ORIGINAL
        assert claim.place_of_service == "11"

    def test_error_edit_blocks_and_is_named(self, kb: KnowledgeBase, practice: Practice) -> None:
        # J45.909 with R06.2: the J45 Excludes1 note names R06.2 (examples/encounters).
        enc = encounter({"code": "99213", "diagnosis_pointers": [1, 2]}, dx=("J45.909", "R06.2"))
        edits = Editor(kb).edit(enc)
        with pytest.raises(ClaimEditError, match=r"claim ENC1 cannot be built: .*"
                                                 r"icd10cm\.excludes1") as caught:
            build_claim(enc, details_from_dict({"subscriber": subscriber()}), practice,
                        edits=edits)
        assert "icd10cm.excludes1" in [f.edit_id for f in caught.value.findings]

    def test_edit_result_of_another_encounter(self, kb: KnowledgeBase,
                                              practice: Practice) -> None:
        other = encounter(id="OTHER")
        with pytest.raises(ClaimError, match="edit result is for encounter 'OTHER'"):
            build_claim(encounter(), details_from_dict({"subscriber": subscriber()}), practice,
                        edits=Editor(kb).edit(other))

    def test_replacement_needs_the_original_reference(self, kb: KnowledgeBase,
                                                      practice: Practice) -> None:
        enc = encounter()
        edits = Editor(kb).edit(enc)
        with pytest.raises(InputError, match="needs original_claim_reference"):
            build_claim(enc, details_from_dict({"subscriber": subscriber(),
                                                "frequency": "replacement"}),
                        practice, edits=edits)
        claim = build_claim(enc, details_from_dict({
            "subscriber": subscriber(), "frequency": "8", "original_claim_reference": "PCN77"}),
            practice, edits=edits)
        assert claim.frequency is Frequency.VOID
        assert claim.original_claim_reference == "PCN77"

    def test_missing_fee(self, kb: KnowledgeBase, practice: Practice) -> None:
        enc = encounter({"code": "99215", "modifiers": ["25"], "diagnosis_pointers": [1]},
                        {"code": "11042", "diagnosis_pointers": [1]})
        with pytest.raises(InputError, match=re.escape("lines[1]: the fee schedule has no "
                                                       "charge for 11042")):
            build_claim(enc, details_from_dict({"subscriber": subscriber()}), practice,
                        edits=Editor(kb).edit(enc))

    def test_age_must_match_birth_date(self, kb: KnowledgeBase, practice: Practice) -> None:
        enc = encounter()
        with pytest.raises(InputError, match="the encounter says age 58, the birth date "
                                             "1970-02-11 gives 56"):
            build_claim(enc, details_from_dict({"subscriber": subscriber(
                birth_date="1970-02-11")}), practice, edits=Editor(kb).edit(enc))

    def test_dependent_needs_a_patient(self) -> None:
        with pytest.raises(InputError, match="'patient' is required when the relationship "
                                             "is child"):
            details_from_dict({"subscriber": subscriber(), "relationship": "child"})

    def test_bad_member_id_names_the_field(self) -> None:
        with pytest.raises(InputError, match=re.escape("'subscriber.member_id'")):
            details_from_dict({"subscriber": subscriber(member_id="AB*12")})


class TestExamples:
    @pytest.mark.parametrize("name", sorted(p.name for p in CLAIMS.glob("*.json")))
    def test_each_example_builds(self, name: str, kb: KnowledgeBase,
                                 practice: Practice) -> None:
        enc, details = load_claim_file(CLAIMS / name)
        claim = build_claim(enc, details, practice, edits=Editor(kb).edit(enc))
        assert claim.total_charge == sum(line.charge for line in claim.lines)
        assert claim.total_charge > 0

    def test_inpatient_is_institutional_with_room_and_board(self, kb: KnowledgeBase,
                                                            practice: Practice) -> None:
        enc, details = load_claim_file(CLAIMS / "inpatient_claim.json")
        claim = build_claim(enc, details, practice, edits=Editor(kb).edit(enc))
        assert claim.claim_type is ClaimType.INSTITUTIONAL
        inst = claim.institutional
        assert inst is not None and inst.inpatient and inst.facility_code == "11"
        assert inst.present_on_admission == ("Y", "Y", "Y", "Y")
        assert [p.code for p in inst.procedures] == ["5A1955Z"]
        room = claim.lines[0]
        assert (room.revenue_code, room.units, room.charge) == ("0120", 4, Decimal("7400.00"))

    def test_encounter_file_errors_name_the_file(self, tmp_path: Path) -> None:
        data = json.loads((CLAIMS / "office_visit_claim.json").read_text())
        enc = json.loads((ROOT / "examples/encounters/office_visit_clean.json").read_text())
        bad = copy.deepcopy(enc)
        bad["lines"][0]["units"] = 0
        (tmp_path / "enc.json").write_text(json.dumps(bad))
        data["encounter_file"] = "enc.json"
        (tmp_path / "claim.json").write_text(json.dumps(data))
        with pytest.raises(InputError, match=re.escape("'lines[0].units'")) as caught:
            load_claim_file(tmp_path / "claim.json")
        assert caught.value.field == "encounter.lines[0].units"


class TestRevenueCodes:
    @pytest.mark.parametrize(("code", "revenue"), [
        ("99284", "0450"), ("99213", "0510"), ("85025", "0300"), ("71046", "0320"),
        ("J3420", "0636"), ("93000", "0730"), ("A0428", "0510")])
    def test_mapping(self, code: str, revenue: str) -> None:
        assert revenue_code_for(code) == revenue

    def test_practice_override(self) -> None:
        assert revenue_code_for("85025", {"85025": "0301"}) == "0301"
