"""Where the E/M classifiers look: sentences of chosen sections, their scope and evidence.

A coder reads problems *addressed* in the assessment and plan, data in the results and the
plan, risk in the plan. Each classifier walks :class:`Unit` values: a sentence, the list item
(or sentence) around it that qualifiers may come from, and its section.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from medcoder.coding.result import Evidence
from medcoder.notes.assertion import ContextEngine
from medcoder.notes.model import Assertion, Note, Section, SectionKind, Sentence

__all__ = [
    "ASSESSMENT_SECTIONS",
    "HISTORY_SECTIONS",
    "NOT_ASSERTED",
    "Unit",
    "asserted",
    "evidence_of",
    "has_section",
    "matches",
    "negated_before",
    "units",
]

#: Sections where a provider states the problems addressed and their management.
ASSESSMENT_SECTIONS = frozenset(
    {
        SectionKind.ASSESSMENT,
        SectionKind.ASSESSMENT_AND_PLAN,
        SectionKind.IMPRESSION,
        SectionKind.PLAN,
        SectionKind.DIAGNOSES,
        SectionKind.PRINCIPAL_DIAGNOSIS,
        SectionKind.SECONDARY_DIAGNOSES,
        SectionKind.DISCHARGE_DIAGNOSES,
        SectionKind.ADMISSION_DIAGNOSES,
    }
)
#: Sections that list what the patient has or had, not what was done at this visit.
HISTORY_SECTIONS = frozenset(
    {
        SectionKind.PAST_MEDICAL_HISTORY,
        SectionKind.PAST_SURGICAL_HISTORY,
        SectionKind.FAMILY_HISTORY,
        SectionKind.SOCIAL_HISTORY,
        SectionKind.MEDICATIONS,
        SectionKind.ALLERGIES,
        SectionKind.REVIEW_OF_SYSTEMS,
        SectionKind.PROBLEM_LIST,
    }
)
#: Statuses of a mention that is not about this visit.
NOT_ASSERTED = frozenset(
    {Assertion.NEGATED, Assertion.FAMILY, Assertion.HYPOTHETICAL, Assertion.HISTORICAL}
)
_NEGATION_WORDS = (
    r"\b(?:no|not|without|denies|negative for|free of|never|avoid|declin\w*|refus\w*)\b"
)
_NEGATION_BEFORE = {
    gap: re.compile(rf"{_NEGATION_WORDS}\W+(?:\w+\W+){{0,{gap}}}$", re.IGNORECASE)
    for gap in (0, 1, 2)
}


_DECISION_HEADING = re.compile(
    r"^[ \t]*(MDM|medical decision[- ]making|disposition|dispo|ED course and MDM)[ \t]*:",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass(frozen=True, slots=True)
class Unit:
    """A sentence with its scope (the list item holding it, else itself) and section."""

    sentence: Sentence
    scope_start: int
    scope_end: int
    section: Section


@lru_cache(maxsize=1)
def _engine() -> ContextEngine:
    return ContextEngine()


def units(
    note: Note,
    *,
    include: frozenset[SectionKind] | None = None,
    exclude: frozenset[SectionKind] = frozenset(),
) -> Iterator[Unit]:
    """The sentences of the sections of ``include`` (all when None) minus ``exclude``.

    A line opening with "MDM:", "Medical decision making:" or "Disposition:" starts, for
    E/M purposes, an assessment and plan that runs to the next heading.
    """
    item_starts = [item.start for item in note.list_items]
    decisions = _decision_parts(note)
    for sentence in note.sentences:
        section = note.section_at(sentence.start)
        for part in decisions:
            if part.start <= sentence.start < part.end:
                section = part
        if section.kind in exclude or (include is not None and section.kind not in include):
            continue
        scope_start, scope_end = sentence.start, sentence.end
        if sentence.list_item and note.list_items:
            index = bisect.bisect_right(item_starts, sentence.start) - 1
            if index >= 0 and sentence.start < note.list_items[index].end:
                scope_start = note.list_items[index].start
                scope_end = note.list_items[index].end
        yield Unit(sentence, scope_start, scope_end, section)


def has_section(note: Note, kinds: frozenset[SectionKind]) -> bool:
    """True when the note has a section of one of ``kinds`` (an "MDM:" part counts as an
    assessment and plan)."""
    if any(section.kind in kinds for section in note.sections):
        return True
    return SectionKind.ASSESSMENT_AND_PLAN in kinds and bool(_decision_parts(note))


def _decision_parts(note: Note) -> list[Section]:
    """Parts of the note headed by an ED-style decision heading the section finder does
    not know ("MDM:", "Medical decision making:", "Disposition:")."""
    parts: list[Section] = []
    for match in _DECISION_HEADING.finditer(note.text):
        section = note.section_at(match.start())
        if section.kind in (SectionKind.ASSESSMENT_AND_PLAN, SectionKind.PLAN):
            continue
        end = section.end
        parts.append(
            Section(
                SectionKind.ASSESSMENT_AND_PLAN, match.group(1), match.start(), end, match.end()
            )
        )
    return parts


def matches(note: Note, unit: Unit, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
    """Matches of ``pattern`` inside the unit's sentence (offsets via ``note.text``)."""
    return pattern.finditer(note.text, unit.sentence.start, unit.sentence.end)


def evidence_of(note: Note, unit: Unit) -> Evidence:
    """The unit's sentence as evidence."""
    sentence = unit.sentence
    return Evidence(sentence.start, sentence.end, note.text_of(sentence), unit.section.kind.value)


def asserted(
    note: Note, spans: list[tuple[int, int]], *, ignore: frozenset[Assertion] = NOT_ASSERTED
) -> list[bool]:
    """For each span: does the note assert it for this visit (its status not in ``ignore``:
    by default not negated, family, hypothetical or historical)? An uncertain ("possible")
    mention counts: a problem under work-up is addressed."""
    if not spans:
        return []
    results = _engine().assert_spans(note, spans)
    return [result.status not in ignore for result in results]


def negated_before(note: Note, unit: Unit, start: int, *, gap: int = 2) -> bool:
    """True when a negation word precedes ``start`` in the unit with at most ``gap`` words
    between ("no fever", "no further antibiotics")."""
    pattern = _NEGATION_BEFORE[gap]
    return pattern.search(note.text, max(unit.scope_start, start - 40), start) is not None
