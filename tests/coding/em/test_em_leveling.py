"""Time, code tables, visit words and level_visit's choices between MDM, time and families."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from medcoder.coding.em import (
    Basis,
    EmFamily,
    MdmLevel,
    VisitContext,
    VisitType,
    level_visit,
)
from medcoder.coding.em.codes import (
    DESCRIPTIONS,
    FAMILIES,
    discharge_code,
    preventive_code,
    prolonged_units,
)
from medcoder.coding.em.visit import (
    is_nurse_visit,
    new_patient_from_note,
    patient_age_from_note,
    visit_type_from_note,
)
from medcoder.coding.em.visit_time import find_total_time
from medcoder.errors import InputError
from medcoder.notes import Note, parse_note, read_document

OFFICE_EST = VisitContext(visit_type=VisitType.OFFICE, new_patient=False)
OFFICE_NEW = VisitContext(visit_type=VisitType.OFFICE, new_patient=True)
# Low MDM: one stable chronic illness, prescription drug management, no data.
LOW_NOTE = "A/P: Hypothyroidism, stable. Continue levothyroxine 50 mcg daily."


def _note(text: str, **kwargs: object) -> Note:
    return parse_note(read_document(text, **kwargs))  # type: ignore[arg-type]


def _timed(minutes: int) -> Note:
    return _note(f"{LOW_NOTE}\nTotal time on the date of the encounter: {minutes} minutes.")


class TestFindTotalTime:
    @pytest.mark.parametrize(
        ("sentence", "minutes"),
        [
            ("I spent 45 minutes with the patient today.", 45),
            ("Total time 32 min.", 32),
            ("Total time spent on the date of the encounter was 40 minutes.", 40),
            ("I spent a total of 25 minutes on this visit.", 25),
            ("Total time: 1.5 hours, including documentation.", 90),
            ("30 minutes were spent in counseling and coordination of care.", 30),
            ("Time spent on discharge day management: more than 30 minutes.", 31),
            ("Total time of greater than 40 minutes.", 41),
            ("30 minutes face-to-face with the patient and family.", 30),
            ("This was a 25 minute visit; 25 minutes of total face to face time.", 25),
        ],
    )
    def test_documented_time(self, sentence: str, minutes: int) -> None:
        found = find_total_time(_note(f"A/P: Cough.\n{sentence}"))
        assert found is not None
        assert found[0] == minutes
        assert found[1].text == sentence

    @pytest.mark.parametrize(
        "sentence",
        [
            "Chest pain lasting 30 minutes.",
            "Walks 30 minutes daily.",
            "Critical care time: 45 minutes, excluding procedures.",
            "No time statement here.",
        ],
    )
    def test_not_total_time(self, sentence: str) -> None:
        assert find_total_time(_note(f"HPI: {sentence}\nA/P: Cough.")) is None

    def test_total_time_wins_over_a_spent_statement(self) -> None:
        note = _note(
            "A/P: Cough.\nI spent 20 minutes counseling. Total time on the date of service: "
            "35 minutes."
        )
        found = find_total_time(note)
        assert found is not None and found[0] == 35


class TestCodeTables:
    @pytest.mark.parametrize(
        ("family", "minutes", "code"),
        [
            (EmFamily.OFFICE_NEW, 14, None),
            (EmFamily.OFFICE_NEW, 15, "99202"),
            (EmFamily.OFFICE_NEW, 44, "99203"),
            (EmFamily.OFFICE_NEW, 45, "99204"),
            (EmFamily.OFFICE_NEW, 60, "99205"),
            (EmFamily.OFFICE_ESTABLISHED, 9, None),
            (EmFamily.OFFICE_ESTABLISHED, 10, "99212"),
            (EmFamily.OFFICE_ESTABLISHED, 20, "99213"),
            (EmFamily.OFFICE_ESTABLISHED, 39, "99214"),
            (EmFamily.OFFICE_ESTABLISHED, 40, "99215"),
            (EmFamily.HOSPITAL_INITIAL, 39, None),
            (EmFamily.HOSPITAL_INITIAL, 40, "99221"),
            (EmFamily.HOSPITAL_INITIAL, 55, "99222"),
            (EmFamily.HOSPITAL_INITIAL, 75, "99223"),
            (EmFamily.HOSPITAL_SUBSEQUENT, 25, "99231"),
            (EmFamily.HOSPITAL_SUBSEQUENT, 35, "99232"),
            (EmFamily.HOSPITAL_SUBSEQUENT, 50, "99233"),
            (EmFamily.EMERGENCY, 120, None),
        ],
    )
    def test_time_thresholds_are_met_or_exceeded(
        self, family: EmFamily, minutes: int, code: str | None
    ) -> None:
        assert FAMILIES[family].code_for_time(minutes) == code

    @pytest.mark.parametrize(
        ("family", "medicare", "minutes", "units"),
        [
            (EmFamily.OFFICE_NEW, False, 74, 0),
            (EmFamily.OFFICE_NEW, False, 75, 1),
            (EmFamily.OFFICE_NEW, False, 90, 2),
            (EmFamily.OFFICE_NEW, True, 88, 0),
            (EmFamily.OFFICE_NEW, True, 89, 1),
            (EmFamily.OFFICE_ESTABLISHED, False, 54, 0),
            (EmFamily.OFFICE_ESTABLISHED, False, 55, 1),
            (EmFamily.OFFICE_ESTABLISHED, True, 68, 0),
            (EmFamily.OFFICE_ESTABLISHED, True, 69, 1),
            (EmFamily.OFFICE_ESTABLISHED, True, 84, 2),
            (EmFamily.HOSPITAL_INITIAL, False, 90, 1),
            (EmFamily.HOSPITAL_INITIAL, True, 105, 1),
            (EmFamily.HOSPITAL_SUBSEQUENT, False, 65, 1),
            (EmFamily.HOSPITAL_SUBSEQUENT, True, 80, 1),
        ],
    )
    def test_prolonged_units(
        self, family: EmFamily, medicare: bool, minutes: int, units: int
    ) -> None:
        codes = FAMILIES[family]
        prolonged = codes.prolonged_medicare if medicare else codes.prolonged_ama
        assert prolonged is not None
        assert prolonged_units(prolonged, minutes) == units

    @pytest.mark.parametrize(
        ("age", "new", "code"),
        [
            (0, True, "99381"),
            (4, False, "99392"),
            (5, True, "99383"),
            (17, False, "99394"),
            (18, True, "99385"),
            (39, False, "99395"),
            (40, True, "99386"),
            (64, False, "99396"),
            (65, True, "99387"),
            (90, False, "99397"),
        ],
    )
    def test_preventive_age_bands(self, age: int, new: bool, code: str) -> None:
        assert preventive_code(age, new_patient=new) == code

    def test_discharge_codes(self) -> None:
        assert [discharge_code(m) for m in (None, 20, 30, 31)] == [
            "99238",
            "99238",
            "99238",
            "99239",
        ]

    def test_every_code_has_medcoder_wording(self) -> None:
        for family in FAMILIES.values():
            for code in family.by_level.values():
                assert DESCRIPTIONS[code]
        assert len(DESCRIPTIONS) == len(set(DESCRIPTIONS.values()))


class TestVisitWords:
    @pytest.mark.parametrize(
        ("text", "new"),
        [
            ("HPI: New patient here to establish care.", True),
            ("HPI: 40-year-old presents to establish care.", True),
            ("HPI: Returns for follow-up of asthma.", False),
            ("HPI: Established patient seen for cough.", False),
            ("HPI: Last seen in March for knee pain.", False),
            ("CC: Follow-up of hypothyroidism.", False),
            ("HPI: Cough for 3 days.\nPlan: Follow-up in 2 weeks.", None),
            ("HPI: Here to establish care; returns for results.", None),
        ],
    )
    def test_new_or_established(self, text: str, new: bool | None) -> None:
        assert new_patient_from_note(_note(text)) is new

    @pytest.mark.parametrize(
        ("text", "age"),
        [
            ("HPI: 45-year-old man with cough.", 45),
            ("HPI: 72 yo woman.", 72),
            ("HPI: Woman aged 52 with cough.", 52),
            ("HPI: 9-month-old girl for a well visit.", 0),
            ("HPI: 18-month-old boy.", 1),
            ("HPI: Adult man.", None),
        ],
    )
    def test_age(self, text: str, age: int | None) -> None:
        assert patient_age_from_note(_note(text)) == age

    @pytest.mark.parametrize(
        ("text", "setting", "visit_type"),
        [
            ("CC: Annual physical.", "outpatient", VisitType.PREVENTIVE),
            ("HPI: Presents to the ED with chest pain.", "outpatient", VisitType.EMERGENCY),
            ("HPI: Cough.", "outpatient", VisitType.OFFICE),
            ("EMERGENCY DEPARTMENT NOTE\nCC: Fall.", "outpatient", VisitType.EMERGENCY),
            ("HPI: Falls. Records of her ED visit reviewed.", "outpatient", VisitType.OFFICE),
            ("DISCHARGE SUMMARY\nHospital course: Improved.", "inpatient", VisitType.DISCHARGE),
            ("H&P\nPlan: Admit to medicine.", "inpatient", VisitType.INPATIENT_INITIAL),
            ("A/P: Pneumonia, improving.", "inpatient", VisitType.INPATIENT_SUBSEQUENT),
        ],
    )  # fmt: skip
    def test_visit_type(self, text: str, setting: str, visit_type: VisitType) -> None:
        assert visit_type_from_note(_note(text, setting=setting)) is visit_type

    def test_nurse_visit(self) -> None:
        assert is_nurse_visit(_note("RN visit for B12 injection."))
        assert not is_nurse_visit(_note("Seen with the nurse practitioner student."))
        # A nurse visit mentioned in the results is not this visit.
        note = _note("CC: Dysuria.\nExam: Mild tenderness.\nUA: culture from a nurse visit 5/16.")
        assert not is_nurse_visit(note)


class TestLevelVisit:
    def test_time_below_the_lowest_threshold_is_ignored(self) -> None:
        result = level_visit(_timed(8), OFFICE_EST)
        assert (result.code, result.basis, result.time_minutes) == ("99213", Basis.MDM, 8)

    def test_time_supports_a_higher_level(self) -> None:
        result = level_visit(_timed(31), OFFICE_EST)
        assert (result.code, result.basis) == ("99214", Basis.TIME)
        assert result.rationale == (
            "MDM low (problems low, risk moderate; data straightforward) vs time 31 min "
            "-> 99214 by time"
        )
        assert result.time_evidence is not None
        assert result.time_evidence.text.startswith("Total time on the date")

    def test_prolonged_service_ama(self) -> None:
        result = level_visit(_timed(70), OFFICE_EST)
        assert [(line.code, line.units) for line in result.lines] == [
            ("99215", 1),
            ("99417", 2),
        ]

    def test_prolonged_service_medicare(self) -> None:
        context = VisitContext(visit_type=VisitType.OFFICE, new_patient=False, medicare=True)
        assert [line.code for line in level_visit(_timed(68), context).lines] == ["99215"]
        result = level_visit(_timed(70), context)
        assert [(line.code, line.units) for line in result.lines] == [("99215", 1), ("G2212", 1)]

    def test_time_from_the_context_wins(self) -> None:
        context = VisitContext(visit_type=VisitType.OFFICE, new_patient=True, total_minutes=50)
        result = level_visit(_note(LOW_NOTE), context)
        assert (result.code, result.time_minutes, result.time_evidence) == ("99204", 50, None)

    def test_unknown_status_is_established_with_a_warning(self) -> None:
        result = level_visit(_note(LOW_NOTE), VisitContext(visit_type=VisitType.OFFICE))
        assert result.code == "99213"
        assert result.new_patient is False
        assert any("established" in w for w in result.warnings)

    def test_context_read_from_the_envelope(self) -> None:
        envelope = json.dumps({"text": LOW_NOTE, "visit": {"type": "office", "new_patient": True}})
        result = level_visit(parse_note(read_document(envelope)))
        assert (result.code, result.new_patient, result.warnings) == ("99203", True, ())

    def test_nurse_visit_of_a_new_patient_is_leveled_by_mdm(self) -> None:
        note = _note(f"Nurse visit.\n{LOW_NOTE}")
        result = level_visit(note, OFFICE_NEW)
        assert result.code == "99203"
        assert any("99211" in w for w in result.warnings)

    def test_inpatient_subsequent_by_time(self) -> None:
        context = VisitContext(visit_type=VisitType.INPATIENT_SUBSEQUENT, total_minutes=52)
        result = level_visit(_note(LOW_NOTE), context)
        assert (result.code, result.basis, result.new_patient) == ("99233", Basis.TIME, None)

    def test_inpatient_initial_prolonged(self) -> None:
        context = VisitContext(visit_type=VisitType.OBSERVATION, total_minutes=92)
        result = level_visit(_note(LOW_NOTE), context)
        assert result.family is EmFamily.HOSPITAL_INITIAL
        assert [(line.code, line.units) for line in result.lines] == [("99223", 1), ("99418", 1)]

    def test_emergency_ignores_time(self) -> None:
        context = VisitContext(visit_type=VisitType.EMERGENCY, total_minutes=90)
        result = level_visit(_note(LOW_NOTE), context)
        assert (result.code, result.basis) == ("99283", Basis.MDM)
        assert any("MDM only" in w for w in result.warnings)

    def test_discharge_without_time_is_99238_with_a_warning(self) -> None:
        context = VisitContext(visit_type=VisitType.DISCHARGE)
        result = level_visit(_note("Hospital course: Uneventful."), context)
        assert result.code == "99238"
        assert any("discharge time not documented" in w for w in result.warnings)

    def test_preventive_without_age_fails_clearly(self) -> None:
        context = VisitContext(visit_type=VisitType.PREVENTIVE, new_patient=False)
        with pytest.raises(InputError, match="needs the patient's age") as error:
            level_visit(_note("CC: Annual physical."), context)
        assert error.value.field == "patient.age"

    def test_preventive_with_minor_problem_only_needs_no_modifier(self) -> None:
        context = VisitContext(visit_type=VisitType.PREVENTIVE, new_patient=False, patient_age=8)
        result = level_visit(_note("A/P: Well child. Insect bite, healing."), context)
        assert (result.code, result.needs_modifier_25) == ("99393", False)
        assert result.preventive_diagnosis == "Z00.121"

    def test_annual_wellness_visit_alone_bills_no_em(self) -> None:
        note = _note(
            "CC: Annual wellness visit.\nA/P: Health risk assessment reviewed. Personalized "
            "prevention plan given.\nTotal time 45 minutes."
        )
        result = level_visit(note, OFFICE_EST)
        assert (result.billable, result.lines, result.needs_modifier_25) == (False, (), False)
        assert "no E/M billed" in result.rationale

    def test_annual_wellness_visit_with_a_problem_bills_it_with_25(self) -> None:
        note = _note(
            "CC: AWV; also blood pressure high.\nA/P:\n1. Hypertension, uncontrolled. "
            "Increase amlodipine to 10 mg daily."
        )
        result = level_visit(note, OFFICE_EST)
        assert [(line.code, line.modifiers) for line in result.lines] == [("99214", ("25",))]
        assert result.basis is Basis.MDM

    def test_a_test_reported_separately_is_not_data(self) -> None:
        text = (
            "Results: ECG, my interpretation: sinus rhythm. X-ray of the left ankle reviewed.\n"
            f"{LOW_NOTE} Check TSH."
        )
        with_data = level_visit(_note(text), OFFICE_EST)
        assert with_data.mdm.data.level is MdmLevel.HIGH  # 3 tests + interpretation
        context = VisitContext(
            visit_type=VisitType.OFFICE,
            new_patient=False,
            separately_reported=frozenset({"93000", "73610"}),
        )
        result = level_visit(_note(text), context)
        assert [f.label for f in result.mdm.data.findings] == ["tsh"]
        assert result.mdm.data.level is MdmLevel.STRAIGHTFORWARD
        assert "ecg reported separately (93000): not counted as E/M data" in result.warnings

    def test_visit_type_inferred_with_a_warning(self) -> None:
        result = level_visit(_note("HPI: Returns for follow-up.\n" + LOW_NOTE))
        assert result.visit_type is VisitType.OFFICE
        assert result.warnings[0] == "visit type not given: taken as office from the note"

    def test_old_date_of_service_warns(self) -> None:
        context = VisitContext(
            visit_type=VisitType.OFFICE, new_patient=False, date_of_service=dt.date(2020, 6, 1)
        )
        result = level_visit(_note(LOW_NOTE), context)
        assert any("before the 2021 E/M rules" in w for w in result.warnings)

    def test_result_to_dict_is_json(self) -> None:
        result = level_visit(_timed(70), OFFICE_EST)
        data = json.loads(json.dumps(result.to_dict()))
        assert data["code"] == "99215"
        assert data["mdm"]["level"] == MdmLevel.LOW.value
        assert data["mdm"]["risk"]["findings"][0]["evidence"]["text"] == (
            "Continue levothyroxine 50 mcg daily."
        )
        assert data["lines"][1] == {
            "code": "99417",
            "description": DESCRIPTIONS["99417"],
            "modifiers": [],
            "units": 2,
        }
