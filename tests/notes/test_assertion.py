"""Assertion status (ConText): negation, uncertainty, history, family, hypothetical, sections."""

from __future__ import annotations

import re

import pytest

from medcoder.errors import InputError
from medcoder.notes import (
    Assertion,
    AssertionResult,
    Document,
    SectionKind,
    assert_spans,
    parse_note,
)

NEG, POS, POSS, HIST, FAM, HYPO = (
    Assertion.NEGATED,
    Assertion.PRESENT,
    Assertion.POSSIBLE,
    Assertion.HISTORICAL,
    Assertion.FAMILY,
    Assertion.HYPOTHETICAL,
)


def _assert(text: str, *mentions: str) -> list[AssertionResult]:
    """The results for each mention (its first occurrence in ``text``)."""
    spans = []
    for mention in mentions:
        start = text.index(mention)
        spans.append((start, start + len(mention)))
    return assert_spans(parse_note(Document(text)), spans)


def _statuses(text: str, *mentions: str) -> list[Assertion]:
    return [result.status for result in _assert(text, *mentions)]


# (text, mentions, expected statuses) — each a small US-style note snippet.
CASES = [
    # negation, lists under one cue
    (
        "Denies chest pain or shortness of breath.",
        ("chest pain", "shortness of breath"),
        [NEG, NEG],
    ),
    ("No fever, chills, or night sweats.", ("fever", "chills", "night sweats"), [NEG, NEG, NEG]),
    ("CXR: No evidence of pneumonia.", ("pneumonia",), [NEG]),
    ("Negative for nausea, vomiting, diarrhea.", ("nausea", "diarrhea"), [NEG, NEG]),
    ("Alert, oriented, without focal deficits.", ("focal deficits",), [NEG]),
    ("Myocardial infarction was ruled out.", ("Myocardial infarction",), [NEG]),
    ("Blood cultures negative.", ("Blood cultures",), [NEG]),
    ("Patient is free of seizures since 2019.", ("seizures",), [NEG]),
    ("Abdomen soft, non-distended, not tender.", ("tender",), [NEG]),
    ("No history of nephrolithiasis, hematuria or UTI.", ("nephrolithiasis", "UTI"), [NEG, NEG]),
    # pseudo-cues
    ("No increase in pedal edema.", ("pedal edema",), [POS]),
    ("Gram negative bacteremia on blood cultures.", ("bacteremia",), [POS]),
    ("Not only dyspnea but also orthopnea.", ("dyspnea", "orthopnea"), [POS, POS]),
    ("ER-negative breast cancer, on tamoxifen.", ("breast cancer",), [POS]),
    ("Diabetes, not well controlled.", ("Diabetes",), [POS]),
    # termination
    ("No fever but reports productive cough.", ("fever", "productive cough"), [NEG, POS]),
    ("Denies dysuria; has gross hematuria.", ("dysuria", "gross hematuria"), [NEG, POS]),
    ("Negative for chills, positive for fatigue.", ("chills", "fatigue"), [NEG, POS]),
    ("No complaints other than low back pain.", ("low back pain",), [POS]),
    ("No distress, however has wheezing.", ("wheezing",), [POS]),
    # uncertainty
    ("Probable community-acquired pneumonia.", ("pneumonia",), [POSS]),
    ("Admit to rule out acute coronary syndrome.", ("acute coronary syndrome",), [POSS]),
    ("R/O sepsis.", ("sepsis",), [POSS]),
    ("Questionable small bowel obstruction.", ("small bowel obstruction",), [POSS]),
    ("Pneumonia vs atelectasis on CT.", ("Pneumonia", "atelectasis"), [POSS, POSS]),
    ("Pulmonary embolism cannot be excluded.", ("Pulmonary embolism",), [POSS]),
    ("Findings suspicious for malignancy.", ("malignancy",), [POSS]),
    ("Pain compatible with renal colic.", ("Pain", "renal colic"), [POS, POSS]),
    ("Differential includes viral gastroenteritis.", ("viral gastroenteritis",), [POSS]),
    # history
    ("History of DVT in 2015.", ("DVT",), [HIST]),
    ("H/O breast cancer, s/p lumpectomy.", ("breast cancer", "lumpectomy"), [HIST, HIST]),
    ("Status post appendectomy.", ("appendectomy",), [HIST]),
    ("Prior stroke without residual deficits.", ("stroke",), [HIST]),
    ("Her pneumonia has resolved.", ("pneumonia",), [HIST]),
    ("Former smoker.", ("smoker",), [HIST]),
    ("Ex-smoker, 20 pack-years.", ("smoker",), [HIST]),
    (
        "65 yo M with a history of COPD who presents with chest pain.",
        ("COPD", "chest pain"),
        [HIST, POS],
    ),
    # family
    ("Mother with breast cancer.", ("breast cancer",), [FAM]),
    ("Colon cancer in his father.", ("Colon cancer",), [FAM]),
    ("Family history of sudden cardiac death.", ("sudden cardiac death",), [FAM]),
    ("No family history of colon cancer.", ("colon cancer",), [NEG]),
    ("Lives with her mother. Has asthma.", ("asthma",), [POS]),
    # hypothetical
    ("Return if chest pain or fever.", ("chest pain", "fever"), [HYPO, HYPO]),
    ("Counseled on risk of hypoglycemia.", ("hypoglycemia",), [HYPO]),
    ("Enoxaparin for DVT prophylaxis.", ("DVT",), [HYPO]),
    ("Colonoscopy for colon cancer screening.", ("colon cancer",), [HYPO]),
    ("Should she develop a rash, stop the drug.", ("rash",), [HYPO]),
    # a vaccine names the disease it prevents, not one the patient has
    ("Flu shot given today in the left deltoid.", ("Flu",), [HYPO]),
    ("Tetanus booster given.", ("Tetanus",), [HYPO]),
    ("Vaccinated against hepatitis B as a child.", ("hepatitis B",), [HYPO]),
    # mixed sentences
    (
        "History of MI, now with new-onset atrial fibrillation, no chest pain.",
        ("MI", "atrial fibrillation", "chest pain"),
        [HIST, POS, NEG],
    ),
    (
        "Denies fever. Has cough and possible pneumonia.",
        ("fever", "cough", "pneumonia"),
        [NEG, POS, POSS],
    ),
]


