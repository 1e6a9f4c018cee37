"""ProcedureCoder: E/M + services (modifier 25, pointers, Z23) and the encounter export."""

from __future__ import annotations

import datetime as dt

import pytest

from medcoder.codesets import KnowledgeBase
from medcoder.coding.procedures import (
    ProcedureCoder,
    ProcedureResult,
    diagnoses_from_service_words,
    professional_only,
    settle_em_line,
)
from medcoder.coding.result import CodeSuggestion, CodingResult, Evidence
from medcoder.coding.services import CodedService, LineSystem, ServiceKind
from medcoder.edits.encounter import Patient, Sex
from medcoder.edits.export import encounter_from_coding
from medcoder.notes import parse_note, read_document

OFFICE = (
    "CC: Right ear fullness.\n"
    "HPI: Established patient. Hearing decreased in the right ear for a week. Hypertension "
    "followed here, on lisinopril.\n"
    "Assessment and plan:\n"
    "1. Impacted cerumen, right ear. Cerumen removed from the right ear with a curette.\n"
    "2. Essential hypertension, stable. Continue lisinopril 10 mg daily.\n"
    "3. Tdap given IM left deltoid today.\n"
)


def _diagnoses(
    text: str, pairs: list[tuple[str, str]], setting: str = "outpatient"
) -> CodingResult:
    """The assigned diagnoses, given (code, words of the note), so that these tests check
    procedure coding whatever diagnosis coding assigns."""
    found = []
    for code, words in pairs:
        start = text.index(words)
        found.append(
            CodeSuggestion(code, words, 0.9, "given", (Evidence(start, start + len(words), words),))
        )
    return CodingResult("t", setting, dt.date(2026, 5, 14), tuple(found))


def _code(
    kb: KnowledgeBase, text: str, pairs: list[tuple[str, str]], **envelope: str
) -> tuple[CodingResult, ProcedureResult]:
    document = read_document(text, date_of_service="2026-05-14", **envelope)  # type: ignore[arg-type]
    diagnoses = _diagnoses(text, pairs, envelope.get("setting", "outpatient"))
    return diagnoses, ProcedureCoder(kb).code(parse_note(document), diagnoses)


@pytest.fixture(scope="module")
def office(kb: KnowledgeBase) -> tuple[CodingResult, ProcedureResult]:
    return _code(
        kb,
        OFFICE,
        [("H61.21", "Impacted cerumen, right ear"), ("I10", "Essential hypertension")],
    )


class TestOfficeVisit:
    def test_em_first_with_modifier_25_then_the_services(
        self, office: tuple[CodingResult, ProcedureResult]
    ) -> None:
        _, result = office
        assert result.em is not None
        codes = [line.code for line in result.lines]
        assert codes[0] == result.em.code and result.lines[0].kind is ServiceKind.EM
        assert result.lines[0].modifiers == ("25",)
        assert codes[1:] == ["69210", "90715", "90471"]
        assert any(w.startswith(f"{result.em.code}-25: billed with 69210") for w in result.warnings)

    def test_pointers_and_the_added_z23(self, office: tuple[CodingResult, ProcedureResult]) -> None:
        diagnoses, result = office
        codes = [d.code for d in diagnoses.assigned] + [d.code for d in result.added_diagnoses]
        assert codes[:2] == ["H61.21", "I10"] and codes[-1] == "Z23"
        lines = {line.code: line for line in result.lines}
        assert [codes[p - 1] for p in lines["69210"].diagnosis_pointers] == ["H61.21"]
        assert [codes[p - 1] for p in lines["90715"].diagnosis_pointers] == ["Z23"]
        em_pointed = [codes[p - 1] for p in result.lines[0].diagnosis_pointers]
        assert "Z23" not in em_pointed and em_pointed[:2] == ["H61.21", "I10"]

    def test_the_encounter_gets_the_lines_and_the_added_diagnosis(
        self, office: tuple[CodingResult, ProcedureResult]
    ) -> None:
        diagnoses, result = office
        encounter = encounter_from_coding(
            diagnoses, patient=Patient(age=50, sex=Sex.FEMALE), procedure_result=result
        )
        assert [d.code for d in encounter.diagnoses][-1] == "Z23"
        assert [line.code for line in encounter.lines] == [line.code for line in result.lines]
        assert encounter.lines[1].modifiers == ["RT"]
        assert encounter.lines[1].diagnosis_pointers == [1]


