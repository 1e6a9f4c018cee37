"""Office procedures: cerumen removal, skin biopsies, lesion destruction, joint injections
and aspirations, incision and drainage, simple repairs, nail procedures, wellness visits.

Each finder reads the sentence that names the procedure for what decides the code: the
method (instruments vs irrigation; shave vs punch vs incisional), the count (lesions, nails),
the joint size and ultrasound guidance, the side (RT/LT, 50 for both), the wound lengths
summed per anatomic group. When the note lacks what decides the code, it warns instead of
guessing.
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
    site_in,
)

__all__ = ["find_office_procedures"]

_P = ServiceKind.PROCEDURE


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# -- cerumen ----------------------------------------------------------------------------------
_CERUMEN = _rx(r"\b(?:impacted cerumen|cerumen(?: impaction)?|ear ?wax)\b")
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


# -- skin biopsies ------------------------------------------------------------------------------
_BIOPSY = _rx(r"\b(?:(?:shave|tangential|punch|incisional|skin)\s+)?biops(?:y|ies|ied)\b")
#: A punch or incisional biopsy is a skin biopsy only when the sentence says skin (an
#: incisional biopsy of a submandibular tumor or an eyelid is another code).
_SKIN = _rx(
    r"\bskin\b|cutaneous|\bmoles?\b|nev(?:us|i)\b|papul\w*|plaques?\b|macul\w*|"
    r"keratos\w*|dermat\w*|shave|tangential"
)
_TECHNIQUES = (
    ("incisional", "11106", "11107"),
    ("punch", "11104", "11105"),
    ("shave|tangential", "11102", "11103"),
)


def _biopsies(scanner: Scanner, maker: LineMaker) -> list[CodedService]:
    counts: dict[str, int] = {}
    evidence: dict[str, list[Mention]] = {}
    mentions = list(scanner.mentions(_BIOPSY, "A skin biopsy"))
    for index, mention in enumerate(mentions):
        # The words from this mention to the next one in its sentence describe its lesions.
        following = mentions[index + 1] if index + 1 < len(mentions) else None
        same = following is not None and following.context_start == mention.context_start
        end = (
            following.start if same and following else mention.context_start + len(mention.context)
        )
        window = scanner.note.text[mention.start : end]
        own = next(
            (t for t, _, _ in _TECHNIQUES if re.search(rf"\b(?:{t})\b", mention.text, re.I)),
            None,
        )
        technique = own or next(
            (t for t, _, _ in _TECHNIQUES if re.search(rf"\b(?:{t})\b", mention.context, re.I)),
            None,
        )
        if technique is not None and not _SKIN.search(mention.context):
            continue
        if technique is None:
            if re.search(r"\bexcision\w*\b", mention.context, re.I):
                scanner.warnings.append(
                    "excisional biopsy: code the excision (114xx/116xx) by lesion size and "
                    "margins; not billed here"
                )
            continue
        if own is None and any(
            m.context_start == mention.context_start for m in evidence.get(technique, [])
        ):
            continue  # "the biopsy site" after "shave biopsy" in the same sentence
        n = count_in(window, r"biopsies|lesions|sites|areas") or 1
        counts[technique] = counts.get(technique, 0) + n
        evidence.setdefault(technique, []).append(mention)
    lines: list[CodedService] = []
    primary_done = False
    for technique, first, addon in _TECHNIQUES:
        n = counts.get(technique, 0)
        if not n:
            continue
        name = technique.split("|")[0]
        mentions = evidence[technique]
        if not primary_done:
            lines.append(maker.line(first, _P, mentions, f"{name} biopsy, first lesion"))
            primary_done = True
            n -= 1
        if n:
            lines.append(
                maker.line(addon, _P, mentions, f"{name} biopsy, {n} further lesion(s)", units=n)
            )
    return lines


# -- destruction ------------------------------------------------------------------------------
_DESTRUCTION = _rx(
    r"\b(?:cryotherapy|cryo(?:ablation|surgery)?|liquid nitrogen|ln2|destruction|destroyed|"
    r"electrodesiccation|ed&c|frozen|froze|treated with (?:liquid nitrogen|cryo\w*))\b"
)
_PREMALIGNANT = _rx(r"actinic keratos[ie]s|\baks?\b|premalignant|solar keratos[ie]s")
_BENIGN = _rx(r"\bwarts?\b|verruca\w*|molluscum|seborrheic keratos[ie]s|\bsks?\b|condylom\w*")
_ANY_LESION = _rx(_PREMALIGNANT.pattern + "|" + _BENIGN.pattern)
_LESIONS = r"actinic keratoses|aks|lesions|warts|verrucae|keratoses|sks|spots"


_PREMALIGNANT_NOUNS = r"actinic keratos[ie]s|aks?|solar keratos[ie]s|premalignant lesions?"
_BENIGN_NOUNS = r"warts?|verrucae|seborrheic keratos[ie]s|sks?|molluscum|condylomata"


def _destruction(scanner: Scanner, maker: LineMaker) -> list[CodedService]:
    premalignant: list[tuple[int, Mention, str]] = []
    benign: list[tuple[int, Mention, str]] = []
    seen: set[int] = set()
    for mention in scanner.mentions(_DESTRUCTION, "Destruction of lesions", _ANY_LESION):
        context = mention.context
        if mention.context_start in seen:
            continue
        seen.add(mention.context_start)
        both = bool(_PREMALIGNANT.search(context) and _BENIGN.search(context))
        for kind, pattern, nouns in (
            (premalignant, _PREMALIGNANT, _PREMALIGNANT_NOUNS),
            (benign, _BENIGN, _BENIGN_NOUNS),
        ):
            found = pattern.search(context)
            if found is None:
                continue
            # One kind in the sentence: "5 lesions" counts it; both kinds: each its own noun.
            count = count_in(context, nouns if both else f"{nouns}|{_LESIONS}")
            if count is None:
                scanner.warnings.append(
                    "lesion destruction: the number of lesions is not documented; one assumed"
                )
            kind.append((count or 1, mention, site_in(context[found.start() :])))
    lines: list[CodedService] = []
    n = sum(c for c, _, _ in premalignant)
    ak_mentions = [m for _, m, _ in premalignant]
    site = premalignant[0][2] if premalignant else ""
    if n >= 15:
        lines.append(
            maker.line(
                "17004", _P, ak_mentions, f"{n} premalignant lesions (15 or more)", site=site
            )
        )
    elif n:
        lines.append(maker.line("17000", _P, ak_mentions, "premalignant lesion, first", site=site))
        if n > 1:
            lines.append(
                maker.line(
                    "17003", _P, ak_mentions, f"premalignant lesions 2-{n}", units=n - 1, site=site
                )
            )
    n = sum(c for c, _, _ in benign)
    if n:
        code = "17111" if n >= 15 else "17110"
        lines.append(
            maker.line(
                code,
                _P,
                [m for _, m, _ in benign],
                f"{n} benign lesion(s) destroyed",
                site=benign[0][2],
            )
        )
    return lines


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
_ULTRASOUND = _rx(r"ultrasound|sonograph\w*|\bus[- ]guid\w*|under us\b")


def _joints(scanner: Scanner, maker: LineMaker) -> list[CodedService]:
    lines: list[CodedService] = []
    seen: set[tuple[str, str]] = set()
    for mention in scanner.mentions(_JOINT_ACT, "A joint injection", _JOINT_WORD):
        context = mention.context
        if _NOT_JOINT.search(context):
            continue
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
            previous = joint.end()
            name = joint[0].lower().rstrip("s") if joint[0].lower() != "ankles" else "ankle"
            if (name, side) in seen:
                continue
            seen.add((name, side))
            with_us = bool(_ULTRASOUND.search(context))
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


# -- intralesional injection --------------------------------------------------------------
_INTRALESIONAL = _rx(
    r"\bintralesional\b|injected into (?:the |\w+ ){0,3}(?:keloids?|scars?|lesions?)"
)
_SKIN_LESIONS = r"keloids|scars|lesions|plaques|nodules|cysts"


def _intralesional(scanner: Scanner, maker: LineMaker) -> list[CodedService]:
    for mention in scanner.mentions(_INTRALESIONAL, "An intralesional injection"):
        if not re.search(r"inject\w*|kenalog|triamcinolone", mention.context, re.I):
            continue
        n = count_in(mention.context, _SKIN_LESIONS) or 1
        code = "11901" if n > 7 else "11900"
        return [maker.line(code, _P, [mention], f"intralesional injection, {n} lesion(s)")]
    return []


# -- incision and drainage ------------------------------------------------------------------
_INCISION = _rx(r"\b(?:incision and drainage|i\s?&\s?d|i and d|incised and drained)\b")
_COMPLICATED = _rx(r"complicated|complex|multiple|several|loculat\w*|\b(?:two|three|2|3) absc")


def _incision(scanner: Scanner, maker: LineMaker) -> list[CodedService]:
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


def _repairs(scanner: Scanner, maker: LineMaker) -> list[CodedService]:
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


def _nails(scanner: Scanner, maker: LineMaker) -> list[CodedService]:
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
        if _MATRIX.search(mention.context):
            lines.append(
                maker.line(
                    "11750",
                    _P,
                    [mention],
                    "nail and matrix removed (permanent)",
                    units=n,
                    site=f"{side} nail",
                )
            )
        else:
            lines.append(
                maker.line(
                    "11730", _P, [mention], "nail plate avulsion, first nail", site=f"{side} nail"
                )
            )
            if n > 1:
                lines.append(
                    maker.line("11732", _P, [mention], f"{n - 1} further nail(s)", units=n - 1)
                )
        break
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
        *_biopsies(scanner, maker),
        *_destruction(scanner, maker),
        *_joints(scanner, maker),
        *_intralesional(scanner, maker),
        *_incision(scanner, maker),
        *_repairs(scanner, maker),
        *_nails(scanner, maker),
    ]
