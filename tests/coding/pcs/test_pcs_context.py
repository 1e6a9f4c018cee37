"""Was a procedure done, planned, not done, or done before this stay?"""

from __future__ import annotations

import datetime as dt

import pytest

from medcoder.coding.pcs.context import ProcedureStatus, procedure_status
from medcoder.notes import assert_spans, parse_note, read_document


def _status(text: str, word: str, day: dt.date | None = None) -> ProcedureStatus:
    note = parse_note(read_document(text, setting="inpatient"))
    start = text.index(word)
    sentence = note.sentence_at(start)
    assert sentence is not None
    (context,) = assert_spans(note, [(start, start + len(word))])
    return procedure_status(
        text, (sentence.start, sentence.end), (start, start + len(word)), context, day
    )


@pytest.mark.parametrize(
    ("text", "word", "status"),
    [
        ("A colonoscopy was performed and was negative.", "colonoscopy", ProcedureStatus.DONE),
        ("The chest X-ray ruled out pneumonia.", "X-ray", ProcedureStatus.DONE),
        ("No biopsy was taken.", "biopsy", ProcedureStatus.NOT_DONE),
        ("The orchiectomy was not performed.", "orchiectomy", ProcedureStatus.NOT_DONE),
        ("He is scheduled for a cholecystectomy.", "cholecystectomy", ProcedureStatus.PLANNED),
        ("Screening mammogram ordered.", "mammogram", ProcedureStatus.PLANNED),
        ("A CT due to trauma was done.", "CT", ProcedureStatus.DONE),
        ("History of appendectomy.", "appendectomy", ProcedureStatus.PAST),
        ("He is s/p CABG.", "CABG", ProcedureStatus.PAST),
        ("PAST SURGICAL HISTORY: Cholecystectomy.", "Cholecystectomy", ProcedureStatus.PAST),
    ],
)
def test_status(text: str, word: str, status: ProcedureStatus) -> None:
    assert _status(text, word) is status


def test_a_year_before_the_date_of_service_is_past() -> None:
    text = "EGD 2024 showed esophagitis."
    assert _status(text, "EGD", dt.date(2026, 6, 1)) is ProcedureStatus.PAST
    assert _status(text, "EGD", dt.date(2024, 6, 1)) is ProcedureStatus.DONE
    assert _status(text, "EGD") is ProcedureStatus.DONE  # no date of service: no comparison
