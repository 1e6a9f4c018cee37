"""Skin procedures: biopsies (11102-11107), destruction of premalignant and benign lesions
(17000-17004, 17110-17111), intralesional injection (11900-11901).

The technique (shave/tangential, punch, incisional) and the number of lesions decide the
biopsy codes: one primary code for the visit, the highest ranked technique, every other
lesion an add-on of its own technique. Punch and incisional biopsies need a skin word in
their sentence (an incisional biopsy of a submandibular tumor is another code).
"""

from __future__ import annotations

import re

from medcoder.coding.services.lines import LineMaker
from medcoder.coding.services.model import CodedService, ServiceKind
from medcoder.coding.services.scan import (
    Mention,
    Scanner,
    count_in,
    site_in,
)

__all__ = ["intralesional_injection", "lesion_destruction", "skin_biopsies"]

_P = ServiceKind.PROCEDURE


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# -- skin biopsies ------------------------------------------------------------------------------
_BIOPSY = _rx(r"\b(?:(?:shave|tangential|punch|incisional|skin)\s+)?biops(?:y|ies|ied)\b")
#: A punch or incisional biopsy is a skin biopsy only when the sentence says skin (an
#: incisional biopsy of a submandibular tumor or an eyelid is another code).
_SKIN = _rx(
    r"\bskin\b|cutaneous|\bmoles?\b|nev(?:us|i)\b|papul\w*|plaques?\b|macul\w*|"
    r"keratos\w*|dermat\w*|shave|tangential"
)
_LESION = _rx(r"\blesions?\b")


def _on_skin(context: str) -> bool:
    """A skin word, or a lesion on a body surface site ("1 lesion on the back")."""
    return bool(_SKIN.search(context) or (_LESION.search(context) and site_in(context)))


_TECHNIQUES = (
    ("incisional", "11106", "11107"),
    ("punch", "11104", "11105"),
    ("shave|tangential", "11102", "11103"),
)


def skin_biopsies(scanner: Scanner, maker: LineMaker) -> list[CodedService]:
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
        if technique is not None and not _on_skin(mention.context):
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


def lesion_destruction(scanner: Scanner, maker: LineMaker) -> list[CodedService]:
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


# -- intralesional injection --------------------------------------------------------------
_INTRALESIONAL = _rx(
    r"\bintralesional\b|injected into (?:the |\w+ ){0,3}(?:keloids?|scars?|lesions?)"
)
_SKIN_LESIONS = r"keloids|scars|lesions|plaques|nodules|cysts"


def intralesional_injection(scanner: Scanner, maker: LineMaker) -> list[CodedService]:
    for mention in scanner.mentions(_INTRALESIONAL, "An intralesional injection"):
        if not re.search(r"inject\w*|kenalog|triamcinolone", mention.context, re.I):
            continue
        n = count_in(mention.context, _SKIN_LESIONS) or 1
        code = "11901" if n > 7 else "11900"
        return [maker.line(code, _P, [mention], f"intralesional injection, {n} lesion(s)")]
    return []
