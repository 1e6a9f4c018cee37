"""The note model: sections, sentences and list items, all as character offsets into the text.

Nothing here copies text: every span is a pair of offsets into :attr:`Note.text`, so evidence
found anywhere downstream points back at the exact words of the original document.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from enum import StrEnum

from medcoder.notes.document import Document

__all__ = [
    "Assertion",
    "ListItem",
    "Note",
    "Section",
    "SectionKind",
    "Sentence",
]


class SectionKind(StrEnum):
    """Canonical section names of US clinical notes (headings map to these)."""

    UNLABELED = "unlabeled"  # text before the first heading, or a note without headings
    CHIEF_COMPLAINT = "chief_complaint"
    REASON_FOR_VISIT = "reason_for_visit"
    HISTORY_OF_PRESENT_ILLNESS = "history_of_present_illness"
    PAST_MEDICAL_HISTORY = "past_medical_history"
    PAST_SURGICAL_HISTORY = "past_surgical_history"
    FAMILY_HISTORY = "family_history"
    SOCIAL_HISTORY = "social_history"
    REVIEW_OF_SYSTEMS = "review_of_systems"
    PHYSICAL_EXAM = "physical_exam"
    VITAL_SIGNS = "vital_signs"
    RESULTS = "results"
    SUBJECTIVE = "subjective"
    OBJECTIVE = "objective"
    ASSESSMENT = "assessment"
    PLAN = "plan"
    ASSESSMENT_AND_PLAN = "assessment_and_plan"
    IMPRESSION = "impression"
    PROBLEM_LIST = "problem_list"
    DIAGNOSES = "diagnoses"
    ADMISSION_DIAGNOSES = "admission_diagnoses"
    DISCHARGE_DIAGNOSES = "discharge_diagnoses"
    PRINCIPAL_DIAGNOSIS = "principal_diagnosis"
    SECONDARY_DIAGNOSES = "secondary_diagnoses"
    HOSPITAL_COURSE = "hospital_course"
    MEDICATIONS = "medications"
    ALLERGIES = "allergies"
    PROCEDURES = "procedures"
    PREOPERATIVE_DIAGNOSIS = "preoperative_diagnosis"
    POSTOPERATIVE_DIAGNOSIS = "postoperative_diagnosis"
    PROCEDURE_PERFORMED = "procedure_performed"
    OPERATIVE_FINDINGS = "operative_findings"
    INDICATIONS = "indications"
    DISCHARGE_INSTRUCTIONS = "discharge_instructions"


class Assertion(StrEnum):
    """How a condition mention is asserted in its context (ConText categories)."""

    PRESENT = "present"
    NEGATED = "negated"
    POSSIBLE = "possible"
    HISTORICAL = "historical"
    FAMILY = "family"
    HYPOTHETICAL = "hypothetical"


@dataclass(frozen=True, slots=True)
class Section:
    """A section: ``[start, end)`` from its heading to the next one; content from ``body_start``.

    ``title`` is the heading as written (``"A/P"``), empty for the unlabeled section.
    """

    kind: SectionKind
    title: str
    start: int
    end: int
    body_start: int

    @property
    def name(self) -> str:
        """The canonical section name, e.g. ``"family_history"``."""
        return self.kind.value


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence ``[start, end)``; ``list_item`` is True when it lies in a list item."""

    start: int
    end: int
    list_item: bool = False


@dataclass(frozen=True, slots=True)
class ListItem:
    """A numbered or bulleted line ``[start, end)`` (content, without ``marker``)."""

    start: int
    end: int
    marker: str


@dataclass(frozen=True, slots=True)
class Note:
    """A parsed note: the document plus its sections, sentences and list items, in text order.

    Sections cover the whole text without gaps; sentences and list items lie inside section
    bodies (headings are not part of any sentence).
    """

    document: Document
    sections: tuple[Section, ...]
    sentences: tuple[Sentence, ...]
    list_items: tuple[ListItem, ...] = ()
    _section_starts: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _sentence_starts: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_section_starts", tuple(s.start for s in self.sections))
        object.__setattr__(self, "_sentence_starts", tuple(s.start for s in self.sentences))

    @property
    def text(self) -> str:
        """The note text (offsets of every span refer to it)."""
        return self.document.text

    def text_of(self, span: Section | Sentence | ListItem | tuple[int, int]) -> str:
        """The text of a span (a section's text includes its heading)."""
        start, end = span if isinstance(span, tuple) else (span.start, span.end)
        return self.document.text[start:end]

    def section_at(self, offset: int) -> Section:
        """The section containing ``offset`` (clamped to the first / last section)."""
        index = bisect.bisect_right(self._section_starts, offset) - 1
        return self.sections[max(index, 0)]

    def sentence_at(self, offset: int) -> Sentence | None:
        """The sentence containing ``offset``, or None (heading, blank space between sentences)."""
        index = bisect.bisect_right(self._sentence_starts, offset) - 1
        if index >= 0 and offset < self.sentences[index].end:
            return self.sentences[index]
        return None
