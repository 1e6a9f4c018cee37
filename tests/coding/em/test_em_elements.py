"""Unit tests of the three MDM element classifiers and of how two of three decide."""

from __future__ import annotations

import pytest

from medcoder.coding.em.data import score_data
from medcoder.coding.em.mdm import combine_mdm, describe_mdm, score_mdm
from medcoder.coding.em.model import MdmElement, MdmLevel
from medcoder.coding.em.problems import classify_problem, score_problems
from medcoder.coding.em.risk import score_risk
from medcoder.notes import Note, parse_note, read_document

SF, LOW, MOD, HIGH = MdmLevel


def _note(text: str) -> Note:
    return parse_note(read_document(text))


class TestClassifyProblem:
    @pytest.mark.parametrize(
        ("kind", "context", "category"),
        [
            ("chronic", "Hypertension, well controlled on lisinopril.", "stable_chronic"),
            ("chronic", "Hypertension.", "stable_chronic"),
            ("chronic", "Type 2 diabetes, uncontrolled, A1c 9.4%.", "chronic_exacerbation"),
            ("chronic", "Asthma, worsening over 2 weeks.", "chronic_exacerbation"),
            ("chronic", "Hyperlipidemia, not at goal.", "chronic_exacerbation"),
            ("chronic", "Asthma, stable, no exacerbations.", "stable_chronic"),
            ("chronic", "Gout, no flares this year.", "stable_chronic"),
            ("chronic", "Heart failure, decompensated.", "chronic_severe_exacerbation"),
            ("chronic", "COPD with severe exacerbation.", "chronic_severe_exacerbation"),
            ("acute", "Acute sinusitis.", "acute_uncomplicated"),
            # AMA: fever and body aches in a minor illness are not "systemic symptoms".
            ("acute", "Influenza with fever and myalgias.", "acute_uncomplicated"),
            ("acute", "Cellulitis with systemic symptoms.", "acute_systemic"),
            ("systemic", "Acute diverticulitis.", "acute_systemic"),
            ("minor", "URI. Return if fever develops.", "self_limited"),
            ("minor", "Insect bite.", "self_limited"),
            ("uncertain", "Breast lump.", "undiagnosed_uncertain"),
            ("acute", "Headache of unclear etiology.", "undiagnosed_uncertain"),
            ("injury", "Distal radius fracture.", "acute_complicated_injury"),
            ("injury", "Colles fracture, routine healing.", "acute_uncomplicated"),
            ("threat", "Pulmonary embolism.", "threat_to_life"),
        ],
    )
    def test_category(self, kind: str, context: str, category: str) -> None:
        assert classify_problem(kind, context) == category


