"""Clinical notes: intake, the note model (sections, sentences, list items) and assertion.

A short tour::

    from medcoder.notes import assert_spans, parse_note, read_document

    doc = read_document(b"FH: Mother with breast cancer.\\nA/P: No evidence of pneumonia.")
    note = parse_note(doc)
    note.section_at(5).name                     # 'family_history'
    [r.status.value for r in assert_spans(note, [(16, 29), (50, 59)])]
    # ['family', 'negated']

Every span is a pair of character offsets into ``doc.text``: evidence found downstream points
at the exact words of the note.
"""

from medcoder.notes.assertion import AssertionResult, ContextEngine, Cue, assert_spans
from medcoder.notes.document import Document, Patient, Setting, Sex, parse_date, read_document
from medcoder.notes.model import Assertion, ListItem, Note, Section, SectionKind, Sentence
from medcoder.notes.parser import parse_note
from medcoder.notes.rules import ContextRule, Direction, SectionRule
from medcoder.notes.sections import SectionFinder

__all__ = [
    "Assertion",
    "AssertionResult",
    "ContextEngine",
    "ContextRule",
    "Cue",
    "Direction",
    "Document",
    "ListItem",
    "Note",
    "Patient",
    "Section",
    "SectionFinder",
    "SectionKind",
    "SectionRule",
    "Sentence",
    "Setting",
    "Sex",
    "assert_spans",
    "parse_date",
    "parse_note",
    "read_document",
]
