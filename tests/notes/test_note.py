"""The note model: sections of a SOAP note and a discharge summary, sentences, list items."""

from __future__ import annotations

import pytest

from medcoder.notes import Document, Note, SectionKind, parse_note

SOAP = """\
S: 58 y/o M presents with productive cough x 5 days. Seen by Dr. Patel last week.
O: T 38.4, HR 96. Lungs: crackles RLL.
A: Community-acquired pneumonia, RLL.
P: Amoxicillin 1 g t.i.d. x 7 days. Return if worse.
"""

DISCHARGE = """\
DISCHARGE SUMMARY

Admission Date: 10/02/2024
CHIEF COMPLAINT: Shortness of breath.

HISTORY OF PRESENT ILLNESS:
72 yo F with PMH of HFrEF and CKD stage 3 who presents with 3 days of worsening
dyspnea and leg swelling. She denies chest pain.

PAST MEDICAL HISTORY:
1. Heart failure with reduced ejection fraction (EF 30%).
2. Chronic kidney disease, stage 3a.
3. Type 2 diabetes mellitus.

Family History: Mother with breast cancer.

HOSPITAL COURSE:
Diuresed with IV furosemide, e.g. 40 mg b.i.d., with weight down 3.5 kg.

DISCHARGE DIAGNOSES:
Principal diagnosis: Acute on chronic systolic heart failure.
Secondary diagnoses:
- CKD stage 3a
- Type 2 diabetes mellitus without complications

DISCHARGE INSTRUCTIONS:
Return if shortness of breath worsens.
"""


def _sentences(note: Note) -> list[str]:
    return [note.text_of(s) for s in note.sentences]


class TestSections:
    def test_soap_letters(self) -> None:
        note = parse_note(Document(SOAP))
        assert [s.kind for s in note.sections] == [
            SectionKind.SUBJECTIVE,
            SectionKind.OBJECTIVE,
            SectionKind.ASSESSMENT,
            SectionKind.PLAN,
        ]
        assert [s.title for s in note.sections] == ["S", "O", "A", "P"]
        assert note.section_at(SOAP.index("pneumonia")).kind is SectionKind.ASSESSMENT

    def test_sections_cover_the_text(self) -> None:
        note = parse_note(Document(DISCHARGE))
        assert note.sections[0].start == 0
        assert note.sections[-1].end == len(DISCHARGE)
        for before, after in zip(note.sections, note.sections[1:], strict=False):
            assert before.end == after.start

    def test_discharge_summary(self) -> None:
        note = parse_note(Document(DISCHARGE))
        assert [(s.kind.value, s.title) for s in note.sections] == [
            ("unlabeled", ""),
            ("chief_complaint", "CHIEF COMPLAINT"),
            ("history_of_present_illness", "HISTORY OF PRESENT ILLNESS"),
            ("past_medical_history", "PAST MEDICAL HISTORY"),
            ("family_history", "Family History"),
            ("hospital_course", "HOSPITAL COURSE"),
            ("discharge_diagnoses", "DISCHARGE DIAGNOSES"),
            ("principal_diagnosis", "Principal diagnosis"),
            ("secondary_diagnoses", "Secondary diagnoses"),
            ("discharge_instructions", "DISCHARGE INSTRUCTIONS"),
        ]
        body = note.sections[4]
        assert DISCHARGE[body.body_start : body.end].strip() == "Mother with breast cancer."

    @pytest.mark.parametrize(
        ("line", "kind"),
        [
            ("HPI: cough", SectionKind.HISTORY_OF_PRESENT_ILLNESS),
            ("A/P: bronchitis", SectionKind.ASSESSMENT_AND_PLAN),
            ("Assessment and Plan:", SectionKind.ASSESSMENT_AND_PLAN),
            ("A&P: bronchitis", SectionKind.ASSESSMENT_AND_PLAN),
            ("PMH: HTN", SectionKind.PAST_MEDICAL_HISTORY),
            ("PSH: appendectomy", SectionKind.PAST_SURGICAL_HISTORY),
            ("FH: CAD", SectionKind.FAMILY_HISTORY),
            ("ROS:", SectionKind.REVIEW_OF_SYSTEMS),
            ("PHYSICAL EXAMINATION", SectionKind.PHYSICAL_EXAM),
            ("Labs: Na 134", SectionKind.RESULTS),
            ("Meds: metformin", SectionKind.MEDICATIONS),
            ("Pre-operative Diagnosis: cholelithiasis", SectionKind.PREOPERATIVE_DIAGNOSIS),
            ("POSTOPERATIVE DIAGNOSIS: same", SectionKind.POSTOPERATIVE_DIAGNOSIS),
            ("Procedure Performed: laparoscopic cholecystectomy", SectionKind.PROCEDURE_PERFORMED),
            ("Reason for visit: follow-up", SectionKind.REASON_FOR_VISIT),
            ("Problem List:", SectionKind.PROBLEM_LIST),
            ("Impression: no acute process", SectionKind.IMPRESSION),
        ],
    )
    def test_heading_spellings(self, line: str, kind: SectionKind) -> None:
        note = parse_note(Document(f"Seen today.\n{line}\nStable."))
        assert note.section_at(len("Seen today.\n") + 1).kind is kind

    @pytest.mark.parametrize(
        "line",
        [
            "Allergies to penicillin were noted.",  # a heading word starting prose
            "PE",  # an abbreviation alone: more likely a pulmonary embolism in a list
            "Plans to return to work next week.",
            "a: lower-case SOAP letter",
        ],
    )
    def test_not_headings(self, line: str) -> None:
        note = parse_note(Document(f"Seen today.\n{line}\n"))
        assert [s.kind for s in note.sections] == [SectionKind.UNLABELED]

    def test_note_without_headings(self) -> None:
        text = (
            "A 29-year-old woman with a history of duodenal ulcer.\n"
            "No history of nephrolithiasis.\n"
            "1.\n"
            "Right renal pyeloplasty was performed.\n"
        )
        note = parse_note(Document(text))
        assert len(note.sections) == 1
        assert note.sections[0].kind is SectionKind.UNLABELED
        assert _sentences(note) == [
            "A 29-year-old woman with a history of duodenal ulcer.",
            "No history of nephrolithiasis.",
            "Right renal pyeloplasty was performed.",
        ]