class TestInpatient:
    def test_pcs_codes_and_no_office_services(self, kb: KnowledgeBase) -> None:
        diagnoses, result = _code(
            kb,
            "Hospital course: Acute appendicitis. Laparoscopic appendectomy was performed. "
            "ECG showed sinus rhythm.\nDischarge diagnosis: Acute appendicitis.",
            [("K35.80", "Acute appendicitis")],
            setting="inpatient",
        )
        assert result.pcs is not None
        assert "0DTJ4ZZ" in [s.code for s in result.pcs.assigned]
        assert result.services == ()  # office services are not coded for a hospital stay
        encounter = encounter_from_coding(
            diagnoses, patient=Patient(age=30, sex=Sex.MALE), procedure_result=result
        )
        assert "0DTJ4ZZ" in encounter.procedures and encounter.lines == []


def _line(code: str, kind: ServiceKind) -> CodedService:
    return CodedService(code, LineSystem.CPT, "", kind)


class TestModifier25:
    DAY = dt.date(2024, 8, 1)

    def test_a_pair_ncci_never_allows_drops_the_em_line(self, kb: KnowledgeBase) -> None:
        warnings: list[str] = []
        em = _line("99211", ServiceKind.EM)
        injection = _line("96372", ServiceKind.ADMINISTRATION)
        edit = kb.ncci.ptp("99211", "96372")
        assert edit is not None and edit.modifier_indicator == 0
        assert settle_em_line(kb, em, [injection], self.DAY, warnings) is None
        assert "99211 is never paid with 96372" in warnings[0]

    def test_an_injection_gives_25_a_lab_draw_does_not(self, kb: KnowledgeBase) -> None:
        warnings: list[str] = []
        em = _line("99213", ServiceKind.EM)
        lab = _line("36415", ServiceKind.TEST)
        assert settle_em_line(kb, em, [lab], self.DAY, warnings) == em
        injection = _line("96372", ServiceKind.ADMINISTRATION)
        settled = settle_em_line(kb, em, [lab, injection], self.DAY, warnings)
        assert settled is not None and settled.modifiers == ("25",)


class TestEmergencyDepartment:
    def test_the_physician_bills_readings_and_procedures_not_facility_items(
        self, kb: KnowledgeBase
    ) -> None:
        warnings: list[str] = []
        lines = [
            _line("93000", ServiceKind.TEST),
            _line("94010", ServiceKind.TEST),
            _line("36415", ServiceKind.TEST),
            _line("J1885", ServiceKind.DRUG),
            _line("96372", ServiceKind.ADMINISTRATION),
            _line("12002", ServiceKind.PROCEDURE),
        ]
        kept = professional_only(kb, lines, warnings)
        assert [(line.code, line.modifiers) for line in kept] == [
            ("93010", ()),
            ("94010", ("26",)),
            ("12002", ()),
        ]
        assert kept[0].description == "ECG, 12 leads, reading and report only"
        assert warnings == [
            "emergency department: 36415, J1885, 96372 are billed by the hospital (facility "
            "claim), not on the physician's claim"
        ]


class TestServiceOnlyVisits:
    def test_a_vaccination_alone_bills_no_em(self, kb: KnowledgeBase) -> None:
        # The diagnoses are given, so the test does not depend on diagnosis coding.
        text = "Procedure: Tdap given IM today.\nAssessment: Encounter for immunization."
        start = text.index("Encounter for immunization")
        evidence = Evidence(start, start + 26, "Encounter for immunization")
        z23 = CodeSuggestion("Z23", "Encounter for immunization", 0.9, "index", (evidence,))
        diagnoses = CodingResult("t", "outpatient", dt.date(2026, 5, 14), (z23,))
        document = read_document(text, date_of_service="2026-05-14")
        result = ProcedureCoder(kb).code(parse_note(document), diagnoses)
        assert [line.code for line in result.lines] == ["90715", "90471"]
        assert [line.diagnosis_pointers for line in result.lines] == [(1,), (1,)]
        assert result.added_diagnoses == ()
        assert any("no problem is addressed besides the services" in w for w in result.warnings)

    def test_a_diagnosis_taken_from_a_vaccine_name_is_flagged(self) -> None:
        flu = Evidence(11, 14, "Flu")
        other = Evidence(40, 52, "hypertension")
        shot = CodedService(
            "90656",
            LineSystem.CPT,
            "",
            ServiceKind.VACCINE,
            evidence=(Evidence(11, 19, "Flu shot"),),
        )
        diagnoses = [
            CodeSuggestion("J11.1", "Influenza", 0.6, "index", (flu,)),
            CodeSuggestion("I10", "Hypertension", 0.9, "index", (other,)),
        ]
        assert diagnoses_from_service_words(diagnoses, [shot]) == [
            "J11.1 rests on the words of a service (90656: 'Flu'): check that the patient has "
            "the condition"
        ]