class TestContextCases:
    @pytest.mark.parametrize(("text", "mentions", "expected"), CASES)
    def test_case(self, text: str, mentions: tuple[str, ...], expected: list[Assertion]) -> None:
        assert _statuses(text, *mentions) == expected


class TestResultContent:
    def test_cue_text_and_offsets(self) -> None:
        text = "Pt denies chest pain."
        (result,) = _assert(text, "chest pain")
        assert result.cue is not None
        assert (result.cue.text, result.cue.start, result.cue.end) == ("denies", 3, 9)
        assert result.cue_text == "denies"
        assert result.sentence is not None and result.sentence.start == 0
        assert result.section is SectionKind.UNLABELED

    def test_present_has_no_cue(self) -> None:
        (result,) = _assert("Acute cystitis.", "cystitis")
        assert result.status is POS and result.cue is None and result.cues == ()

    def test_all_reaching_cues_are_reported(self) -> None:
        (result,) = _assert("Denies history of seizures.", "seizures")
        assert result.status is NEG
        assert [c.text for c in result.cues] == ["history of", "Denies"]

    def test_scope_stays_in_its_sentence(self) -> None:
        assert _statuses("No fever. Cough for 3 days.", "Cough") == [POS]


class TestSections:
    def test_family_history_section(self) -> None:
        text = "HPI: Cough.\nFamily History: Diabetes; coronary artery disease.\nPlan: CXR."
        results = _assert(text, "Diabetes", "coronary artery disease", "Cough")
        assert [r.status for r in results] == [FAM, FAM, POS]
        assert results[0].section is SectionKind.FAMILY_HISTORY
        assert results[0].cue is None  # decided by the section

    def test_family_section_negation_wins(self) -> None:
        text = "FH: Negative for colon cancer."
        assert _statuses(text, "colon cancer") == [NEG]

    def test_past_medical_history_section_alone_is_not_historical(self) -> None:
        text = "PMH:\n1. Hypertension\n2. History of kidney stones\nA/P: HTN, continue lisinopril."
        results = _assert(text, "Hypertension", "kidney stones")
        assert [r.status for r in results] == [POS, HIST]
        assert results[0].section is SectionKind.PAST_MEDICAL_HISTORY

    def test_past_surgical_history_section(self) -> None:
        text = "PSH: Cholecystectomy for cholecystitis.\n"
        assert _statuses(text, "cholecystitis") == [HIST]

    def test_lead_in_reaches_the_list(self) -> None:
        text = "ROS:\nDenies:\n- fever\n- weight loss\nAssessment:\n- anemia"
        assert _statuses(text, "fever", "weight loss", "anemia") == [NEG, NEG, POS]

    def test_heading_words_are_no_cues(self) -> None:
        text = "Past Medical History: asthma\nSocial History: tobacco use"
        assert _statuses(text, "asthma", "tobacco use") == [POS, POS]


class TestSpans:
    def test_bad_span(self) -> None:
        note = parse_note(Document("Cough."))
        message = "spans[1] must lie inside the note (0 <= start < end <= 6), got (4, 9)"
        with pytest.raises(InputError, match=re.escape(message)) as info:
            assert_spans(note, [(0, 5), (4, 9)])
        assert info.value.field == "spans[1]"

    def test_order_is_kept(self) -> None:
        text = "No rash. Cough."
        results = assert_spans(parse_note(Document(text)), [(9, 14), (3, 7)])
        assert [(r.start, r.status) for r in results] == [(9, POS), (3, NEG)]
