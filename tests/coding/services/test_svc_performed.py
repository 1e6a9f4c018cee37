"""Was a service done today? Planned, ordered, declined and past services are not billed."""

from __future__ import annotations

import pytest

from medcoder.coding.services import Performed, performed
from medcoder.notes import parse_note, read_document


def _status(text: str, word: str) -> Performed:
    note = parse_note(read_document(text))
    start = text.lower().index(word.lower())
    return performed(note, start, start + len(word)).status


@pytest.mark.parametrize(
    ("text", "word", "status"),
    [
        ("Procedure: ECG performed today.", "ECG", Performed.DONE),
        ("Results: Rapid strep negative.", "Rapid strep", Performed.DONE),
        ("ECG ordered.", "ECG", Performed.PLANNED),
        ("Will give flu vaccine next visit.", "flu vaccine", Performed.PLANNED),
        ("Toradol will be given.", "Toradol", Performed.PLANNED),
        ("ECG to be done next week.", "ECG", Performed.PLANNED),
        ("Referred to dermatology for skin biopsy.", "skin biopsy", Performed.PLANNED),
        ("Patient declined the flu vaccine.", "flu vaccine", Performed.NOT_DONE),
        ("Last Tdap 2019.", "Tdap", Performed.PAST),
        ("ECG at the ER showed sinus tachycardia.", "ECG", Performed.PAST),
        ("ECG ordered and performed in clinic.", "ECG", Performed.DONE),
        ("Patient declined the flu vaccine but Tdap was given.", "Tdap", Performed.DONE),
        ("Plan: Toradol 60 mg IM.", "Toradol", Performed.UNCLEAR),
        ("Plan: Toradol 60 mg IM given.", "Toradol", Performed.DONE),
        ("Plan: Rapid strep today.", "Rapid strep", Performed.DONE),
        ("Plan: Labs drawn at the lab next week.", "Labs drawn", Performed.PLANNED),
        ("Plan: Flu vaccine offered and given.", "Flu vaccine", Performed.DONE),
    ],
)
def test_performed(text: str, word: str, status: Performed) -> None:
    assert _status(text, word) is status
