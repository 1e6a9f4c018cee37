"""Diagnosis coding, one coding rule at a time, on small US-style notes.

Each test states the codes a coder assigns and the ones that must not be assigned.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from medcoder.codesets import KnowledgeBase
from medcoder.coding import CodingResult, DiagnosisCoder
from medcoder.notes import read_document


@pytest.fixture(scope="module")
def coder(kb: KnowledgeBase) -> Iterator[DiagnosisCoder]:
    yield DiagnosisCoder(kb)


def code(coder: DiagnosisCoder, text: str, setting: str = "outpatient") -> CodingResult:
    return coder.code(read_document(text, setting=setting, date_of_service="2026-05-14"))


def assigned(result: CodingResult) -> list[str]:
    return [d.code for d in result.assigned]


class TestAssertion:
    def test_negated_findings_are_not_coded(self, coder: DiagnosisCoder) -> None:
        result = code(
            coder,
            "Assessment:\n1. Acute bronchitis.\n"
            "Patient denies chest pain or shortness of breath. No fever.\n",
        )
        assert assigned(result) == ["J20.9"]

    def test_outpatient_uncertain_diagnosis_codes_the_symptoms(self, coder: DiagnosisCoder) -> None:
        result = code(
            coder,
            "CC: cough and fever.\nAssessment: Cough and fever, probable community acquired "
            "pneumonia. Chest x-ray ordered.\n",
        )
        codes = assigned(result)
        assert {"R05.9", "R50.9"} <= set(codes)
        assert not [c for c in codes if c.startswith("J18")]

    def test_inpatient_uncertain_diagnosis_is_coded_as_established(
        self, coder: DiagnosisCoder
    ) -> None:
        result = code(
            coder,
            "DISCHARGE SUMMARY\nDischarge diagnoses:\n1. Probable community acquired pneumonia.\n",
            setting="inpatient",
        )
        assert assigned(result) == ["J18.9"]
        assert "uncertain-diagnosis-inpatient (II.H)" in result.diagnoses[0].rules

    def test_family_history_goes_to_z80_not_the_disease(self, coder: DiagnosisCoder) -> None:
        result = code(
            coder,
            "Family history: mother with breast cancer.\nAssessment: Essential hypertension.\n",
        )
        codes = assigned(result)
        assert "Z80.3" in codes
        assert not [c for c in codes if c.startswith("C50")]

    def test_personal_history_of_cancer(self, coder: DiagnosisCoder) -> None:
        result = code(
            coder,
            "PMH: history of prostate cancer treated in 2015, no recurrence.\n"
            "Assessment: Essential hypertension.\n",
        )
        codes = assigned(result)
        assert codes == ["I10", "Z85.46"]


class TestCombinations:
    def test_diabetes_with_ckd_listed_separately_is_linked(self, coder: DiagnosisCoder) -> None:
        result = code(
            coder,
            "Assessment:\n1. Type 2 diabetes mellitus.\n2. Chronic kidney disease stage 3b.\n",
        )
        assert assigned(result) == ["E11.22", "N18.32"]
        assert "with-linking (I.A.15)" in result.diagnoses[0].rules

    def test_each_diabetic_complication_keeps_its_code(self, coder: DiagnosisCoder) -> None:
        result = code(coder, "Assessment: T2DM with diabetic polyneuropathy. CKD stage 3a.\n")
        assert set(assigned(result)) == {"E11.42", "E11.22", "N18.31"}

    def test_hypertension_with_heart_failure(self, coder: DiagnosisCoder) -> None:
        result = code(coder, "Assessment:\n1. Hypertension.\n2. Chronic diastolic heart failure.\n")
        assert assigned(result) == ["I11.0", "I50.32"]

    def test_hypertension_heart_failure_and_ckd(self, coder: DiagnosisCoder) -> None:
        result = code(
            coder,
            "Assessment:\n1. Hypertension.\n2. CKD stage 4.\n"
            "3. Acute on chronic systolic heart failure.\n",
        )
        codes = assigned(result)
        assert codes[:1] == ["I13.0"]
        assert {"N18.4", "I50.23"} <= set(codes)
        assert "I10" not in codes and "I50.9" not in codes

    def test_combination_code_for_copd_exacerbation(self, coder: DiagnosisCoder) -> None:
        assert assigned(code(coder, "Assessment: COPD with acute exacerbation.\n")) == ["J44.1"]

    def test_uti_with_organism(self, coder: DiagnosisCoder) -> None:
        result = code(coder, "Assessment: Urinary tract infection due to E. coli.\n")
        assert assigned(result) == ["N39.0", "B96.20"]


class TestSpecificity:
    def test_unspecified_heart_failure_raises_a_query(self, coder: DiagnosisCoder) -> None:
        result = code(coder, "Assessment: CHF, stable on current regimen.\n")
        assert assigned(result) == ["I50.9"]
        assert [q.topic for q in result.queries] == ["heart failure type and acuity"]

    def test_fracture_initial_encounter_with_side(self, coder: DiagnosisCoder) -> None:
        result = code(
            coder, "Assessment: Closed fracture of the left distal radius after a fall today.\n"
        )
        assert assigned(result) == ["S52.502A"]

    def test_fracture_subsequent_encounter(self, coder: DiagnosisCoder) -> None:
        result = code(
            coder,
            "Here for follow-up of a right Colles fracture, healing as expected.\n"
            "Assessment: Colles fracture of right radius, routine healing.\n",
        )
        assert assigned(result) == ["S52.531D"]

    def test_documented_detail_replaces_unspecified(self, coder: DiagnosisCoder) -> None:
        result = code(
            coder, "SH: smokes cigarettes, 1 pack per day.\nAssessment: Nicotine dependence.\n"
        )
        assert assigned(result) == ["F17.210"]

    def test_neoplasm_table_secondary_site(self, coder: DiagnosisCoder) -> None:
        result = code(coder, "Assessment: Metastatic adenocarcinoma to the liver.\n")
        assert assigned(result)[0] == "C78.7"
        assert "Neoplasm Table: liver (malignant secondary)" in result.diagnoses[0].rationale


class TestSymptomsAndStatus:
    def test_symptom_integral_to_the_diagnosis_is_not_assigned(self, coder: DiagnosisCoder) -> None:
        result = code(coder, "CC: chest pain.\nAssessment: Acute NSTEMI with chest pain.\n")
        assert assigned(result) == ["I21.4"]
        chest_pain = [d for d in result.diagnoses if d.code == "R07.9"]
        assert chest_pain and not chest_pain[0].assigned

    def test_joint_pain_is_integral_to_arthritis_of_that_joint_only(
        self, coder: DiagnosisCoder
    ) -> None:
        result = code(
            coder,
            "CC: right knee pain, left shoulder pain.\n"
            "Assessment: Primary osteoarthritis of the right knee.\n",
        )
        codes = assigned(result)
        assert "M17.11" in codes
        assert "M25.561" not in codes  # knee pain: part of the knee osteoarthritis
        assert "M25.512" in codes  # shoulder pain: no shoulder diagnosis, still coded

    def test_throat_pain_is_integral_to_pharyngitis(self, coder: DiagnosisCoder) -> None:
        result = code(coder, "CC: sore throat.\nAssessment: Streptococcal pharyngitis.\n")
        assert "J02.0" in assigned(result)
        assert "R07.0" not in assigned(result)

    def test_preventive_visit_without_findings_stays_z00_00(self, coder: DiagnosisCoder) -> None:
        result = code(
            coder,
            "ANNUAL PREVENTIVE VISIT\nHPI: 50 y/o F for routine health maintenance.\n"
            "FH: father with type 2 diabetes and coronary artery disease.\n"
            "Exam: heart, lungs, skin and abdomen normal.\n"
            "Assessment: Routine adult health examination, no abnormal findings.\n",
        )
        codes = assigned(result)
        assert codes[0] == "Z00.00"
        assert not [c for c in codes if c[0] not in "Z"]  # family history is not a finding

    def test_long_term_drug_therapy(self, coder: DiagnosisCoder) -> None:
        result = code(
            coder,
            "Meds: apixaban 5 mg BID, metformin 500 mg BID.\n"
            "Assessment: Paroxysmal atrial fibrillation. Type 2 diabetes mellitus.\n",
        )
        assert assigned(result) == ["I48.0", "E11.9", "Z79.01", "Z79.84"]

    def test_status_post_cabg(self, coder: DiagnosisCoder) -> None:
        result = code(
            coder, "HPI: 70 y/o M s/p CABG in 2019.\nAssessment: Coronary artery disease.\n"
        )
        assert assigned(result) == ["I25.10", "Z95.1"]


class TestResultShape:
    def test_every_code_has_evidence_pointing_into_the_note(self, coder: DiagnosisCoder) -> None:
        text = "Assessment:\n1. Type 2 diabetes mellitus.\n2. Chronic kidney disease stage 3b.\n"
        result = code(coder, text)
        for dx in result.diagnoses:
            assert dx.evidence
            for ev in dx.evidence:
                assert text[ev.start : ev.end] == ev.text
            assert dx.rationale and 0.0 <= dx.score <= 1.0

    def test_assigned_codes_are_billable_on_the_date(
        self, coder: DiagnosisCoder, kb: KnowledgeBase
    ) -> None:
        import datetime as dt

        result = code(coder, "Assessment: Acute on chronic diastolic heart failure. Gout.\n")
        for dx in result.diagnoses:
            assert kb.icd10cm.validate(dx.code, dt.date(2026, 5, 14)).valid, dx.code

    def test_same_note_same_codes(self, coder: DiagnosisCoder) -> None:
        text = "Assessment: Hypertension. Hyperlipidemia. Hypothyroidism.\n"
        assert code(coder, text) == code(coder, text)

    def test_code_deleted_in_fy2027_is_not_assigned_on_a_fy2027_date(
        self, coder: DiagnosisCoder
    ) -> None:
        text = "Assessment: Dilated cardiomyopathy.\n"
        before = coder.code(read_document(text, date_of_service="2026-09-15"))
        after = coder.code(read_document(text, date_of_service="2026-11-23"))
        assert "I42.0" in assigned(before)
        assert "I42.0" not in assigned(after)
        demoted = [d for d in after.diagnoses if d.code == "I42.0"]
        assert demoted and any("not valid on 2026-11-23" in r for r in demoted[0].rules)

    def test_fy2027_date_carries_a_warning(self, coder: DiagnosisCoder) -> None:
        result = coder.code(read_document("Hypertension.", date_of_service="2026-11-23"))
        assert any("FY2027" in w for w in result.warnings)
