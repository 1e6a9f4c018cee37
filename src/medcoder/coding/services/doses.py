"""Doses written in a note and the units of a drug code they make.

A dose is a quantity and a unit ("60 mg", "1 g", "2.4 million units", "1 L"); a
concentration ("10 mg/mL") counts times the volume given in the same sentence. Units of a
code are the dose over the code's billing unit, rounded up as CMS instructs.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal

__all__ = ["DOSE", "Dose", "doses_in", "units_for"]

DOSE = re.compile(
    r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)\s*(million\s+units|mg|mcg|micrograms?|milligrams?|gm?|grams?"
    r"|units?|iu|ml|cc|l|liters?)(?![\w])",
    re.IGNORECASE,
)

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
class Dose:
    label: str
    quantity: Decimal
    unit: str
    start: int


def _is_volume(unit: str) -> bool:
    base = _base(Decimal(1), unit)
    return base is not None and base[1] == "mL"


def doses_in(context: str) -> list[Dose]:
    """Doses written in ``context``; a concentration ("10 mg/mL") times the volume given."""
    found = list(DOSE.finditer(context))
    is_rate = [context[m.end() :].lstrip().startswith("/") for m in found]
    volumes = [m for m, rate in zip(found, is_rate, strict=True) if not rate and _is_volume(m[2])]
    out: list[Dose] = []
    for match, rate in zip(found, is_rate, strict=True):
        quantity = Decimal(match[1].replace(",", ""))
        if not rate:
            out.append(Dose(match[0], quantity, match[2], match.start()))
            continue
        volume = min(volumes, key=lambda v: abs(v.start() - match.start()), default=None)
        if volume is None:
            continue
        millilitres = _base(Decimal(volume[1].replace(",", "")), volume[2])
        assert millilitres is not None
        out.append(
            Dose(
                f"{match[0]}/mL x {volume[0]}",
                quantity * millilitres[0],
                match[2],
                match.start(),
            )
        )
    return out