class TestSentences:
    def test_soap_sentences(self) -> None:
        note = parse_note(Document(SOAP))
        assert _sentences(note) == [
            "58 y/o M presents with productive cough x 5 days.",
            "Seen by Dr. Patel last week.",
            "T 38.4, HR 96.",
            "Lungs: crackles RLL.",
            "Community-acquired pneumonia, RLL.",
            "Amoxicillin 1 g t.i.d. x 7 days.",
            "Return if worse.",
        ]

    def test_abbreviations_decimals_and_dosing(self) -> None:
        text = "Diuresed with IV furosemide, e.g. 40 mg b.i.d. Weight down 3.5 kg. Seen by Dr. Lee."
        note = parse_note(Document(text))
        assert _sentences(note) == [
            "Diuresed with IV furosemide, e.g. 40 mg b.i.d. Weight down 3.5 kg.",
            "Seen by Dr. Lee.",
        ]

    def test_wrapped_lines_are_joined(self) -> None:
        note = parse_note(Document(DISCHARGE))
        hpi = note.sentence_at(DISCHARGE.index("72 yo F"))
        assert hpi is not None
        assert note.text_of(hpi).endswith("3 days of worsening\ndyspnea and leg swelling.")

    def test_question_and_exclamation(self) -> None:
        note = parse_note(Document("Fever? No. Chills? Yes!"))
        assert _sentences(note) == ["Fever?", "No.", "Chills?", "Yes!"]

    def test_sentence_at(self) -> None:
        note = parse_note(Document(SOAP))
        sentence = note.sentence_at(SOAP.index("Patel"))
        assert sentence is not None and note.text_of(sentence) == "Seen by Dr. Patel last week."
        assert note.sentence_at(0) is None  # inside the "S:" heading


class TestListItems:
    def test_numbered_and_bulleted_items(self) -> None:
        note = parse_note(Document(DISCHARGE))
        assert [note.text_of(i) for i in note.list_items] == [
            "Heart failure with reduced ejection fraction (EF 30%).",
            "Chronic kidney disease, stage 3a.",
            "Type 2 diabetes mellitus.",
            "CKD stage 3a",
            "Type 2 diabetes mellitus without complications",
        ]
        assert [i.marker for i in note.list_items] == ["1.", "2.", "3.", "-", "-"]
        sentence = note.sentence_at(DISCHARGE.index("CKD stage 3a"))
        assert sentence is not None and sentence.list_item

    def test_item_sentences_and_continuation(self) -> None:
        text = "Assessment:\n1) Pneumonia. Start ceftriaxone.\n2) CHF\n   exacerbation\n• COPD\n"
        note = parse_note(Document(text))
        assert [note.text_of(i) for i in note.list_items] == [
            "Pneumonia. Start ceftriaxone.",
            "CHF\n   exacerbation",
            "COPD",
        ]
        assert _sentences(note) == [
            "Pneumonia.",
            "Start ceftriaxone.",
            "CHF\n   exacerbation",
            "COPD",
        ]

    def test_decimal_at_line_start_is_no_item(self) -> None:
        note = parse_note(Document("1.5 cm nodule in the right upper lobe."))
        assert note.list_items == ()
