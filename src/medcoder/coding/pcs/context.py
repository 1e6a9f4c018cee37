"""Was a procedure done? Local rules for procedure mentions (not the diagnosis ConText rules).

The diagnosis assertion rules read "chest X-ray and bone scan were negative" as a negated
X-ray and "the urography was strictly normal" after "no risk factors" as a negated urography:
for a procedure, a negative *result* means it was done. A procedure is:

* **not done** when a negation stands right before it ("no biopsy", "without performing
  orchiectomy") or "not performed/done" follows it;
* **planned** when a plan word stands right before it ("scheduled for", "if ...", "will undergo");
* **past** when the note's ConText rules call it historical ("history of", "years ago") or it
  lies in a past-history or indications section;
* otherwise **done** during this encounter.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from medcoder.coding.text import Token, tokenize
from medcoder.notes import Assertion, AssertionResult, SectionKind

__all__ = ["ProcedureStatus", "procedure_status"]

_NEGATIONS = frozenset(
    "no not without never refused declined denied cancelled canceled avoid".split()
)
_PLANS = frozenset(
    "if scheduled planned plan will candidate offered proposed pending awaiting consider".split()
)
_DONE_AFTER = frozenset("performed done carried made practiced indicated necessary".split())
_REACH_BEFORE = 3
_REACH_AFTER = 4
# Sections that tell what happened before this encounter (an op note's indications cite the
# work-up that led to the operation).
_HISTORY_SECTIONS = frozenset(
    {SectionKind.PAST_SURGICAL_HISTORY, SectionKind.PAST_MEDICAL_HISTORY, SectionKind.INDICATIONS}
)


class ProcedureStatus(StrEnum):
    DONE = "done"
    NOT_DONE = "not done"
    PLANNED = "planned"
    PAST = "past"


def procedure_status(
    text: str, sentence: tuple[int, int], mention: tuple[int, int], context: AssertionResult
) -> ProcedureStatus:
    """The status of the procedure words at ``mention`` in the sentence ``sentence``.

    Args:
        text: The note text.
        sentence: The sentence's offsets.
        mention: The procedure words' offsets.
        context: The note's assertion result for the mention (its historical cues).
    """
    before = tokenize(text[sentence[0] : mention[0]], sentence[0])[-_REACH_BEFORE:]
    after = tokenize(text[mention[1] : sentence[1]], mention[1])[:_REACH_AFTER]
    if _has(before, _NEGATIONS) or _not_done_after(after):
        return ProcedureStatus.NOT_DONE
    if _has(before, _PLANS):
        return ProcedureStatus.PLANNED
    if context.status is Assertion.HISTORICAL or context.section in _HISTORY_SECTIONS:
        return ProcedureStatus.PAST
    if context.status is Assertion.FAMILY and context.section is SectionKind.FAMILY_HISTORY:
        return ProcedureStatus.NOT_DONE
    return ProcedureStatus.DONE


def _has(tokens: Sequence[Token], words: frozenset[str]) -> bool:
    return any(t.norm in words for t in tokens)


def _not_done_after(tokens: Sequence[Token]) -> bool:
    norms = [t.norm for t in tokens]
    for i, word in enumerate(norms):
        if word in {"not", "never"} and any(w in _DONE_AFTER for w in norms[i + 1 :]):
            return True
    return False
