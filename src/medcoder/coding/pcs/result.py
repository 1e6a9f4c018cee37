"""What ICD-10-PCS coding returns: codes built axis by axis, with evidence, and queries."""

from __future__ import annotations

from dataclasses import dataclass

from medcoder.coding.result import ASSIGNED_THRESHOLD, Evidence

__all__ = ["PcsAxisChoice", "PcsQuery", "PcsResult", "PcsSuggestion"]


@dataclass(frozen=True, slots=True)
class PcsAxisChoice:
    """One character of a built code: which axis, the value taken and why.

    ``basis`` says where the value came from: ``"note"`` (words of the note, see ``cue``),
    ``"lexicon"`` (the procedure word implies it, e.g. colonoscopy -> via natural opening
    endoscopic), ``"only value"`` (the table allows nothing else after the characters before
    it) or ``"none documented"`` (no device / no qualifier: the note names none).
    """

    position: int
    axis: str
    value: str
    label: str | None
    basis: str
    cue: str = ""


@dataclass(frozen=True, slots=True)
class PcsSuggestion:
    """An ICD-10-PCS code for one procedure statement.

    ``code`` has 7 characters when every axis is documented (``complete``); otherwise it is the
    4-character partial (section, body system, root operation, body part) a coder would rank,
    and the result's queries name the missing axis.
    """

    code: str
    description: str
    score: float
    rationale: str
    axes: tuple[PcsAxisChoice, ...]
    evidence: tuple[Evidence, ...] = ()
    complete: bool = True
    historical: bool = False
    procedure: str = ""  # the lexicon entry that found it ("appendectomy", "ct", ...)

    @property
    def assigned(self) -> bool:
        return self.score >= ASSIGNED_THRESHOLD


@dataclass(frozen=True, slots=True)
class PcsQuery:
    """A character the note does not document: the axis, the code so far and the candidates.

    ``candidates`` are ``(value, label)`` pairs valid after ``prefix`` in the code set.
    """

    axis: str
    position: int
    prefix: str
    candidates: tuple[tuple[str, str | None], ...]
    message: str
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class PcsResult:
    """PCS codes for one note, best first, and the queries for what the note leaves open."""

    suggestions: tuple[PcsSuggestion, ...]
    queries: tuple[PcsQuery, ...] = ()

    @property
    def assigned(self) -> tuple[PcsSuggestion, ...]:
        return tuple(s for s in self.suggestions if s.assigned)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.suggestions)
