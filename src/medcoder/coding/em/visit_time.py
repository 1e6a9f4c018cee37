"""Total time on the date of the encounter, as the provider documents it.

"I spent 45 minutes ...", "Total time on the date of service: 32 min", "Total time spent
was more than 30 minutes". A sentence about critical care or procedure time is not total E/M
time; "more than N minutes" is read as N + 1 (enough for "more than 30 minutes" to mean a
99239 discharge).
"""

from __future__ import annotations

import re

from medcoder.coding.em.spans import evidence_of, units
from medcoder.coding.result import Evidence
from medcoder.notes.model import Note

__all__ = ["find_total_time"]

_AMOUNT = (
    r"(?P<more>more than|greater than|over|>\s*|in excess of|at least|approximately|about|"
    r"a total of|total of)?\s*(?P<number>\d{1,3}(?:\.\d+)?)\s*(?P<unit>minutes|mins?\b|"
    r"hours?|hrs?\b)"
)
_TOTAL = re.compile(rf"\btotal\s+(?:\w+\s+){{0,3}}?time\b[^.\d]{{0,80}}?{_AMOUNT}", re.IGNORECASE)
_SPENT = (
    re.compile(rf"\bspent\s+(?:a\s+)?{_AMOUNT}", re.IGNORECASE),
    re.compile(rf"{_AMOUNT}\s+(?:were\s+|was\s+)?spent\b", re.IGNORECASE),
    re.compile(rf"\btime spent\b[^.\d]{{0,40}}?{_AMOUNT}", re.IGNORECASE),
    re.compile(
        rf"{_AMOUNT}\s+(?:of\s+)?(?:total\s+)?(?:face[- ]to[- ]face|visit time|encounter time)\b",
        re.IGNORECASE,
    ),
    re.compile(
        rf"\b(?:discharge|visit|encounter)\b[^.\d]{{0,40}}?\b(?:took|lasted|required)\s+{_AMOUNT}",
        re.IGNORECASE,
    ),
)
_NOT_EM_TIME = re.compile(
    r"\bcritical care\b|\bprocedure time\b|\bsedation time\b|\btime out\b", re.IGNORECASE
)


def find_total_time(note: Note) -> tuple[int, Evidence] | None:
    """The documented total time in minutes and its sentence, or None.

    A "total time" statement wins over a plain "I spent ..."; among equals, the first.

    Example:
        >>> from medcoder.notes import parse_note, read_document
        >>> note = parse_note(read_document("Plan: rest. I spent 45 minutes with the patient."))
        >>> find_total_time(note)[0]
        45
    """
    best: tuple[int, int, Evidence] | None = None  # (priority, minutes, evidence)
    for unit in units(note):
        sentence = note.text[unit.sentence.start : unit.sentence.end]
        if _NOT_EM_TIME.search(sentence):
            continue
        for priority, pattern in ((0, _TOTAL), *((1, spent) for spent in _SPENT)):
            match = pattern.search(sentence)
            if match is None:
                continue
            minutes = _minutes(match)
            if minutes is not None and (best is None or priority < best[0]):
                best = (priority, minutes, evidence_of(note, unit))
            break
    return None if best is None else (best[1], best[2])


def _minutes(match: re.Match[str]) -> int | None:
    groups = {k: v for k, v in match.groupdict().items() if v is not None}
    number = float(groups["number"])
    unit = groups["unit"].lower()
    minutes = round(number * 60) if unit.startswith("h") else round(number)
    more = groups.get("more", "").strip().lower()
    if more in ("more than", "greater than", "over", ">", "in excess of"):
        minutes += 1
    return minutes if 0 < minutes <= 24 * 60 else None
