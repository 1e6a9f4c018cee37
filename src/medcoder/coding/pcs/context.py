"""Was a procedure done? Local rules for procedure mentions (not the diagnosis ConText rules).

The diagnosis assertion rules read "chest X-ray and bone scan were negative" as a negated
X-ray and "the urography was strictly normal" after "no risk factors" as a negated urography:
for a procedure, a negative *result* means it was done. A procedure is:

* **not done** when a negation stands right before it ("no biopsy", "without performing
  orchiectomy") or "not performed/done" follows it;
* **planned** when a plan word stands right before it ("scheduled for", "if ...", "will undergo",
  "recheck with") or right after it ("mammogram ordered", "colonoscopy referral", "due");
* **past** when the note's ConText rules call it historical ("history of", "years ago"), it
  lies in a past-history or indications section, "s/p", "status post", "prior" stands before
  it, or a year before the date of service is written next to it ("EGD 2024 showed");
* otherwise **done** during this encounter.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from enum import StrEnum

from medcoder.coding.text import Token, tokenize
from medcoder.notes import Assertion, AssertionResult, SectionKind

__all__ = ["ProcedureStatus", "procedure_status"]

_NEGATIONS = frozenset(
    "no not without never refused declined denied cancelled canceled avoid".split()
)
_PLANS = frozenset(
    "if scheduled planned plan will candidate offered proposed pending awaiting consider "
    "recheck repeat refer".split()
)
# After the procedure word: "mammogram ordered", "colonoscopy referral", "colonoscopy due 2027".
_PLANS_AFTER = frozenset("ordered referral due scheduled planned pending recommended".split())
_PLANS_AFTER_REACH = 2
# "s/p sigmoid colectomy", "status post CABG", "h/o appendectomy".
_PAST_BEFORE = re.compile(
    r"\b(?:s/p|status post|h/o|prior|previous|remote)\W+(?:\w+\W+){0,3}$", re.I
)
_YEAR = re.compile(r"\b(19[5-9]\d|20\d\d)\b")
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
    text: str,
    sentence: tuple[int, int],
    mention: tuple[int, int],
    context: AssertionResult,
    date_of_service: dt.date | None = None,
) -> ProcedureStatus:
    """The status of the procedure words at ``mention`` in the sentence ``sentence``.

    Args:
        text: The note text.
        sentence: The sentence's offsets.
        mention: The procedure words' offsets.
        context: The note's assertion result for the mention (its historical cues).
        date_of_service: The encounter's date: a year before it written next to the
            procedure ("EGD 2024 showed") makes it past.
    """
    before = tokenize(text[sentence[0] : mention[0]], sentence[0])[-_REACH_BEFORE:]
    after = tokenize(text[mention[1] : sentence[1]], mention[1])[:_REACH_AFTER]
    if _has(before, _NEGATIONS) or _not_done_after(after):
        return ProcedureStatus.NOT_DONE
    if _has(before, _PLANS) or _planned_after(after):
        return ProcedureStatus.PLANNED
    if context.status is Assertion.HISTORICAL or context.section in _HISTORY_SECTIONS:
        return ProcedureStatus.PAST
    if _PAST_BEFORE.search(text[max(sentence[0], mention[0] - 40) : mention[0]]):
        return ProcedureStatus.PAST
    if date_of_service is not None:
        near = text[max(sentence[0], mention[0] - 25) : min(sentence[1], mention[1] + 25)]
        if any(int(y) < date_of_service.year for y in _YEAR.findall(near)):
            return ProcedureStatus.PAST
    if context.status is Assertion.FAMILY and context.section is SectionKind.FAMILY_HISTORY:
        return ProcedureStatus.NOT_DONE
    return ProcedureStatus.DONE


def _has(tokens: Sequence[Token], words: frozenset[str]) -> bool:
    return any(t.norm in words for t in tokens)


def _planned_after(tokens: Sequence[Token]) -> bool:
    norms = [t.norm for t in tokens]
    for i, word in enumerate(norms[:_PLANS_AFTER_REACH]):
        following = norms[i + 1] if i + 1 < len(norms) else ""
        if word in _PLANS_AFTER and not (word == "due" and following == "to"):  # "due to"
            return True
    return False


def _not_done_after(tokens: Sequence[Token]) -> bool:
    norms = [t.norm for t in tokens]
    for i, word in enumerate(norms):
        if word in {"not", "never"} and any(w in _DONE_AFTER for w in norms[i + 1 :]):
            return True
    return False
