"""Finding services in a note: mentions that were done, their sentence, side, numbers.

Every family module (drugs, vaccines, office tests, office procedures) asks a
:class:`Scanner` for the mentions of its patterns that the note says were *done* (see
:mod:`medcoder.coding.services.performed`); mentions named in a plan without saying so become
warnings, so nothing is billed on a guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from medcoder.coding.result import Evidence
from medcoder.coding.services.performed import Performed, performed
from medcoder.notes import Note, SectionKind

__all__ = [
    "Mention",
    "Scanner",
    "count_in",
    "lengths_cm",
    "minutes_in",
    "side_of",
    "site_in",
]

#: Sections whose mentions are never services done today.
_SKIPPED = frozenset(
    {
        SectionKind.MEDICATIONS,
        SectionKind.ALLERGIES,
        SectionKind.PAST_MEDICAL_HISTORY,
        SectionKind.PAST_SURGICAL_HISTORY,
        SectionKind.FAMILY_HISTORY,
        SectionKind.SOCIAL_HISTORY,
        SectionKind.DISCHARGE_INSTRUCTIONS,
        # The history the patient gives: what was done before this visit, or is asked for.
        SectionKind.CHIEF_COMPLAINT,
        SectionKind.REASON_FOR_VISIT,
        SectionKind.HISTORY_OF_PRESENT_ILLNESS,
        SectionKind.REVIEW_OF_SYSTEMS,
    }
)


@dataclass(frozen=True, slots=True)
class Mention:
    """A service named in the note and done today.

    ``context`` is its sentence (the list item or line when the mention lies in a heading);
    ``context_start`` the offset of that text in the note.
    """

    start: int
    end: int
    text: str
    context: str
    context_start: int
    section: str

    def evidence(self) -> Evidence:
        return Evidence(self.start, self.end, self.text, self.section)

    @property
    def after(self) -> str:
        """The context from the mention on."""
        return self.context[self.start - self.context_start :]


@dataclass
class Scanner:
    """The mentions of a note's services, with the warnings met on the way."""

    note: Note
    warnings: list[str] = field(default_factory=list)

    def _context(self, start: int) -> tuple[str, int]:
        sentence = self.note.sentence_at(start)
        if sentence is not None:
            return self.note.text_of(sentence), sentence.start
        text = self.note.text
        left = text.rfind("\n", 0, start) + 1
        right = text.find("\n", start)
        right = len(text) if right < 0 else right
        return text[left:right], left

    def mentions(
        self, pattern: re.Pattern[str], what: str, require: re.Pattern[str] | None = None
    ) -> Iterator[Mention]:
        """Mentions of ``pattern`` that were done today, in text order.

        ``what`` names the service in warnings ("ECG named in the plan ..."); ``require``,
        when given, must match the mention's sentence (cerumen: an action such as "removed")
        for it to count at all.
        """
        text = self.note.text
        warned = False
        for match in pattern.finditer(text):
            section = self.note.section_at(match.start())
            if section.kind in _SKIPPED or match.start() < section.body_start:
                continue
            context, context_start = self._context(match.start())
            if require is not None and not require.search(context):
                continue
            check = performed(self.note, match.start(), match.end())
            if check.status is Performed.UNCLEAR:
                if not warned:
                    self.warnings.append(
                        f"{what} is named in the plan ({match[0]!r}) without saying it was done "
                        "today: not billed"
                    )
                    warned = True
                continue
            if not check.done:
                continue
            yield Mention(
                match.start(), match.end(), match[0], context, context_start, section.name
            )


_BILATERAL = re.compile(r"\b(bilateral(ly)?|both|bilat)\b", re.IGNORECASE)
_RIGHT = re.compile(r"\b(right|rt)\b", re.IGNORECASE)
_LEFT = re.compile(r"\b(left|lt)\b", re.IGNORECASE)


def side_of(text: str) -> str:
    """``RT``, ``LT``, ``50`` (both sides) or ``""`` when ``text`` names no side."""
    if _BILATERAL.search(text):
        return "50"
    right, left = bool(_RIGHT.search(text)), bool(_LEFT.search(text))
    if right and left:
        return "50"
    return "RT" if right else "LT" if left else ""


_WORDS = {"one": 1, "single": 1, "a": 1, "an": 1, "two": 2, "three": 3, "four": 4, "five": 5,
          "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
          "fifteen": 15, "twenty": 20, "both": 2, "several": 3, "multiple": 2}  # fmt: skip
_NUMBER = r"(\d{1,3}|" + "|".join(sorted(_WORDS, key=len, reverse=True)) + r")"


def count_in(text: str, nouns: str) -> int | None:
    """The count written before ``nouns`` ("3 lesions", "two warts") or after ``x`` ("x3")."""
    match = re.search(rf"\b{_NUMBER}\s+(?:\w+\s+){{0,2}}?(?:{nouns})\b", text, re.IGNORECASE)
    if match:
        word = match[1].lower()
        return int(word) if word.isdigit() else _WORDS[word]
    match = re.search(r"(?<![\w.])x\s?(\d{1,2})\b", text, re.IGNORECASE)
    return int(match[1]) if match else None


_MINUTES = re.compile(
    r"\b(\d{1,3})\s*(?:-\s*)?(?:minutes?|mins?)\b|\b(\d(?:\.\d)?)\s*(?:hours?|hrs?)\b",
    re.IGNORECASE,
)


def minutes_in(text: str) -> int | None:
    """A duration written in minutes or hours ("over 90 minutes", "2 hours")."""
    match = _MINUTES.search(text)
    if match is None:
        return None
    if match[1]:
        return int(match[1])
    return int(Decimal(match[2]) * 60)


_LENGTH = re.compile(r"(\d{1,3}(?:\.\d+)?)\s*(cm|mm|centimeters?)\b", re.IGNORECASE)


def lengths_cm(text: str) -> list[Decimal]:
    """Every length in ``text``, in centimetres."""
    out = []
    for match in _LENGTH.finditer(text):
        value = Decimal(match[1])
        out.append(value / 10 if match[2].lower() == "mm" else value)
    return out


_SITE = re.compile(
    r"\b(?:(?:right|left|rt|lt|upper|lower|mid|anterior|posterior)\s+){0,2}"
    r"(scalp|face|forehead|temple|cheek|chin|nose|lip|ear|eyelid|neck|chest|breast|back|"
    r"abdomen|flank|trunk|buttock|groin|axilla|arm|forearm|elbow|wrist|hand|palm|finger|thumb|"
    r"thigh|leg|shin|calf|knee|ankle|foot|heel|great toenail|toenail|fingernail|toe|shoulder|hip|"
    r"deltoid|gluteal|glute)s?\b",
    re.IGNORECASE,
)


def site_in(text: str) -> str:
    """The first anatomic site named in ``text`` with its side words (``left forearm``)."""
    match = _SITE.search(text)
    return " ".join(match[0].lower().split()) if match else ""