class TestScoreProblems:
    def test_history_is_not_a_problem_addressed(self) -> None:
        note = _note(
            "PMH: Hypertension, hyperlipidemia, asthma.\nA/P: Acute otitis media. Amoxicillin."
        )
        element, warnings = score_problems(note)
        assert [f.label for f in element.findings] == ["otitis"]
        assert element.level is LOW
        assert warnings == ()

    def test_two_stable_chronic_illnesses_are_moderate(self) -> None:
        note = _note("A/P:\n1. Hypertension, stable.\n2. Hypothyroidism, stable.")
        element, _ = score_problems(note)
        assert element.level is MOD
        assert element.summary == "2 x stable chronic illness"

    def test_one_stable_chronic_illness_is_low(self) -> None:
        element, _ = score_problems(_note("Assessment: Hypothyroidism, stable."))
        assert element.level is LOW

    def test_two_minor_problems_are_low(self) -> None:
        element, _ = score_problems(_note("A/P:\n1. Insect bite, left arm.\n2. Cerumen, left."))
        assert (element.level, len(element.findings)) == (LOW, 2)

    def test_one_minor_problem_is_straightforward(self) -> None:
        element, _ = score_problems(_note("A/P: Common cold."))
        assert element.level is SF

    def test_qualifiers_belong_to_their_own_condition(self) -> None:
        element, _ = score_problems(_note("A/P: Hypertension stable; diabetes uncontrolled."))
        categories = {f.label: f.category for f in element.findings}
        assert categories == {
            "hypertension": "stable_chronic",
            "diabetes": "chronic_exacerbation",
        }
        assert element.level is MOD

    def test_the_same_problem_in_assessment_and_plan_counts_once(self) -> None:
        note = _note(
            "Assessment: Hypertension, uncontrolled.\nPlan: Hypertension - increase lisinopril."
        )
        element, _ = score_problems(note)
        assert [(f.label, f.category) for f in element.findings] == [
            ("hypertension", "chronic_exacerbation")
        ]

    def test_negated_and_ruled_out_problems_are_left_out(self) -> None:
        element, _ = score_problems(_note("A/P: No evidence of pneumonia. Viral URI."))
        assert [f.label for f in element.findings] == ["upper respiratory infection"]

    def test_possible_problem_under_workup_is_addressed(self) -> None:
        element, _ = score_problems(_note("Impression: Chest pain, possible ACS."))
        assert element.level is HIGH

    def test_a_recovering_threat_is_followed_like_a_chronic_illness(self) -> None:
        element, _ = score_problems(_note("A/P: NSTEMI 3 weeks ago, recovering well."))
        assert (element.level, element.findings[0].category) == (LOW, "stable_chronic")

    def test_a_screening_is_not_the_condition(self) -> None:
        element, _ = score_problems(_note("A/P: Colon cancer screening up to date."))
        assert element.findings == ()

    def test_unlisted_problems_of_an_assessment_count_as_minor(self) -> None:
        note = _note(
            "A/P:\n1. Trigger finger, right ring finger - splint at night.\n"
            "2. Ganglion cyst, left wrist - observe.\n3. Follow up in 6 weeks.\n"
            "4. Former smoker - no screening indicated.\n5. CBC today."
        )
        element, warnings = score_problems(note)
        assert [(f.category, f.label) for f in element.findings] == [
            ("unlisted_problem", "trigger finger"),
            ("unlisted_problem", "ganglion cyst"),
        ]
        assert (element.level, element.summary) == (LOW, "2 x self-limited or minor problem")
        assert warnings == (
            "2 problem(s) of the assessment not in the E/M lexicon, counted as minor: "
            "'trigger finger', 'ganglion cyst'",
        )

    def test_plan_items_are_not_unlisted_problems(self) -> None:
        note = _note(
            "Assessment: Hypothyroidism, stable.\nPlan:\n1. Levothyroxine 50 mcg.\n2. TSH."
        )
        element, warnings = score_problems(note)
        assert [f.label for f in element.findings] == ["hypothyroidism"]
        assert warnings == ()

    def test_severe_exacerbation_is_high(self) -> None:
        element, _ = score_problems(_note("A/P: Asthma with severe exacerbation."))
        assert element.level is HIGH

    def test_evidence_is_the_sentence_of_the_problem(self) -> None:
        text = "A/P:\n1. Hypertension, stable. Continue lisinopril.\n2. Acute bronchitis."
        element, _ = score_problems(_note(text))
        assert [(e.text, e.section) for e in element.evidence] == [
            ("Hypertension, stable.", "assessment_and_plan"),
            ("Acute bronchitis.", "assessment_and_plan"),
        ]
        first = element.evidence[0]
        assert text[first.start : first.end] == "Hypertension, stable."

    def test_note_without_assessment_is_read_whole_with_a_warning(self) -> None:
        element, warnings = score_problems(_note("Patient with acute sinusitis. Amoxicillin."))
        assert element.level is LOW
        assert warnings and "no assessment/plan section" in warnings[0]


