"""Value objects of the ICD-10-CM Tabular List API (:class:`~.tabular.Icd10cm`).

Codes in these objects are printed the way a coder writes them, with the dot (``E11.9``);
chapters are keyed by their number (``"4"``) and blocks by their range (``"E08-E13"``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "CodeInfo",
    "CodeKind",
    "CodeRange",
    "CodeRef",
    "MatchSource",
    "Note",
    "NoteKind",
    "SearchHit",
    "SeventhCharacter",
    "Validation",
    "ValidationReason",
    "parse_code_ranges",
]


class CodeKind(StrEnum):
    """Where a row sits in the Tabular List hierarchy."""

    CHAPTER = "chapter"
    BLOCK = "block"  # a <section>: a range of categories, e.g. E08-E13
    CATEGORY = "category"  # three characters, e.g. E11
    SUBCATEGORY = "subcategory"  # 4-6 characters that are not billable as they stand
    CODE = "code"  # a billable code below the category level (with its 7th character if any)


class NoteKind(StrEnum):
    """The instructional notes of the Tabular List (``inclusion`` = inclusion terms)."""

    INCLUSION = "inclusion"
    INCLUDES = "includes"
    EXCLUDES1 = "excludes1"
    EXCLUDES2 = "excludes2"
    CODE_FIRST = "code_first"
    USE_ADDITIONAL = "use_additional"
    CODE_ALSO = "code_also"
    NOTES = "notes"


class ValidationReason(StrEnum):
    """Why :meth:`Icd10cm.validate` accepted or rejected a code."""

    OK = "ok"
    UNKNOWN = "unknown"
    NOT_BILLABLE = "not_billable"
    MISSING_7TH = "missing_7th"
    BAD_PLACEHOLDER = "bad_placeholder"
    INVALID_7TH = "invalid_7th"
    NOT_VALID_FY2027 = "not_valid_fy2027"


class MatchSource(StrEnum):
    """Which text a search hit matched."""

    TITLE = "title"
    INCLUSION = "inclusion"
    INDEX = "index"
    NOTE = "note"  # named by a use-additional / code-also note of a better hit (L97.5- for E11.621)


# A code is a letter, a digit (or "QA", the one category with a letter there) and a character.
_CODE = r"(?:[A-Z]\d|QA)[0-9A-Z](?:\.[0-9A-Z]{1,4})?"
_REF = re.compile(
    rf"(?<![A-Za-z0-9])({_CODE})(\.?-(?![A-Z]))?(?:\s*-\s*({_CODE})(?:\.?-)?)?(?![A-Za-z0-9])"
)
_PAREN = re.compile(r"\(([^()]*)\)")


@dataclass(frozen=True, slots=True)
class CodeRange:
    """A code, a code with all its subdivisions (``J45.-``) or a range (``E08-E13``).

    ``first`` and ``last`` are dotted codes as printed; a single code has ``first == last``.
    """

    first: str
    last: str

    def covers(self, code: str) -> bool:
        """True when ``code`` (dotted or not) falls in this code, its subdivisions or the range.

        Ranges compare the characters the bounds give, in ICD order (``E08-E13`` covers
        ``E11.9``; ``T36.0-T36.3`` covers ``T36.1X1A``).
        """
        plain = code.replace(".", "").upper()
        lo = self.first.replace(".", "")
        hi = self.last.replace(".", "")
        return plain[: len(lo)] >= lo and plain[: len(hi)] <= hi

    def __str__(self) -> str:
        return self.first if self.first == self.last else f"{self.first}-{self.last}"


def parse_code_ranges(text: str) -> tuple[CodeRange, ...]:
    """The codes and ranges a note names in parentheses, e.g. ``asthma (J45.-)``.

    Only parenthesised references are read: the free text of a note also holds things like
    "hemoglobin A1C" that have the shape of a code.
    """
    found: list[CodeRange] = []
    for group in _PAREN.findall(text):
        for first, _dash, last in _REF.findall(group):
            found.append(CodeRange(first, last or first))
    return tuple(found)


@dataclass(frozen=True, slots=True)
class CodeRef:
    """A code (or chapter/block id) with its title."""

    code: str
    title: str


@dataclass(frozen=True, slots=True)
class Note:
    """One instructional note, with the level it was written at.

    Args:
        kind: includes, excludes1, ... (see :class:`NoteKind`).
        text: the note as printed.
        source_code: the code, block or chapter that carries the note; notes apply to
            everything below the level they are written at.
        refs: the codes and ranges the note names (empty when it names none).
    """

    kind: NoteKind
    text: str
    source_code: str
    refs: tuple[CodeRange, ...] = ()


@dataclass(frozen=True, slots=True)
class SeventhCharacter:
    """A 7th character and its meaning, as defined at ``source_code`` (e.g. ``S52``)."""

    character: str
    meaning: str
    source_code: str


@dataclass(frozen=True, slots=True)
class CodeInfo:
    """What the Tabular List says about one code.

    ``notes`` holds every instructional note that applies: the code's own and those inherited
    from its subcategories, category, block and chapter (``source_code`` tells which).
    ``seventh_characters`` is non-empty when the code takes a 7th character; for a full
    7-character code it lists the choices and ``title`` already names the chosen one.
    """

    code: str
    title: str
    billable: bool
    kind: CodeKind
    release_id: str
    ancestors: tuple[CodeRef, ...]
    inclusion_terms: tuple[str, ...]
    notes: tuple[Note, ...]
    seventh_characters: tuple[SeventhCharacter, ...]
    seventh_character_note: str | None
    requires_seventh: bool
    placeholder_needed: bool

    def notes_of(self, kind: NoteKind) -> tuple[Note, ...]:
        """The applicable notes of one kind, nearest level first."""
        return tuple(n for n in self.notes if n.kind is kind)


@dataclass(frozen=True, slots=True)
class Validation:
    """Whether a code can be reported on a date of service, and what to use instead.

    ``completions`` lists valid billable codes near the one given (the 7th-character choices
    of S72.001, the billable codes under E11, the corrected placeholder form of T36.01A).
    """

    code: str
    valid: bool
    billable: bool
    reason: ValidationReason
    message: str
    completions: tuple[str, ...]
    warnings: tuple[str, ...]
    release_id: str


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One search result: the code, the text that matched and where it was found."""

    code: str
    title: str
    billable: bool
    matched: str
    source: MatchSource
    score: float
