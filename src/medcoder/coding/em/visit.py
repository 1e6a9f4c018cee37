"""What the note says about the visit itself: new or established, kind of visit, age.

The encounter input (:class:`~medcoder.coding.em.model.VisitContext`) wins; the note words
are read only for what it leaves unknown, and each such reading is reported as a warning so
that a coder can confirm it.
"""

from __future__ import annotations

import re

from medcoder.coding.em.model import VisitType
from medcoder.coding.em.spans import units
from medcoder.notes.document import Setting
from medcoder.notes.model import Note, SectionKind

__all__ = [
    "is_nurse_visit",
    "is_wellness_visit",
    "new_patient_from_note",
    "patient_age_from_note",
    "visit_type_from_note",
]

_NEW_EXPLICIT = re.compile(r"\bnew patient\b", re.IGNORECASE)
_ESTABLISHED_EXPLICIT = re.compile(r"\bestablished patient\b", re.IGNORECASE)
_NEW = re.compile(
    r"\bestablish(?:es|ing)?\s+(?:primary\s+)?care\b|\bnew to (?:this|our|the) "
    r"(?:clinic|practice|office)\b|\bfirst (?:visit|time) (?:to|with|at|in) (?:this|our|the) "
    r"(?:clinic|practice|office)\b|\bhas not been seen (?:here|in this practice|by (?:me|us|"
    r"this practice)) (?:before|in (?:the past|over) (?:3|three) years)\b",
    re.IGNORECASE,
)
_ESTABLISHED = re.compile(
    r"\breturns?\s+(?:to\s+(?:the\s+)?clinic|for|today)\b|\bhere for (?:a |her |his |their )?"
    r"(?:\w+[- ]month |routine |scheduled )?follow[- ]?up\b|\bpresents for (?:a |her |his )?"
    r"(?:\w+[- ]month )?follow[- ]?up\b|\bfollow[- ]?up (?:visit|appointment) (?:for|of)\b|"
    r"^\s*(?:follow[- ]?up|f/u)\s+(?:of|for|on|visit)\b|"
    r"\blast seen\b|\bseen (?:here |in clinic |by me )?(?:last|previously)\b|\bknown to "
    r"(?:me|this clinic|our practice|the practice)\b|\bcomes in for (?:a |her |his )?"
    r"follow[- ]?up\b",
    re.IGNORECASE,
)
# Plans and instructions speak of future visits ("follow up in 3 months"): not this one.
_FUTURE = frozenset(
    {
        SectionKind.PLAN,
        SectionKind.ASSESSMENT_AND_PLAN,
        SectionKind.DISCHARGE_INSTRUCTIONS,
        SectionKind.PAST_MEDICAL_HISTORY,
        SectionKind.FAMILY_HISTORY,
    }
)
_PREVENTIVE = re.compile(
    r"\bannual (?:physical|exam\w*|preventive|check-?up)\b|\bwell[- ](?:child|woman|adult|baby|"
    r"visit|exam)\b|\bpreventive (?:visit|exam\w*|medicine|care visit)\b|\broutine (?:physical|"
    r"annual exam|health maintenance exam|check-?up)\b|\bhealth maintenance (?:visit|exam\w*)\b|"
    r"\bcomplete physical\b|\bwell[- ]child check\b",
    re.IGNORECASE,
)
# The visit itself happens in the ED: the note's title, its ED course, the presentation.
# "Records of her ED visit last month" is history, not this visit.
_EMERGENCY = re.compile(
    r"\A\W*(?:emergency (?:department|room)|ED|ER)\b|\b(?:ED|ER|emergency department) "
    r"(?:note|course|provider note|physician note)\b|\b(?:present\w*|brought|arriv\w*|came|"
    r"comes|seen) (?:in )?(?:to|in) the (?:ED|ER|emergency (?:department|room))\b",
    re.IGNORECASE,
)
_DISCHARGE = re.compile(
    r"\bdischarge summary\b|\bdischarged (?:home|to)\b|\bdischarge (?:today|day)\b|"
    r"\bstable for discharge\b",
    re.IGNORECASE,
)
_ADMISSION = re.compile(
    r"\bhistory and physical\b|\bH&P\b|\badmission (?:note|H&P)\b|\badmit\w* to\b|"
    r"\bwill admit\b|\bbeing admitted\b",
    re.IGNORECASE,
)
_NURSE = re.compile(
    r"\bnurse(?:-only)? visit\b|\bRN visit\b|\bnurse only\b|\bseen by (?:the )?nurse\b|"
    r"\b(?:blood pressure|BP) check visit\b|\bno provider (?:visit|evaluation)\b",
    re.IGNORECASE,
)
_NOTE_HEAD = frozenset(
    {SectionKind.UNLABELED, SectionKind.CHIEF_COMPLAINT, SectionKind.REASON_FOR_VISIT}
)
_WELLNESS = re.compile(
    r"\b(?:annual wellness visit|medicare wellness visit|welcome to medicare|AWV|"
    r"initial preventive physical exam(?:ination)?|IPPE)\b",
    re.IGNORECASE,
)
_AGE_YEARS = re.compile(
    r"\b(\d{1,3})[- ](?:year|yr)s?[- ]old\b|\b(\d{1,3})\s*(?:yo|y/o|y\.o\.)|\baged? (\d{1,3})\b",
    re.IGNORECASE,
)
_AGE_INFANT = re.compile(r"\b(\d{1,2})[- ](month|week|day)s?[- ]old\b", re.IGNORECASE)


