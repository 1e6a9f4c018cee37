"""What diagnosis coding returns: codes with evidence, rationale and score, plus queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "ASSIGNED_THRESHOLD",
    "CodeSuggestion",
    "CodingResult",
    "DocumentationQuery",
    "Evidence",
    "Origin",
]

#: A suggestion scoring at least this is *assigned* (what the coder is told to bill); lower
#: scores are suggestions for review. Evaluation harnesses rely on this contract.
ASSIGNED_THRESHOLD = 0.5


class Origin(StrEnum):
    """Which part of the engine proposed a code."""

    INDEX = "index"  # Alphabetic Index walk from a mention in the note
    RULE = "rule"  # a coding rule (combination, history/status Z code, presumption)
    MODEL = "model"  # the learned ranker (trained on CodiEsp train)


@dataclass(frozen=True, slots=True)
class Evidence:
    """Words of the note that support a code: character offsets into the note text."""

    start: int
    end: int
    text: str
    section: str = ""


@dataclass(frozen=True, slots=True)
class CodeSuggestion:
    """One ICD-10-CM code with its support.

    ``rationale`` is one line a coder can check, e.g. ``Index: Diabetes, type 2, with,
    chronic kidney disease -> E11.22``; ``rules`` names the coding rules that shaped it.
    """

    code: str
    title: str
    score: float
    rationale: str
    evidence: tuple[Evidence, ...] = ()
    origin: Origin = Origin.INDEX
    rules: tuple[str, ...] = ()
    index_path: str = ""  # the Alphabetic Index path that found it ("Pneumonia, aspiration")

    @property
    def assigned(self) -> bool:
        return self.score >= ASSIGNED_THRESHOLD


@dataclass(frozen=True, slots=True)
class DocumentationQuery:
    """A gap a coder would query the provider about (e.g. heart failure without type)."""

    topic: str
    message: str
    evidence: tuple[Evidence, ...] = ()
    code: str = ""


@dataclass(frozen=True, slots=True)
class CodingResult:
    """Codes for one note, first-listed / principal diagnosis first, then by score."""

    source: str
    setting: str
    date_of_service: dt.date
    diagnoses: tuple[CodeSuggestion, ...]
    queries: tuple[DocumentationQuery, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def assigned(self) -> tuple[CodeSuggestion, ...]:
        return tuple(d for d in self.diagnoses if d.assigned)