class TestScoreData:
    def test_nothing_is_minimal(self) -> None:
        assert score_data(_note("A/P: Viral URI. Fluids and rest.")).level is SF

    def test_one_test_is_minimal(self) -> None:
        assert score_data(_note("Plan: Check TSH.")).level is SF

    def test_two_unique_tests_are_low(self) -> None:
        element = score_data(_note("Plan: CBC and CMP today."))
        assert (element.level, [f.label for f in element.findings]) == (LOW, ["cbc", "cmp"])

    def test_a_test_ordered_and_reviewed_counts_once(self) -> None:
        note = _note("Results: A1c 8.2 reviewed.\nPlan: Repeat A1c in 3 months.")
        element = score_data(note)
        assert [f.label for f in element.findings] == ["hemoglobin a1c"]
        assert element.level is SF

    def test_independent_historian_alone_is_low(self) -> None:
        element = score_data(_note("HPI: History obtained from his mother. Fever for 2 days."))
        assert element.level is LOW
        assert element.findings[0].category == "independent_historian"

    def test_history_from_the_patient_is_not_an_independent_historian(self) -> None:
        assert score_data(_note("HPI: History obtained from the patient.")).level is SF

    def test_three_items_with_historian_are_moderate(self) -> None:
        note = _note("HPI: History obtained from her daughter.\nPlan: CBC and BMP.")
        assert score_data(note).level is MOD

    def test_independent_interpretation_is_moderate(self) -> None:
        element = score_data(_note("Results: ECG, my interpretation: sinus rhythm."))
        assert element.level is MOD
        categories = [f.category for f in element.findings]
        assert "independent_interpretation" in categories

    def test_discussion_with_external_physician_is_moderate(self) -> None:
        element = score_data(_note("Plan: Discussed management with Dr. Rivera of nephrology."))
        assert element.level is MOD
        assert element.findings[0].category == "external_discussion"

    @pytest.mark.parametrize(
        "sentence",
        [
            "General surgery consulted, Dr. Kim agrees with surgery.",
            "I reviewed the images with the radiologist.",
        ],
    )
    def test_consultation_and_review_with_radiologist_are_discussions(self, sentence: str) -> None:
        element = score_data(_note(f"Plan: {sentence}"))
        assert [f.category for f in element.findings] == ["external_discussion"]

    def test_discussion_with_the_patient_or_family_does_not_count(self) -> None:
        note = _note("Plan: Discussed the plan with the patient and her husband.")
        assert score_data(note).level is SF

    def test_two_categories_are_high(self) -> None:
        note = _note(
            "Results: I personally reviewed the CT images.\n"
            "Plan: Case discussed with the on-call surgeon."
        )
        assert score_data(note).level is HIGH

    def test_external_notes_from_each_source_count(self) -> None:
        note = _note(
            "HPI: Records from Dr. Smith reviewed. Outside hospital records reviewed.\nPlan: CBC."
        )
        element = score_data(note)
        assert [f.category for f in element.findings].count("external_notes") == 2
        assert element.level is MOD

    def test_a_negative_result_is_still_a_test(self) -> None:
        assert score_data(_note("Results: Rapid strep negative. UA negative.")).level is LOW

    def test_no_labs_is_not_a_test(self) -> None:
        assert score_data(_note("Plan: No labs or imaging needed today.")).findings == ()

    def test_tests_listed_in_history_do_not_count(self) -> None:
        note = _note("PMH: Colonoscopy 2019. Echo 2020 normal.\nA/P: Viral URI.")
        assert score_data(note).findings == ()


