"""Vaccines given today: the product code (CPT 90xxx) and its administration.

Administration: 90471 for the first vaccine given by injection, 90472 for each further one
(90473/90474 by mouth or nose). For Medicare, the flu, pneumococcal and hepatitis B vaccines
take G0008, G0009 and G0010 instead. A vaccine whose product the note does not name
("pneumonia shot", "COVID booster") gets no line but a warning: the product code decides the
payment and there is no safe default.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from medcoder.coding.services.lines import LineMaker
from medcoder.coding.services.model import CodedService, ServiceKind
from medcoder.coding.services.scan import Mention, Scanner

__all__ = ["VACCINES", "Vaccine", "find_vaccines"]


@dataclass(frozen=True, slots=True)
class Vaccine:
    """A vaccine product: how notes name it, its CPT number, its Medicare admin family."""

    name: str
    pattern: str
    code: str
    medicare_admin: str = ""  # G0008 flu, G0009 pneumococcal, G0010 hepatitis B
    nasal_or_oral: bool = False
    components: int = 1  # toxoids/antigens counted by 90460/90461 (DTaP: 3, MMR: 3)
    child_code: str = ""  # the pediatric/adolescent presentation, under 19 years

    @property
    def family(self) -> str:
        """One vaccine per family and visit: the named product wins over a generic mention."""
        return "influenza" if self.medicare_admin == "G0008" else self.code


_GENERIC_FLU = "influenza"
#: US flu vaccines are trivalent from the 2024-2025 season on.
_TRIVALENT_FROM = dt.date(2024, 7, 1)
_SHOT = r"(?:vaccine|vaccination|shot|immuni[sz]ation|booster|vaccinated)"
VACCINES: tuple[Vaccine, ...] = (
    Vaccine("influenza, high-dose", r"fluzone high[- ]dose|high[- ]dose (?:flu|influenza)\w*"
            rf"(?: {_SHOT})?", "90662", "G0008"),
    Vaccine("influenza, adjuvanted", r"fluad|adjuvanted (?:flu|influenza)\w*", "90653", "G0008"),
    Vaccine("influenza, cell culture", r"flucelvax", "90674", "G0008"),
    Vaccine("influenza, recombinant", r"flublok|recombinant (?:flu|influenza)", "90682", "G0008"),
    Vaccine("influenza, live nasal", r"flumist|laiv|(?:flu|influenza) nasal spray", "90672",
            "G0008", nasal_or_oral=True),
    Vaccine("influenza, trivalent", r"trivalent (?:flu|influenza)\w*(?: " + _SHOT + ")?", "90656",
            "G0008"),
    Vaccine("influenza, quadrivalent", r"quadrivalent (?:flu|influenza)\w*(?: " + _SHOT + ")?"
            r"|iiv4|fluzone quadrivalent", "90686", "G0008"),
    Vaccine(_GENERIC_FLU, r"(?:flu|influenza) " + _SHOT + r"|flu ?shot|iiv3?"
            r"|fluzone|fluarix|flulaval|afluria", "90656", "G0008"),
    Vaccine("pneumococcal PCV20", r"prevnar[- ]?20|pcv[- ]?20", "90677", "G0009"),
    Vaccine("pneumococcal PCV15", r"vaxneuvance|pcv[- ]?15", "90671", "G0009"),
    Vaccine("pneumococcal PCV13", r"prevnar[- ]?13|pcv[- ]?13", "90670", "G0009"),
    Vaccine("pneumococcal PPSV23", r"pneumovax(?:[- ]?23)?|ppsv[- ]?23|ppsv", "90732", "G0009"),
    Vaccine("DTaP-HepB-IPV", r"pediarix|dtap-hepb-ipv", "90723", components=5),
    Vaccine("DTaP-IPV-Hib-HepB", r"vaxelis", "90697", components=6),
    Vaccine("DTaP-IPV/Hib", r"pentacel|dtap-ipv/hib", "90698", components=5),
    Vaccine("DTaP-IPV", r"kinrix|quadracel|dtap-ipv", "90696", components=4),
    Vaccine("DTaP", r"dtap|daptacel|infanrix", "90700", components=3),
    Vaccine("IPV", r"ipol|ipv|polio " + _SHOT, "90713"),
    Vaccine("Hib PRP-OMP", r"pedvax ?hib|pedvax", "90647"),
    Vaccine("Hib PRP-T", r"acthib|hiberix|hib(?: " + _SHOT + ")?", "90648"),
    Vaccine("rotavirus, 3-dose", r"rotateq|rv5", "90680", nasal_or_oral=True),
    Vaccine("rotavirus, 2-dose", r"rotarix|rv1", "90681", nasal_or_oral=True),
    Vaccine("MMRV", r"proquad|mmrv", "90710", components=4),
    Vaccine("Tdap", r"tdap|boostrix|adacel", "90715", components=3),
    Vaccine("Td", r"(?-i:Td)(?: " + _SHOT + ")?|tenivac", "90714", components=2),
    Vaccine("zoster, recombinant", r"shingrix|(?:zoster|shingles) " + _SHOT, "90750"),
    Vaccine("hepatitis B, 2-dose adjuvanted", r"heplisav(?:-b)?", "90739", "G0010"),
    Vaccine("hepatitis B", r"engerix(?:-b)?|recombivax(?: hb)?|hepatitis b " + _SHOT
            + r"|hep b " + _SHOT, "90746", "G0010", child_code="90744"),
    Vaccine("hepatitis A", r"havrix|vaqta|hepatitis a " + _SHOT + r"|hep a " + _SHOT, "90632",
            child_code="90633"),
    Vaccine("HPV", r"gardasil(?:[- ]?9)?|hpv " + _SHOT, "90651"),
    Vaccine("MMR", r"mmr(?:[- ]?ii)?(?: " + _SHOT + ")?", "90707", components=3),
    Vaccine("varicella", r"varivax|varicella " + _SHOT + r"|chickenpox " + _SHOT, "90716"),
    Vaccine("meningococcal ACWY", r"menactra|menveo|menacwy", "90734"),
    Vaccine("RSV, adjuvanted", r"arexvy", "90679"),
    Vaccine("RSV, bivalent", r"abrysvo", "90678"),
)  # fmt: skip

_PATTERN = re.compile(
    r"\b(?:" + "|".join(f"(?P<v{i}>{v.pattern})" for i, v in enumerate(VACCINES)) + r")\b",
    re.IGNORECASE,
)
_UNNAMED = re.compile(
    r"\b(?:(?:pneumonia|pneumococcal|covid(?:-19)?|tetanus|rsv|coronavirus|rotavirus)\s+"
    + _SHOT
    + r")\b",
    re.IGNORECASE,
)
_NOT_A_DOSE = re.compile(
    r"\s*(?:\w+\s+)?(?:titers?|titres?|immunity|status|antibod\w*|serolog\w*|igg|surface)\b",
    re.IGNORECASE,
)
_MEDICARE = re.compile(r"\bmedicare\b", re.IGNORECASE)
_ADULT_AGE = 19
_COUNSELLING = re.compile(
    r"\bcounsel\w*|discussed (?:the )?(?:risks|benefits|vaccin\w*)|risks and benefits",
    re.IGNORECASE,
)


def _counselled(maker: LineMaker, given: list[tuple[Vaccine, Mention]]) -> list[CodedService]:
    """90460 for each vaccine's first component, 90461 for every further component."""
    mentions = [m for _, m in given]
    further = sum(v.components - 1 for v, _ in given)
    lines = [
        maker.line("90460", ServiceKind.VACCINE_ADMIN, mentions,
                   f"under 19 with counselling: first component of {len(given)} vaccine(s)",
                   units=len(given))
    ]  # fmt: skip
    if further:
        lines.append(
            maker.line("90461", ServiceKind.VACCINE_ADMIN, mentions,
                       "further components: " + ", ".join(
                           f"{v.name} {v.components - 1}" for v, _ in given if v.components > 1),
                       units=further)
        )  # fmt: skip
    return lines


