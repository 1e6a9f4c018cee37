"""Properties that hold for any note: no crash, evidence inside the note, a code of the family."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from medcoder.coding.em import EmFamily, VisitContext, VisitType, level_visit
from medcoder.coding.em.codes import DESCRIPTIONS
from medcoder.notes import parse_note, read_document

_WORDS = [
    "A/P:", "Plan:", "HPI:", "PMH:", "1.", "-", "hypertension", "uncontrolled", "stable",
    "no", "admit", "start", "metformin", "500 mg", "CBC", "reviewed", "I spent", "45",
    "minutes", "total time", "ibuprofen", "sepsis", "history", "of", "new patient", "returns",
    "with", "fever", "Dr. Lee", "discussed", "\n", ".", ",", ";", "denies", "if",
]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(
    words=st.lists(st.sampled_from(_WORDS), min_size=1, max_size=60),
    visit_type=st.sampled_from(list(VisitType)),
    new_patient=st.sampled_from([True, False, None]),
    minutes=st.sampled_from([None, 5, 30, 75, 200]),
)
def test_any_note_gets_a_valid_level(
    words: list[str], visit_type: VisitType, new_patient: bool | None, minutes: int | None
) -> None:
    text = "x " + " ".join(words)
    note = parse_note(read_document(text))
    context = VisitContext(
        visit_type=visit_type, new_patient=new_patient, patient_age=40, total_minutes=minutes
    )
    result = level_visit(note, context)
    assert result.code in DESCRIPTIONS
    assert all(line.code in DESCRIPTIONS and line.units >= 1 for line in result.lines)
    for element in (result.mdm.problems, result.mdm.data, result.mdm.risk):
        for evidence in element.evidence:
            assert text[evidence.start : evidence.end] == evidence.text
    if result.family is EmFamily.EMERGENCY:
        assert result.add_on_codes == ()
    assert result.needs_modifier_25 == (
        visit_type is VisitType.PREVENTIVE and result.code != result.preventive_code
    )