class TestScoreRisk:
    @pytest.mark.parametrize(
        ("plan", "level", "category"),
        [
            ("Plan: Rest, fluids and salt water gargles.", SF, "minimal_treatment"),
            ("Plan: Ibuprofen 400 mg every 6 hours as needed.", LOW, "otc_drugs"),
            ("Plan: Over-the-counter antihistamine as needed.", LOW, "otc_drugs"),
            ("Plan: Start lisinopril 10 mg daily.", MOD, "prescription_drug_management"),
            ("Plan: Continue metformin.", MOD, "prescription_drug_management"),
            ("Plan: Prescription sent for a topical cream.", MOD, "prescription_drug_management"),
            ("Plan: Shave biopsy of the lesion today.", LOW, "minor_surgery"),
            (
                "Plan: Punch biopsy; patient is anticoagulated, bleeding risk discussed.",
                MOD,
                "minor_surgery_with_risk",
            ),
            (
                "Plan: Referred for elective total knee arthroplasty.",
                MOD,
                "elective_major_surgery",
            ),
            (
                "Plan: Scheduled for laparoscopic cholecystectomy; high cardiac risk factors.",
                HIGH,
                "elective_major_surgery_with_risk",
            ),
            (
                "Plan: General surgery to take to the OR emergently.",
                HIGH,
                "emergency_major_surgery",
            ),
            (
                "Plan: Unable to afford insulin; switched to a lower cost regimen.",
                MOD,
                "social_determinants",
            ),
            (
                "Plan: Continue lithium 300 mg twice daily; lithium level in 1 week.",
                HIGH,
                "intensive_monitoring",
            ),
            ("Plan: Admit to telemetry.", HIGH, "hospitalization"),
            ("Plan: Transition to comfort care per family wishes.", HIGH, "dnr_or_deescalation"),
            ("ED course: Morphine 4 mg IV given.", HIGH, "parenteral_controlled_substance"),
            ("Plan: Physical therapy referral.", LOW, "therapy_or_fluids"),
        ],
    )
    def test_category_and_level(self, plan: str, level: MdmLevel, category: str) -> None:
        element = score_risk(_note(plan))
        assert element.level is level
        assert category in [f.category for f in element.findings]

    def test_a_drug_in_the_medication_list_is_not_management(self) -> None:
        note = _note("Medications: Lisinopril 10 mg daily.\nA/P: Viral URI. Fluids.")
        assert score_risk(note).level is SF

    def test_a_drug_named_without_management_is_not_counted(self) -> None:
        assert score_risk(_note("Assessment: Hypertension on lisinopril.")).level is SF

    @pytest.mark.parametrize(
        "plan",
        [
            "A/P: Asthma, was admitted last year.",
            "A/P: Hospital follow-up after admission for CHF.",
            "A/P: Pneumonia, s/p hospitalization last month.",
            "A/P: Code status: DNR.",
        ],
    )
    def test_a_past_stay_or_a_recorded_status_is_not_a_decision(self, plan: str) -> None:
        assert score_risk(_note(plan)).level is SF

    def test_a_dnr_decision_is_high(self) -> None:
        note = _note("A/P: Goals of care discussed with her son; DNR/DNI status agreed.")
        assert score_risk(note).level is HIGH

    def test_no_admission_needed_is_not_a_decision(self) -> None:
        assert score_risk(_note("Plan: No need for admission at this time.")).level is SF

    def test_hypothetical_admission_is_not_a_decision(self) -> None:
        assert score_risk(_note("Plan: If she worsens, will consider admission.")).level is SF

    def test_a_drug_after_an_unrelated_negation_is_managed(self) -> None:
        note = _note("A/P: GERD without bleeding - increase pantoprazole to 40 mg BID.")
        assert score_risk(note).level is MOD

    def test_no_antibiotics_is_not_management(self) -> None:
        assert score_risk(_note("Plan: Viral. No antibiotics.")).level is SF

    def test_routine_warfarin_inr_check_is_not_intensive_monitoring(self) -> None:
        element = score_risk(_note("A/P: AFib, continue warfarin, INR therapeutic."))
        assert element.level is MOD

    def test_stopping_a_drug_is_management(self) -> None:
        element = score_risk(_note("Plan: Stop simvastatin because of myalgias."))
        assert (element.level, element.findings[0].label) == (MOD, "simvastatin")

    def test_one_decision_per_sentence(self) -> None:
        element = score_risk(_note("Plan: Hospitalization recommended; declines admission."))
        assert [f.category for f in element.findings] == ["hospitalization"]


class TestDecisionHeadings:
    def test_an_mdm_paragraph_is_read_as_assessment_and_plan(self) -> None:
        note = _note(
            "HPI: Abdominal pain.\nLabs: WBC 15.8. Lipase normal.\n"
            "MDM: Acute appendicitis. Morphine 4 mg IV given. Admit to surgery."
        )
        mdm, warnings = score_mdm(note)
        assert [f.label for f in mdm.problems.findings] == ["appendicitis"]
        assert mdm.problems.findings[0].evidence.section == "assessment_and_plan"
        assert [f.category for f in mdm.risk.findings] == [
            "parenteral_controlled_substance",
            "hospitalization",
        ]
        assert warnings == ()


class TestTwoOfThree:
    @staticmethod
    def _element(level: MdmLevel) -> MdmElement:
        return MdmElement(level, level.value)

    @pytest.mark.parametrize(
        ("levels", "mdm"),
        [
            ((HIGH, HIGH, SF), HIGH),
            ((HIGH, MOD, SF), MOD),
            ((LOW, SF, MOD), LOW),
            ((SF, SF, HIGH), SF),
            ((MOD, MOD, MOD), MOD),
            ((HIGH, LOW, MOD), MOD),
        ],
    )
    def test_the_middle_level_decides(
        self, levels: tuple[MdmLevel, MdmLevel, MdmLevel], mdm: MdmLevel
    ) -> None:
        problems, data, risk = (self._element(level) for level in levels)
        assert combine_mdm(problems, data, risk).level is mdm

    def test_description_lists_the_deciding_elements_first(self) -> None:
        breakdown = combine_mdm(self._element(MOD), self._element(LOW), self._element(MOD))
        assert (
            describe_mdm(breakdown) == "MDM moderate (problems moderate, risk moderate; data low)"
        )

    def test_score_mdm_on_a_short_note(self) -> None:
        mdm, warnings = score_mdm(_note("A/P: Hypertension, stable. Continue lisinopril 10 mg."))
        assert (mdm.problems.level, mdm.data.level, mdm.risk.level, mdm.level) == (
            LOW,
            SF,
            MOD,
            LOW,
        )
        assert warnings == ()
