"""Office procedures: cerumen removal, joint injections and aspirations, wellness visits, and
:func:`find_office_procedures`, which also runs the skin (:mod:`.skin_procedures`) and wound
and nail (:mod:`.wound_procedures`) finders.

Each finder reads the sentence that names the procedure for what decides the code: the
method (instruments vs irrigation; shave vs punch vs incisional), the count (lesions, nails),
the joint size and ultrasound guidance, the side (RT/LT, 50 for both), the wound lengths
summed per anatomic group. When the note lacks what decides the code, it warns instead of
guessing.
"""

from __future__ import annotations

import re

from medcoder.coding.services.lines import LineMaker
from medcoder.coding.services.model import CodedService, ServiceKind
from medcoder.coding.services.scan import (
    Mention,
    Scanner,
    side_of,
)
from medcoder.coding.services.skin_procedures import (
    intralesional_injection,
    lesion_destruction,
    skin_biopsies,
)
from medcoder.coding.services.wound_procedures import (
    incision_and_drainage,
    nail_procedures,
    simple_repairs,
)

__all__ = ["find_office_procedures"]

_P = ServiceKind.PROCEDURE


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# -- cerumen ----------------------------------------------------------------------------------
_CERUMEN = _rx(
    r"\b(?:impacted cerumen|cerumen(?: impaction)?|ear ?wax|ears? (?:lavage|irrigation)|"
    r"irrigat\w* (?:of )?(?:the )?(?:right |left |both )?ears?)\b"
)
_CERUMEN_ACTION = _rx(
    r"remov\w*|disimpact\w*|extract\w*|curett\w*|irrigat\w*|lavage|flush\w*|"
    r"suction\w*|cleared|clean\w*"
)
_INSTRUMENT = _rx(r"curett\w*|forceps|suction\w*|instrument\w*|loop|alligator|hook|manual\w*")
_IRRIGATION = _rx(r"irrigat\w*|lavage|flush\w*")
_AUDIO = _rx(r"\b(audiometry|audiogram|audiologic\w*|hearing (?:test|screen)\w*)\b")


def _cerumen(scanner: Scanner, maker: LineMaker, medicare: bool) -> list[CodedService]:
    for mention in scanner.mentions(_CERUMEN, "Cerumen removal", _CERUMEN_ACTION):
        side = side_of(mention.context)
        if medicare and _AUDIO.search(scanner.note.text):
            return [
                maker.line(
                    "G0268",
                    _P,
                    [mention],
                    "Medicare: impacted cerumen removed on "
                    "the day of audiologic testing (one or both ears)",
                )
            ]
        if _INSTRUMENT.search(mention.context):
            code, why = "69210", "impacted cerumen removed with instruments"
        elif _IRRIGATION.search(mention.context):
            code, why = "69209", "cerumen removed by irrigation/lavage"
        else:
            scanner.warnings.append(
                "cerumen removal without its method (instruments or irrigation): not billed"
            )
            return []
        modifiers = [side] if side else []
        if not side:
            scanner.warnings.append(f"{code}: the ear (right, left, both) is not documented")
        why += {"50": "; both ears (50)", "RT": "; right ear (RT)", "LT": "; left ear (LT)"}.get(
            side, ""
        )
        return [maker.line(code, _P, [mention], why, modifiers=modifiers, site=f"{side} ear")]
    return []


# -- joints -----------------------------------------------------------------------------------
_JOINT_ACT = _rx(r"\b(?:arthrocentesis|inject(?:ed|ion|ions)|aspirat(?:ed|ion)|intra-?articular)\b")
_JOINT_SIZES = (
    (
        "large",
        "20610",
        "20611",
        r"knees?|shoulders?|hips?|subacromial(?: bursa)?|glenohumeral"
        r"|trochanteric bursa|greater trochanter(?:ic)?(?: bursa)?",
    ),
    (
        "intermediate",
        "20605",
        "20606",
        r"wrists?|elbows?|ankles?|olecranon bursa|"
        r"acromioclavicular|ac joint|temporomandibular|tmj|pes anserine bursa",
    ),
    (
        "small",
        "20600",
        "20604",
        r"fingers?|thumbs?|toes?|mcp|pip|dip|mtp|cmc|metacarpophalangeal|"
        r"interphalangeal|metatarsophalangeal|carpometacarpal",
    ),
)
_JOINT_WORD = _rx(r"\b(?:" + "|".join(f"(?P<{s}>{p})" for s, _, _, p in _JOINT_SIZES) + r")\b")
_NOT_JOINT = _rx(
    r"trigger finger|tendon sheath|carpal tunnel|de ?quervain|trigger point|"
    r"plantar fasci\w*|epicondyl\w*|deltoid|gluteal|vaccin\w*"
)
_ANY_JOINT = _rx(_JOINT_WORD.pattern + r"|\bjoint\b|intra-?articular")