def _medicare(scanner: Scanner, medicare: bool | None) -> bool:
    return medicare if medicare is not None else bool(_MEDICARE.search(scanner.note.text))


def find_vaccines(
    scanner: Scanner,
    maker: LineMaker,
    *,
    medicare: bool | None = None,
    day: dt.date | None = None,
    age: int | None = None,
) -> list[CodedService]:
    """Product and administration lines for each vaccine given today (in text order).

    Under 19 years the pediatric presentation is coded where it has its own code (hepatitis
    A 90633, hepatitis B 90744), and counselling by the physician about the vaccines makes
    the administration 90460 (first component of each vaccine) + 90461 (each further one).
    """
    chosen: dict[str, tuple[Vaccine, Mention]] = {}
    for mention in scanner.mentions(_PATTERN, "A vaccine"):
        match = _PATTERN.match(scanner.note.text, mention.start)
        assert match is not None and match.lastgroup is not None
        vaccine = VACCINES[int(match.lastgroup[1:])]
        if _NOT_A_DOSE.match(scanner.note.text, mention.end):
            continue  # "MMR titer", "hepatitis B immunity": a lab test, not a vaccine given
        known = chosen.get(vaccine.family)
        # The table lists specific products before the generic wording of their family.
        if known is None or VACCINES.index(vaccine) < VACCINES.index(known[0]):
            chosen[vaccine.family] = (vaccine, mention)
    given = sorted(chosen.values(), key=lambda vm: vm[1].start)
    for mention in scanner.mentions(_UNNAMED, "A vaccine"):
        scanner.warnings.append(
            f"vaccine given without its product ({mention.text!r}): name the product "
            "(e.g. Prevnar 20, Tdap) so the vaccine code can be chosen; not billed"
        )
    is_medicare = _medicare(scanner, medicare)
    if is_medicare:
        for vaccine, _ in [vm for vm in given if not vm[0].medicare_admin]:
            scanner.warnings.append(
                f"Medicare: the {vaccine.name} vaccine ({vaccine.code}) is not a Part B "
                "vaccine (Part D, or Part B only after an injury): not on this claim"
            )
        given = [vm for vm in given if vm[0].medicare_admin]
    child = age is not None and age < _ADULT_AGE
    lines = [
        maker.line(
            v.child_code if child and v.child_code else v.code,
            ServiceKind.VACCINE,
            [m],
            f"vaccine product: {v.name}"
            + (f", pediatric presentation (age {age})" if child and v.child_code else "")
            + f" ({m.text!r})",
        )
        for v, m in given
        if v.name != _GENERIC_FLU
    ]
    for vaccine, mention in given:
        if vaccine.name == _GENERIC_FLU:
            trivalent = day is None or day >= _TRIVALENT_FROM
            code = "90656" if trivalent else "90686"
            kind = "trivalent" if trivalent else "quadrivalent"
            scanner.warnings.append(
                f"flu vaccine without its presentation ({mention.text!r}): {code} ({kind}, "
                "preservative-free, for the season of the date of service) assumed; check the "
                "lot and the product"
            )
            lines.append(
                maker.line(code, ServiceKind.VACCINE, [mention],
                           f"vaccine product: influenza, {kind} assumed ({mention.text!r})",
                           score=0.7)
            )  # fmt: skip
    lines.sort(key=lambda line: line.evidence[0].start)
    others: list[tuple[Vaccine, Mention]] = []
    for vaccine, mention in given:
        if is_medicare and vaccine.medicare_admin:
            lines.append(
                maker.line(
                    vaccine.medicare_admin,
                    ServiceKind.VACCINE_ADMIN,
                    [mention],
                    f"Medicare: administration of the {vaccine.name} vaccine",
                )
            )
        else:
            others.append((vaccine, mention))
    if others and child and _COUNSELLING.search(scanner.note.text):
        lines.extend(_counselled(maker, others))
        return lines
    injected = [(v, m) for v, m in others if not v.nasal_or_oral]
    nasal = [(v, m) for v, m in others if v.nasal_or_oral]
    if injected:
        first, rest = injected[0], injected[1:]
        lines.append(
            maker.line("90471", ServiceKind.VACCINE_ADMIN, [first[1]],
                       f"first vaccine given by injection ({first[0].name})")
        )  # fmt: skip
        if rest:
            lines.append(
                maker.line("90472", ServiceKind.VACCINE_ADMIN, [m for _, m in rest],
                           "each further vaccine by injection ("
                           + ", ".join(v.name for v, _ in rest) + ")", units=len(rest))
            )  # fmt: skip
    if nasal:
        code = "90474" if injected else "90473"
        lines.append(
            maker.line(code, ServiceKind.VACCINE_ADMIN, [m for _, m in nasal],
                       "vaccine by mouth or nose" + (" after an injected one" if injected else ""),
                       units=len(nasal))
        )  # fmt: skip
    return lines
