"""Injected and infused drugs: HCPCS J-codes with units (administration: :mod:`.administration`).

Units are the documented dose over the dose the code bills per unit (``kb.hcpcs``), rounded
up as CMS instructs (J1885 ketorolac per 15 mg: 60 mg -> 4 units, 20 mg -> 2). A drug with
several strength codes (methylprednisolone acetate 20/40/80 mg) takes the largest codes
first; the route decides the administration code (:mod:`.administration`).

A drug injected into a joint, bursa or lesion is paid with the procedure (no 96372); a drug
taken by mouth, inhaled or prescribed is not a service line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal

from medcoder.codesets.hcpcs import BillingUnit
from medcoder.coding.services.administration import (
    GivenDrug,
    administration_lines,
    hydration_episodes,
)
from medcoder.coding.services.doses import DOSE, doses_in, units_for
from medcoder.coding.services.lines import LineMaker
from medcoder.coding.services.model import CodedService, ServiceKind
from medcoder.coding.services.scan import Mention, Scanner, minutes_in, site_in
from medcoder.errors import CodeError

__all__ = ["DRUGS", "DrugCode", "find_drugs"]


@dataclass(frozen=True, slots=True)
class DrugCode:
    """A drug and its J-code(s), largest strength first.

    ``per`` overrides the billing unit parsed from the descriptor (for descriptors that
    state it in a way the parser cannot read, e.g. J0561 "100,000 units").
    """

    name: str
    pattern: str
    codes: tuple[str, ...]
    per: tuple[tuple[Decimal, str], ...] = ()


DRUGS: tuple[DrugCode, ...] = (
    DrugCode("ketorolac", r"ketorolac|toradol", ("J1885",)),
    DrugCode("ceftriaxone", r"ceftriaxone|rocephin", ("J0696",)),
    DrugCode(
        "methylprednisolone acetate",
        r"methylprednisolone acetate|depo[- ]?medrol",
        ("J1040", "J1030", "J1020"),
    ),
    DrugCode(
        "methylprednisolone sodium succinate",
        r"methylprednisolone sodium succinate|solu[- ]?medrol",
        ("J2930", "J2920"),
    ),
    DrugCode(
        "triamcinolone acetonide", r"triamcinolone(?: acetonide)?|kenalog(?:-?40)?", ("J3301",)
    ),
    DrugCode("dexamethasone", r"dexamethasone(?: sodium phosphate)?|decadron", ("J1100",)),
    DrugCode(
        "betamethasone",
        r"betamethasone(?: sodium phosphate(?: and| ?/) ?(?:betamethasone )?acetate)?"
        r"|celestone(?: soluspan)?",
        ("J0702",),
        ((Decimal(6), "mg"),),
    ),
    DrugCode("promethazine", r"promethazine|phenergan", ("J2550",)),
    DrugCode("ondansetron", r"ondansetron|zofran", ("J2405",)),
    DrugCode("cyanocobalamin", r"cyanocobalamin|vitamin b-?12|b-?12", ("J3420",)),
    DrugCode(
        "medroxyprogesterone", r"medroxyprogesterone(?: acetate)?|depo[- ]?provera", ("J1050",)
    ),
    DrugCode("testosterone cypionate", r"testosterone cypionate|depo[- ]?testosterone", ("J1071",)),
    DrugCode("diphenhydramine", r"diphenhydramine|benadryl", ("J1200",)),
    DrugCode("epinephrine", r"epinephrine|adrenalin", ("J0171",)),
    DrugCode(
        "penicillin G benzathine",
        r"penicillin g benzathine|benzathine penicillin(?: g)?|bicillin(?: l-?a)?",
        ("J0561",),
        ((Decimal(100000), "units"),),
    ),
    DrugCode("morphine", r"morphine(?: sulfate)?", ("J2270",)),
    DrugCode("hydromorphone", r"hydromorphone|dilaudid", ("J1170",)),
    DrugCode("meperidine", r"meperidine|demerol", ("J2175",)),
    DrugCode("insulin, regular", r"regular insulin|insulin regular", ("J1815",)),
)  # fmt: skip

_DRUG_PATTERN = re.compile(
    r"\b(?:" + "|".join(f"(?P<d{i}>{d.pattern})" for i, d in enumerate(DRUGS)) + r")\b",
    re.IGNORECASE,
)
_NOT_INJECTED = re.compile(
    r"\b(po|by mouth|orally|oral|odt|orally disintegrating|sublingual|tablets?|tabs?|capsules?|"
    r"nebuli[sz]\w*|inhal\w*|topical\w*|"
    r"prescri\w*|rx|sent to (the )?pharmacy|script|refill\w*|patch|cream|ointment|drops?)\b",
    re.IGNORECASE,
)
_WITH_PROCEDURE = re.compile(
    r"intra-?articular|into the (?:\w+\s+){0,3}(joint|bursa|knee|shoulder|hip|wrist|elbow|"
    r"ankle)|joint injection|bursa|trigger point|intralesional|intradermal|nerve block|"
    r"epidural|intrathecal|local anesthe\w*|digital block|\bblock\b",
    re.IGNORECASE,
)
_INJECTED_ONLY = re.compile(r"inject(ed|ion)", re.IGNORECASE)
_JOINT = re.compile(
    r"\b(knees?|shoulders?|hips?|wrists?|elbows?|ankles?|joints?|bursa|fingers?|thumbs?|toes?)\b",
    re.IGNORECASE,
)
_PUSH = re.compile(r"\b(iv push|ivp|slow iv|iv bolus|intravenous push|push(ed)?)\b", re.I)
_INFUSION = re.compile(r"\b(infus\w*|ivpb|piggyback|drip)\b", re.IGNORECASE)
_IV = re.compile(r"\b(iv|intravenous(ly)?)\b", re.IGNORECASE)
_IM_SC = re.compile(
    r"\b(im|intramuscular(ly)?|sc|sq|subcut\w*|sub-?q|deltoid|glute\w*|ventrogluteal|"
    r"vastus lateralis|inject(ed|ion))\b",
    re.IGNORECASE,
)


def _route_words(text: str, mention: Mention, *, weak: bool) -> str | None:
    """The route ``text`` names ("none": not injected), or None when it names none; ``weak``
    lets a bare "injected" or a joint word decide."""
    if _NOT_INJECTED.search(text):
        return "none"
    if _WITH_PROCEDURE.search(text):
        return "procedure"
    explicit = [m for m in _IM_SC.finditer(text) if not _INJECTED_ONLY.fullmatch(m[0])]
    if explicit:
        return "im"
    if _PUSH.search(text):
        return "push"
    if _INFUSION.search(text):
        return "infusion"
    if _IV.search(text):
        minutes = minutes_in(mention.after)
        return "infusion" if minutes is not None and minutes > 15 else "push"
    if weak and _JOINT.search(text):
        return "procedure"  # "Right knee injected with Kenalog 40 mg"
    if weak and _IM_SC.search(text):
        return "im"
    return None


def _route(mention: Mention, own: str) -> str | None:
    """The route of a drug: from its own clause (up to the next drug named in the sentence),
    else from the whole sentence ("Zofran 4 mg IV push and Toradol 30 mg IM")."""
    for text, weak in ((own, False), (mention.context, False), (mention.context, True)):
        route = _route_words(text, mention, weak=weak)
        if route is not None:
            return None if route == "none" else route
    return None


def _per(maker: LineMaker, drug: DrugCode, scanner: Scanner) -> list[tuple[Decimal, str]] | None:
    if drug.per:
        return list(drug.per)
    units: list[tuple[Decimal, str]] = []
    for code in drug.codes:
        try:
            unit: BillingUnit | None = maker.kb.hcpcs.billing_unit(code)
        except CodeError:
            scanner.warnings.append(f"{code} ({drug.name}) is not in the HCPCS release: not billed")
            return None
        if unit is None:
            return None
        units.append((unit.quantity, unit.unit))
    return units


def _drug_lines(
    maker: LineMaker, scanner: Scanner, drug: DrugCode, given: GivenDrug
) -> list[CodedService]:
    mention = given.mention
    doses = doses_in(mention.context)
    if not doses:
        concentration = (
            " (a concentration without the volume given)" if DOSE.search(mention.context) else ""
        )
        scanner.warnings.append(
            f"{drug.name} given without a documented dose{concentration}: {drug.codes[-1]} "
            "units cannot be computed, query the provider"
        )
        return []
    per = _per(maker, drug, scanner)
    # The dose nearest the drug's name among those in its billing unit's dimension
    # ("30 mL of fluid removed; then 40 mg Depo-Medrol" -> 40 mg).
    at = mention.start - mention.context_start
    ranked = sorted(doses, key=lambda d: (d.start < at, abs(d.start - at)))
    dose, counts = ranked[0], None
    for candidate in ranked:
        found = units_for(candidate.quantity, candidate.unit, per) if per else None
        if found is not None:
            dose, counts = candidate, found
            break
    if counts is None or per is None:
        scanner.warnings.append(
            f"{drug.name} {dose.label}: the dose cannot be converted to the billing unit of "
            f"{'/'.join(drug.codes)}; not billed"
        )
        return []
    lines = []
    for code, (qty, unit), n in zip(drug.codes, per, counts, strict=True):
        if n <= 0:
            continue
        lines.append(
            maker.line(
                code,
                ServiceKind.DRUG,
                [mention],
                f"{drug.name} {dose.label} ({given.route}); {code} bills per {qty.normalize():f} "
                f"{unit}: {n} unit(s), rounded up",
                units=n,
            )
        )
    return lines


def _merged(lines: list[CodedService]) -> list[CodedService]:
    """One line per J-code: the units of each administration summed."""
    out: dict[str, CodedService] = {}
    for line in lines:
        known = out.get(line.code)
        out[line.code] = (
            line
            if known is None
            else replace(
                known,
                units=known.units + line.units,
                evidence=(*known.evidence, *line.evidence),
                rationale=f"{known.rationale} + {line.rationale}",
            )
        )
    return list(out.values())


def find_drugs(scanner: Scanner, maker: LineMaker) -> list[CodedService]:
    """J-code lines and administration lines for the drugs injected or infused today."""
    given: list[tuple[DrugCode, GivenDrug]] = []
    # A drug named again is the same administration unless both name different sites
    # ("Kenalog 40 mg into the right knee ... Kenalog 40 mg into the left shoulder").
    seen: dict[str, set[str]] = {}
    mentions = list(scanner.mentions(_DRUG_PATTERN, "A drug administration"))
    for index, mention in enumerate(mentions):
        match = _DRUG_PATTERN.match(scanner.note.text, mention.start)
        assert match is not None and match.lastgroup is not None
        drug = DRUGS[int(match.lastgroup[1:])]
        following = mentions[index + 1] if index + 1 < len(mentions) else None
        same = following is not None and following.context_start == mention.context_start
        own = (
            mention.after[: following.start - mention.start]
            if same and following
            else mention.after
        )
        route = _route(mention, own)
        if route is None:
            continue
        site = site_in(own) or site_in(mention.context)
        sites = seen.get(drug.name)
        if sites is not None and (not site or site in sites or "" in sites):
            continue
        seen.setdefault(drug.name, set()).add(site)
        given.append((drug, GivenDrug(drug.name, mention, route, minutes_in(mention.after))))
    lines: list[CodedService] = []
    for drug, item in given:
        lines.extend(_drug_lines(maker, scanner, drug, item))
    lines = _merged(lines)
    billed = {e.start for line in lines for e in line.evidence}
    given_drugs = [g for _, g in given if g.mention.start in billed]
    infused = {g.mention.context_start for g in given_drugs if g.route in ("infusion", "push")}
    hydration = hydration_episodes(scanner, infused)
    lines.extend(administration_lines(maker, scanner, given_drugs, hydration))
    return lines