def _earlier_joint(scanner: Scanner, mention: Mention) -> str:
    """The sentence (of the same section, at most two back) that names the joint, with the
    mention's own sentence; ``""`` when none does."""
    note = scanner.note
    section = note.section_at(mention.start)
    earlier = [
        s for s in note.sentences if s.end <= mention.context_start and s.start >= section.start
    ][-2:]
    for sentence in reversed(earlier):
        text = note.text_of(sentence)
        if _JOINT_WORD.search(text):
            return text + " " + mention.context
    return ""


_ULTRASOUND = _rx(r"ultrasound|sonograph\w*|\bus[- ]guid\w*|under us\b")


def _joints(scanner: Scanner, maker: LineMaker) -> list[CodedService]:
    lines: list[CodedService] = []
    seen: set[tuple[str, str]] = set()
    for mention in scanner.mentions(_JOINT_ACT, "A joint injection", _ANY_JOINT):
        context = mention.context
        if _NOT_JOINT.search(context):
            continue
        if not _JOINT_WORD.search(context):
            # "... were injected into the joint": the joint is named a sentence or two before.
            context = _earlier_joint(scanner, mention)
            if not context:
                continue
        earlier = [x for x in scanner.note.sentences if x.end <= mention.context_start][-1:]
        before = scanner.note.text_of(earlier[0]) if earlier else ""  # "Ultrasound used. ..."
        if _JOINT_ACT.search(before):
            before = ""  # another injection's sentence: its guidance is its own
        previous = 0
        last_end = -1
        for joint in _JOINT_WORD.finditer(context):
            gap = context[last_end : joint.start()] if last_end >= 0 else ""
            last_end = joint.end()
            if gap and len(gap.split()) <= 1 and not re.search(r"and|,|;|&", gap):
                continue  # "thumb CMC joint": one joint named twice
            size = joint.lastgroup or ""
            _, plain, guided, _ = next(s for s in _JOINT_SIZES if s[0] == size)
            side = side_of(context[previous : joint.end()])
            if not side:  # "the knee (right)", "knee, left"
                side = side_of(" ".join(context[joint.end() :].split()[:2]))
            previous = joint.end()
            name = joint[0].lower().rstrip("s") if joint[0].lower() != "ankles" else "ankle"
            if (name, side) in seen:
                continue
            seen.add((name, side))
            with_us = bool(_ULTRASOUND.search(context) or _ULTRASOUND.search(before))
            code = guided if with_us else plain
            why = f"{size} joint/bursa ({joint[0]}) {mention.text.lower()}" + (
                " with ultrasound guidance" if with_us else ""
            )
            modifiers = [side] if side else []
            if not side:
                scanner.warnings.append(f"{code}: the side of the {joint[0]} is not documented")
            lines.append(
                maker.line(code, _P, [mention], why, modifiers=modifiers, site=f"{side} {name}")
            )
    return lines


# -- wellness visits --------------------------------------------------------------------------
_AWV = _rx(
    r"\b(?:annual wellness visit|awv|medicare wellness visit|welcome to medicare(?: visit)?"
    r"|ippe|initial preventive physical exam\w*)\b"
)


def _wellness(scanner: Scanner, maker: LineMaker) -> list[CodedService]:
    for mention in scanner.mentions(_AWV, "A wellness visit"):
        text = mention.context
        if re.search(r"welcome to medicare|ippe|initial preventive physical", text, re.I):
            return [
                maker.line(
                    "G0402",
                    ServiceKind.PREVENTIVE,
                    [mention],
                    "initial preventive physical examination (Welcome to Medicare)",
                )
            ]
        if re.search(r"\b(initial|first)\b", text, re.I):
            return [
                maker.line(
                    "G0438", ServiceKind.PREVENTIVE, [mention], "annual wellness visit, initial"
                )
            ]
        if not re.search(r"\bsubsequent\b", text, re.I):
            scanner.warnings.append(
                "annual wellness visit: initial or subsequent is not "
                "stated; subsequent (G0439) assumed"
            )
        return [
            maker.line(
                "G0439", ServiceKind.PREVENTIVE, [mention], "annual wellness visit, subsequent"
            )
        ]
    return []


def find_office_procedures(
    scanner: Scanner, maker: LineMaker, *, medicare: bool = False
) -> list[CodedService]:
    """Lines for the office procedures done today, family by family."""
    return [
        *_wellness(scanner, maker),
        *_cerumen(scanner, maker, medicare),
        *skin_biopsies(scanner, maker),
        *lesion_destruction(scanner, maker),
        *_joints(scanner, maker),
        *intralesional_injection(scanner, maker),
        *incision_and_drainage(scanner, maker),
        *simple_repairs(scanner, maker),
        *nail_procedures(scanner, maker),
    ]
