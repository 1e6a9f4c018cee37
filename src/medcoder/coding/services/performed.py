"""Was a service the note names done today? Reuses the ConText engine of ``medcoder.notes``.

A service is billed only when the note says it was done at this encounter. Its own cue list
(``resources/service_context.json``) marks a mention as *negated* ("declined", "not done"),
*hypothetical* ("ordered", "will", "scheduled", "refer to", "next visit") or *historical*
("last Tdap 2019"). Two more rules:

* a done word in the same sentence ("given", "performed", "administered") wins over a
  planning cue ("ECG ordered and performed"), unless the done word is itself future
  ("will be given");
* in a plan section a service counts only with a done word or "today / in the office":
  "Plan: Toradol 60 mg IM" may be an order for later, so it is reported as a warning.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from importlib import resources

from medcoder.notes import ContextEngine, ContextRule, Note, SectionKind
from medcoder.notes.model import Assertion

__all__ = ["Performed", "PerformedCheck", "performed"]

_DONE = re.compile(
    r"\b(given|administered|performed|done|obtained|completed|removed|injected|drained|"
    r"placed|repaired|applied|treated|irrigated|aspirated|biopsied|excised|avulsed|"
    r"debrided|frozen|destroyed|closed|sutured|drawn|collected|ran|run|result(?:ed|s)?|"
    r"shows?|showed|revealed|reviewed and interpreted|interpreted|positive|negative)\b",
    re.IGNORECASE,
)
_FUTURE_DONE = re.compile(r"\b(will|to|shall|would|can|could|may)\s+(?:be\s+)?$", re.IGNORECASE)
_TODAY = re.compile(r"\b(today|in (?:the )?(?:office|clinic)|this visit|at this visit)\b", re.I)
#: Planning cues a done word in the same sentence overrides ("ordered and performed",
#: "offered and given"); time and place cues ("next week", "at the lab") are never overridden.
_OVERRIDABLE = frozenset(
    {"ordered", "order", "orders", "offered", "discussed", "was discussed", "recommended",
     "recommend", "planned", "plan", "plan to", "consider", "considering", "want", "wants",
     "needs", "need", "due", "is due", "due for"}
)  # fmt: skip
#: "Procedure: ..." written inside a plan: the label says it was done.
_LABEL = re.compile(r"\bprocedures?(?: performed| note| done)?\s*:", re.IGNORECASE)
_PLAN_SECTIONS = frozenset(
    {SectionKind.PLAN, SectionKind.ASSESSMENT_AND_PLAN, SectionKind.DISCHARGE_INSTRUCTIONS}
)


class Performed(StrEnum):
    """What the note says about a service."""

    DONE = "done"
    NOT_DONE = "not_done"  # declined, refused, not performed
    PLANNED = "planned"  # ordered, scheduled, referred, recommended, next visit
    PAST = "past"  # done at an earlier encounter
    UNCLEAR = "unclear"  # named in the plan without saying it was done


@dataclass(frozen=True, slots=True)
class PerformedCheck:
    """The decision for one mention and the words that decided it."""

    status: Performed
    cue: str = ""

    @property
    def done(self) -> bool:
        return self.status is Performed.DONE


def _load_rules() -> tuple[ContextRule, ...]:
    text = (
        resources.files("medcoder.coding.services")
        .joinpath("resources")
        .joinpath("service_context.json")
        .read_text("utf-8")
    )
    data = json.loads(text)["context_rules"]
    return tuple(
        ContextRule.from_dict(d, where=f"service_context[{i}]") for i, d in enumerate(data)
    )


@lru_cache(maxsize=1)
def _engine() -> ContextEngine:
    return ContextEngine(_load_rules())


_STATUS = {
    Assertion.NEGATED: Performed.NOT_DONE,
    Assertion.HYPOTHETICAL: Performed.PLANNED,
    Assertion.POSSIBLE: Performed.PLANNED,
    Assertion.HISTORICAL: Performed.PAST,
    Assertion.FAMILY: Performed.PAST,
}


def _done_word(sentence: str) -> bool:
    for match in _DONE.finditer(sentence):
        if not _FUTURE_DONE.search(sentence[: match.start()]):
            return True
    return False


def performed(note: Note, start: int, end: int) -> PerformedCheck:
    """Whether the service named at ``[start, end)`` was done at this encounter."""
    result = _engine().assert_spans(note, [(start, end)])[0]
    sentence = note.text_of(result.sentence) if result.sentence else note.text[start:end]
    status = _STATUS.get(result.status, Performed.DONE)
    if status is Performed.NOT_DONE:
        return PerformedCheck(status, result.cue_text)
    if status is not Performed.DONE:
        # "ECG ordered and performed": a done word beats a planning cue (not "at the ER").
        planned = status is Performed.PLANNED
        cue = " ".join(result.cue_text.lower().split())
        if planned and cue in _OVERRIDABLE and _done_word(sentence):
            return PerformedCheck(Performed.DONE, "")
        return PerformedCheck(status, result.cue_text)
    section = note.section_at(start).kind
    done_here = _done_word(sentence) or _TODAY.search(sentence) or _LABEL.search(sentence)
    if section in _PLAN_SECTIONS and not done_here:
        return PerformedCheck(Performed.UNCLEAR, note.section_at(start).title)
    return PerformedCheck(Performed.DONE, "")
