"""Wound and nail procedures: incision and drainage (10060-10061), simple repair (12001-12007,
12011-12018), nail debridement, avulsion and matrixectomy (11720-11750).

Simple repairs sum the lengths of the wounds per anatomic group (the face group and the
scalp/neck/trunk/limbs group); a layered, complex or surgical closure is not a simple repair
and is left to the coder with a warning.
"""

from __future__ import annotations

import re
from decimal import Decimal

from medcoder.coding.services.lines import LineMaker
from medcoder.coding.services.model import CodedService, ServiceKind
from medcoder.coding.services.scan import (
    Mention,
    Scanner,
    count_in,
    lengths_cm,
    side_of,
)

__all__ = ["digit_modifier", "incision_and_drainage", "nail_procedures", "simple_repairs"]

_P = ServiceKind.PROCEDURE


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# -- incision and drainage ------------------------------------------------------------------
_INCISION = _rx(r"\b(?:incision and drainage|i\s?&\s?d|i and d|incised and drained)\b")
_COMPLICATED = _rx(r"complicated|complex|multiple|several|loculat\w*|\b(?:two|three|2|3) absc")


def incision_and_drainage(scanner: Scanner, maker: LineMaker) -> list[CodedService]:
    for mention in scanner.mentions(_INCISION, "Incision and drainage"):
        if re.search(r"hematoma|pilonidal|cyst", mention.context, re.I):
            scanner.warnings.append(
                "incision and drainage of a hematoma, pilonidal or other cyst has its own "
                "code (10080-10140): not billed here"
            )
            return []
        complicated = _COMPLICATED.search(mention.context)
        if complicated:
            return [maker.line("10061", _P, [mention], f"I&D, {complicated[0]!r}")]
        return [maker.line("10060", _P, [mention], "I&D of an abscess, simple or single")]
    return []


# -- simple repair ----------------------------------------------------------------------------
_REPAIR = _rx(
    r"\b(?:laceration repair|repair(?:ed)?|sutur\w+|closed with|closure|dermabond|"
    r"tissue adhesive|staple[sd]?)\b"
)
_WOUND = _rx(r"lacerat\w*|wound|\bcut\b")
_NOT_SIMPLE = _rx(
    r"layered|intermediate|complex|layer closure|deep sutures|subcuticular|subcutaneous|"
    r"by planes|in layers|surgical|surgery|operati\w*|incision|resection|graft|flap|scler\w*|"
    r"intraoral|dura\b|peritomy"
)
_LENGTH_CM = _rx(r"(\d{1,3}(?:\.\d+)?)\s*(cm|mm|centimeters?)\b")
_LACERATION = _rx(r"lacerat\w*")
_FACE = _rx(
    r"face|facial|forehead|cheek|chin|\bears?\b|eyelid|eyebrow|nose|nasal|lips?\b|"
    r"mucous|mucosa|temple|jaw"
)
_BODY_CODES = (
    (Decimal("2.5"), "12001"),
    (Decimal("7.5"), "12002"),
    (Decimal("12.5"), "12004"),
    (Decimal(20), "12005"),
    (Decimal(30), "12006"),
)
_FACE_CODES = (
    (Decimal("2.5"), "12011"),
    (Decimal(5), "12013"),
    (Decimal("7.5"), "12014"),
    (Decimal("12.5"), "12015"),
    (Decimal(20), "12016"),
    (Decimal(30), "12017"),
)


def _repair_code(total: Decimal, table: tuple[tuple[Decimal, str], ...], last: str) -> str:
    return next((code for limit, code in table if total <= limit), last)


def simple_repairs(scanner: Scanner, maker: LineMaker) -> list[CodedService]:
    totals = {"face": Decimal(0), "body": Decimal(0)}
    evidence: dict[str, list[Mention]] = {"face": [], "body": []}
    seen: set[int] = set()
    for mention in scanner.mentions(_REPAIR, "A wound repair", _WOUND):
        context = mention.context
        if mention.context_start in seen or not _WOUND.search(context):
            continue
        seen.add(mention.context_start)
        if _NOT_SIMPLE.search(context):
            scanner.warnings.append(
                "layered or complex repair: intermediate/complex repair "
                "codes are not assigned by medcoder; not billed"
            )
            continue
        found = list(_LENGTH_CM.finditer(context))
        if not found:
            # The wound may be measured in the sentence before ("3 cm laceration of the
            # forearm. It was repaired with sutures."), never further away.
            earlier = [x for x in scanner.note.sentences if x.end <= mention.context_start]
            before = scanner.note.text_of(earlier[-1]) if earlier else ""
            found = list(_LENGTH_CM.finditer(before)) if _LACERATION.search(before) else []
            context = before
        if not found:
            scanner.warnings.append("wound repair without the wound length: not billed")
            continue
        for index, length in enumerate(found):
            end = found[index + 1].start() if index + 1 < len(found) else len(context)
            window = context[max(0, length.start() - 40) : end]
            group = "face" if _FACE.search(window) else "body"
            totals[group] += lengths_cm(length[0])[0]
            if mention not in evidence[group]:
                evidence[group].append(mention)
    lines = []
    for group, total in totals.items():
        if not total:
            continue
        if group == "face":
            code = _repair_code(total, _FACE_CODES, "12018")
            where = "face, ears, eyelids, nose, lips, mucous membranes"
        else:
            code = _repair_code(total, _BODY_CODES, "12007")
            where = "scalp, neck, axillae, genitalia, trunk, extremities"
        lines.append(
            maker.line(
                code,
                _P,
                evidence[group],
                f"simple repair, {total.normalize():f} cm summed over the {where} group",
            )
        )
    return lines


