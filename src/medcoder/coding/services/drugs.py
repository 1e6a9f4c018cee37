"""Injected and infused drugs: HCPCS J-codes with units, and their administration codes.

Units are the documented dose over the dose the code bills per unit (``kb.hcpcs``), rounded
up as CMS instructs (J1885 ketorolac per 15 mg: 60 mg -> 4 units, 20 mg -> 2). A drug with
several strength codes (methylprednisolone acetate 20/40/80 mg) takes the largest codes
first. Administration, one *initial* service per encounter (CMS hierarchy: infusion > push >
hydration), then sequential/add-on codes:

* IM / subcutaneous: 96372, one unit per injection;
* IV push: 96374 first, 96375 each further drug;
* IV infusion: 96365 for the first hour (16-90 minutes), 96366 per further hour (more than
  30 minutes into it); a second infused drug 96367;
* hydration 31 minutes or more: 96360 (96361 when it is not the initial service, or for the
  further hours) with the saline J-codes by volume.

A drug injected into a joint, bursa or lesion is paid with the procedure (no 96372); a drug
taken by mouth, inhaled or prescribed is not a service line.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal

from medcoder.codesets.hcpcs import BillingUnit
from medcoder.coding.services.lines import LineMaker
from medcoder.coding.services.model import CodedService, ServiceKind
from medcoder.coding.services.scan import Mention, Scanner, minutes_in
from medcoder.errors import CodeError

__all__ = ["DRUGS", "DrugCode", "find_drugs", "units_for"]


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
_DOSE = re.compile(
    r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)\s*(million\s+units|mg|mcg|micrograms?|milligrams?|gm?|grams?"
    r"|units?|iu|ml|cc|l|liters?)(?![\w])",
    re.IGNORECASE,
)
_NOT_INJECTED = re.compile(
    r"\b(po|by mouth|orally|oral|tablets?|tabs?|capsules?|nebuli[sz]\w*|inhal\w*|topical\w*|"
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
_HYDRATION = re.compile(
    r"\b(normal saline|ns|lactated ringer'?s|lr|iv fluids?|ivf|fluid bolus|hydration)\b",
    re.IGNORECASE,
)
_SALINE = ("J7030", "J7040", "J7050")  # 1000 cc, 500 mL, 250 cc
_SALINE_PER = ((Decimal(1000), "mL"), (Decimal(500), "mL"), (Decimal(250), "mL"))

_TO_BASE = {
    "mg": ("mg", Decimal(1)), "milligram": ("mg", Decimal(1)), "milligrams": ("mg", Decimal(1)),
    "g": ("mg", Decimal(1000)), "gm": ("mg", Decimal(1000)), "gram": ("mg", Decimal(1000)),
    "grams": ("mg", Decimal(1000)), "mcg": ("mg", Decimal("0.001")),
    "microgram": ("mg", Decimal("0.001")), "micrograms": ("mg", Decimal("0.001")),
    "ml": ("mL", Decimal(1)), "cc": ("mL", Decimal(1)), "l": ("mL", Decimal(1000)),
    "liter": ("mL", Decimal(1000)), "liters": ("mL", Decimal(1000)),
    "unit": ("units", Decimal(1)), "units": ("units", Decimal(1)), "iu": ("units", Decimal(1)),
    "million units": ("units", Decimal(1_000_000)),
}  # fmt: skip


def _base(quantity: Decimal, unit: str) -> tuple[Decimal, str] | None:
    key = " ".join(unit.lower().split())
    if key == "iu" or key == "kiu":
        key = "units"
    found = _TO_BASE.get(key)
    return None if found is None else (quantity * found[1], found[0])


def units_for(dose: Decimal, dose_unit: str, per: list[tuple[Decimal, str]]) -> list[int] | None:
    """Units of each strength code for ``dose`` (largest strength first), or None when the
    dose unit cannot be compared with the billing unit (mg against mL).

    >>> units_for(Decimal(60), "mg", [(Decimal(15), "mg")])
    [4]
    >>> strengths = [(Decimal(80), "mg"), (Decimal(40), "mg"), (Decimal(20), "mg")]
    >>> units_for(Decimal(120), "mg", strengths)
    [1, 1, 0]
    """
    amount = _base(dose, dose_unit)
    bases = [_base(q, u) for q, u in per]
    if amount is None or any(b is None or b[1] != amount[1] for b in bases):
        return None
    remaining = amount[0]
    out: list[int] = []
    for index, base in enumerate(bases):
        assert base is not None
        if index == len(bases) - 1:
            out.append(max(math.ceil(remaining / base[0]), 0))
        else:
            n = int(remaining // base[0])
            out.append(n)
            remaining -= n * base[0]
    return out


@dataclass(frozen=True, slots=True)
class _Given:
    drug: DrugCode
    mention: Mention
    route: str  # "im", "push", "infusion", "procedure"
    minutes: int | None


def _route(mention: Mention) -> str | None:
    context = mention.context
    if _NOT_INJECTED.search(context):
        return None
    if _WITH_PROCEDURE.search(context):
        return "procedure"
    explicit = [m for m in _IM_SC.finditer(context) if not _INJECTED_ONLY.fullmatch(m[0])]
    if explicit:
        return "im"
    if _PUSH.search(context):
        return "push"
    if _INFUSION.search(context):
        return "infusion"
    if _IV.search(context):
        minutes = minutes_in(mention.after)
        return "infusion" if minutes is not None and minutes > 15 else "push"
    if _JOINT.search(context):
        return "procedure"  # "Right knee injected with Kenalog 40 mg"
    if _IM_SC.search(context):
        return "im"
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


@dataclass(frozen=True, slots=True)
class _Dose:
    label: str
    quantity: Decimal
    unit: str
    start: int


def _is_volume(unit: str) -> bool:
    base = _base(Decimal(1), unit)
    return base is not None and base[1] == "mL"


def _doses(context: str) -> list[_Dose]:
    """Doses written in ``context``; a concentration ("10 mg/mL") times the volume given."""
    found = list(_DOSE.finditer(context))
    is_rate = [context[m.end() :].lstrip().startswith("/") for m in found]
    volumes = [m for m, rate in zip(found, is_rate, strict=True) if not rate and _is_volume(m[2])]
    out: list[_Dose] = []
    for match, rate in zip(found, is_rate, strict=True):
        quantity = Decimal(match[1].replace(",", ""))
        if not rate:
            out.append(_Dose(match[0], quantity, match[2], match.start()))
            continue
        volume = min(volumes, key=lambda v: abs(v.start() - match.start()), default=None)
        if volume is None:
            continue
        millilitres = _base(Decimal(volume[1].replace(",", "")), volume[2])
        assert millilitres is not None
        out.append(
            _Dose(
                f"{match[0]}/mL x {volume[0]}",
                quantity * millilitres[0],
                match[2],
                match.start(),
            )
        )
    return out


def _drug_lines(maker: LineMaker, scanner: Scanner, given: _Given) -> list[CodedService]:
    drug, mention = given.drug, given.mention
    doses = _doses(mention.context)
    if not doses:
        concentration = (
            " (a concentration without the volume given)" if _DOSE.search(mention.context) else ""
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


def _hydration(scanner: Scanner, infused_contexts: set[int]) -> list[tuple[Mention, int]]:
    found = []
    for mention in scanner.mentions(_HYDRATION, "IV hydration"):
        if mention.context_start in infused_contexts or not _IV_OR_BOLUS.search(mention.context):
            continue
        minutes = minutes_in(mention.after)
        if minutes is None:
            scanner.warnings.append(
                "IV hydration without a documented duration: 96360 needs 31 minutes or more"
            )
            continue
        if minutes < 31:
            scanner.warnings.append(
                f"IV hydration for {minutes} minutes: under 31 minutes it is not billed"
            )
            continue
        found.append((mention, minutes))
        break  # one hydration episode per encounter
    return found


_IV_OR_BOLUS = re.compile(r"\b(iv|intravenous\w*|bolus|infus\w*|hydration|ivf)\b", re.I)


def _additional_hours(minutes: int) -> int:
    """Units of the 'each additional hour' code: an hour counts past 30 minutes into it."""
    return 0 if minutes <= 90 else (minutes - 91) // 60 + 1


def find_drugs(scanner: Scanner, maker: LineMaker) -> list[CodedService]:
    """J-code lines and administration lines for the drugs injected or infused today."""
    given: list[_Given] = []
    seen: set[str] = set()
    for mention in scanner.mentions(_DRUG_PATTERN, "A drug administration"):
        match = _DRUG_PATTERN.match(scanner.note.text, mention.start)
        assert match is not None and match.lastgroup is not None
        drug = DRUGS[int(match.lastgroup[1:])]
        if drug.name in seen:
            continue
        route = _route(mention)
        if route is None:
            continue
        seen.add(drug.name)
        given.append(_Given(drug, mention, route, minutes_in(mention.after)))
    lines: list[CodedService] = []
    for item in given:
        lines.extend(_drug_lines(maker, scanner, item))
    billed = {e.start for line in lines for e in line.evidence}
    given = [g for g in given if g.mention.start in billed]
    infused = {g.mention.context_start for g in given if g.route in ("infusion", "push")}
    hydration = _hydration(scanner, infused)
    lines.extend(_administration(maker, scanner, given, hydration))
    return lines


def _administration(
    maker: LineMaker,
    scanner: Scanner,
    given: list[_Given],
    hydration: list[tuple[Mention, int]],
) -> list[CodedService]:
    lines: list[CodedService] = []
    injections = [g for g in given if g.route == "im"]
    if injections:
        lines.append(
            maker.line(
                "96372",
                ServiceKind.ADMINISTRATION,
                [g.mention for g in injections],
                "IM/subcutaneous injection of "
                + ", ".join(g.drug.name for g in injections)
                + f": one unit per injection ({len(injections)})",
                units=len(injections),
            )
        )
    infusions = [g for g in given if g.route == "infusion"]
    pushes = [g for g in given if g.route == "push"]
    initial_taken = False
    for index, item in enumerate(infusions):
        minutes = item.minutes
        if minutes is not None and minutes <= 15:
            pushes.append(item)
            continue
        if index == 0:
            lines.append(
                maker.line("96365", ServiceKind.ADMINISTRATION, [item.mention],
                           f"IV infusion of {item.drug.name}, initial service"
                           + (f" ({minutes} min)" if minutes else ""))
            )  # fmt: skip
            initial_taken = True
            extra = _additional_hours(minutes or 0)
            if extra:
                lines.append(
                    maker.line("96366", ServiceKind.ADMINISTRATION, [item.mention],
                               f"infusion of {minutes} min: {extra} further hour(s) past "
                               "30 minutes into each", units=extra)
                )  # fmt: skip
            if minutes is None:
                scanner.warnings.append(
                    f"infusion of {item.drug.name} without a documented duration: 96366 "
                    "(further hours) not assessed"
                )
        else:
            lines.append(
                maker.line("96367", ServiceKind.ADMINISTRATION, [item.mention],
                           f"IV infusion of another drug ({item.drug.name}), sequential")
            )  # fmt: skip
    for item in pushes:
        code = "96375" if initial_taken else "96374"
        lines.append(
            maker.line(code, ServiceKind.ADMINISTRATION, [item.mention],
                       f"IV push of {item.drug.name}, "
                       + ("each further drug" if initial_taken else "initial service"))
        )  # fmt: skip
        initial_taken = True
    for mention, minutes in hydration:
        code = "96361" if initial_taken else "96360"
        extra = _additional_hours(minutes) if code == "96360" else max(1, round(minutes / 60))
        lines.append(
            maker.line(code, ServiceKind.ADMINISTRATION, [mention],
                       f"IV hydration {minutes} min"
                       + ("" if code == "96360" else ", after another initial IV service"))
        )  # fmt: skip
        if code == "96360" and extra:
            lines.append(
                maker.line("96361", ServiceKind.ADMINISTRATION, [mention],
                           f"hydration of {minutes} min: {extra} further hour(s)", units=extra)
            )  # fmt: skip
        volume = _DOSE.search(mention.context)
        if volume is not None:
            counts = units_for(Decimal(volume[1].replace(",", "")), volume[2], list(_SALINE_PER))
            for saline, n in zip(_SALINE, counts or [], strict=False):
                if n > 0:
                    lines.append(
                        maker.line(saline, ServiceKind.DRUG, [mention],
                                   f"saline {volume[0]} for hydration", units=n)
                    )  # fmt: skip
    return lines