def new_patient_from_note(note: Note) -> bool | None:
    """True / False when the note words say new / established patient; None if they don't.

    An explicit "new patient" / "established patient" wins; otherwise the words for one
    side must not be contradicted by the other's.
    """
    text = note.text
    explicit_new = _NEW_EXPLICIT.search(text) is not None
    explicit_established = _ESTABLISHED_EXPLICIT.search(text) is not None
    if explicit_new != explicit_established:
        return explicit_new
    new = established = False
    for unit in units(note, exclude=_FUTURE):
        sentence = text[unit.sentence.start : unit.sentence.end]
        new = new or _NEW.search(sentence) is not None
        established = established or _ESTABLISHED.search(sentence) is not None
    if new != established:
        return new
    return None


def visit_type_from_note(note: Note) -> VisitType:
    """The visit type the note words and the document setting suggest."""
    text = note.text
    kinds = {section.kind for section in note.sections}
    if note.document.setting is Setting.INPATIENT:
        if _DISCHARGE.search(text) or SectionKind.DISCHARGE_DIAGNOSES in kinds:
            return VisitType.DISCHARGE
        if _ADMISSION.search(text):
            return VisitType.INPATIENT_INITIAL
        return VisitType.INPATIENT_SUBSEQUENT
    if _EMERGENCY.search(text):
        return VisitType.EMERGENCY
    if _PREVENTIVE.search(text):
        return VisitType.PREVENTIVE
    return VisitType.OFFICE


def patient_age_from_note(note: Note) -> int | None:
    """The age the note states ("45-year-old", "45 yo"; 0 for "9-month-old"), or None."""
    infant = _AGE_INFANT.search(note.text)
    years = _AGE_YEARS.search(note.text)
    if infant is not None and (years is None or infant.start() < years.start()):
        return int(infant.group(1)) // 12 if infant.group(2).lower() == "month" else 0
    if years is None:
        return None
    return int(years.group(1) or years.group(2) or years.group(3))


def is_wellness_visit(note: Note) -> bool:
    """True when the note documents a Medicare Annual Wellness Visit (or the Welcome to
    Medicare exam): HCPCS services of their own, not E/M codes."""
    return _WELLNESS.search(note.text) is not None


def is_nurse_visit(note: Note) -> bool:
    """True when the note says it is a nurse (clinical staff) visit: in its title, chief
    complaint or reason for visit ("urine collected at a nurse visit" in the results is not)."""
    for unit in units(note, include=_NOTE_HEAD):
        if _NURSE.search(note.text, unit.sentence.start, unit.sentence.end):
            return True
    return False