# -- nails ------------------------------------------------------------------------------------
_NAIL_DEBRIDE = _rx(
    r"\b(?:nail debridement|debridement of (?:\w+ ){0,3}(?:toe)?nails?|"
    r"(?:toe)?nails? (?:were |was )?debrided|debrided (?:\w+ ){0,3}(?:toe)?nails?)\b"
)
_NAIL_AVULSE = _rx(
    r"\b(?:nail (?:plate )?avulsion|avulsion of (?:the )?(?:\w+ ){0,3}(?:toe)?"
    r"nail(?: plate)?|(?:toe)?nail (?:was )?avulsed|wedge resection|matrixectomy|"
    r"removal of (?:the )?(?:\w+ ){0,3}(?:toe)?nail)\b"
)
_MATRIX = _rx(r"matrixectomy|phenol|matrix (?:was )?(?:destroyed|ablated|excised)|permanent")


_DIGIT_ORDER = (
    (r"great|big|first|1st|hallux|thumb", 0),
    (r"second|2nd|index", 1),
    (r"third|3rd|middle", 2),
    (r"fourth|4th|ring", 3),
    (r"fifth|5th|little|small|pinky", 4),
)
#: NCCI anatomic modifiers of the digits: left then right, first digit to fifth.
_TOE_MODIFIERS = {"LT": ("TA", "T1", "T2", "T3", "T4"), "RT": ("T5", "T6", "T7", "T8", "T9")}
_FINGER_MODIFIERS = {"LT": ("FA", "F1", "F2", "F3", "F4"), "RT": ("F5", "F6", "F7", "F8", "F9")}
_DIGIT = _rx(r"\b(?:(?:left|right|lt|rt)\s+)?(\w+)\s+(toe|finger)(?:nail)?s?\b|\b(hallux|thumb)\b")


def digit_modifier(text: str) -> str:
    """The NCCI anatomic modifier of the one digit ``text`` names ("left great toe" -> TA),
    or ``""`` when it names no side or no single digit."""
    side = side_of(text)
    match = _DIGIT.search(text)
    if side not in ("LT", "RT") or match is None:
        return ""
    word = (match[1] or match[3] or "").lower()
    kind = (match[2] or ("finger" if (match[3] or "").lower() == "thumb" else "toe")).lower()
    for pattern, index in _DIGIT_ORDER:
        if re.fullmatch(pattern, word):
            table = _TOE_MODIFIERS if kind == "toe" else _FINGER_MODIFIERS
            return table[side][index]
    return ""


def nail_procedures(scanner: Scanner, maker: LineMaker) -> list[CodedService]:
    lines: list[CodedService] = []
    for mention in scanner.mentions(_NAIL_DEBRIDE, "Nail debridement"):
        if re.search(r"\ball (?:ten|10)\b", mention.context, re.I):
            n: int | None = 10
        else:
            n = count_in(mention.context, r"(?:toe)?nails|nails")
        if n is None:
            scanner.warnings.append(
                "nail debridement: the number of nails is not documented; 1-5 assumed"
            )
        code = "11721" if (n or 1) >= 6 else "11720"
        lines.append(maker.line(code, _P, [mention], f"debridement of {n or 'some'} nail(s)"))
        break
    for mention in scanner.mentions(_NAIL_AVULSE, "Nail avulsion"):
        n = count_in(mention.context, r"(?:toe)?nails|nails") or 1
        side = side_of(mention.context)
        digit = digit_modifier(mention.context) if n == 1 else ""
        digits = [digit] if digit else []
        if _MATRIX.search(mention.context):
            lines.append(
                maker.line(
                    "11750",
                    _P,
                    [mention],
                    "nail and matrix removed (permanent)" + (f"; digit {digit}" if digit else ""),
                    units=n,
                    modifiers=digits,
                    site=f"{side} nail",
                )
            )
        else:
            lines.append(
                maker.line(
                    "11730",
                    _P,
                    [mention],
                    "nail plate avulsion, first nail" + (f"; digit {digit}" if digit else ""),
                    modifiers=digits,
                    site=f"{side} nail",
                )
            )
            if n > 1:
                lines.append(
                    maker.line("11732", _P, [mention], f"{n - 1} further nail(s)", units=n - 1)
                )
        break
    return lines
