"""The practice's fee schedule: what it charges for a code (optionally with a modifier).

The file is a CSV the practice maintains, with a header row ``code,modifier,charge``
(``modifier`` may be empty or the column left out)::

    code,modifier,charge
    99213,,110.00
    99214,,165.00
    99214,25,165.00
    0120,,1850.00

A line's unit charge is the row for its code and its first modifier that has one, else the
row for the code alone; the line charge is unit charge x units, exact in Decimal.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from medcoder.errors import InputError

__all__ = ["FeeSchedule", "parse_fee_schedule"]

_CENT = Decimal("0.01")


@dataclass(frozen=True)
class FeeSchedule:
    """Charges by (code, modifier); ``modifier`` is "" for the code's plain charge."""

    charges: Mapping[tuple[str, str], Decimal] = field(default_factory=dict)

    def unit_charge(self, code: str, modifiers: Iterable[str] = ()) -> Decimal | None:
        """The charge for one unit of ``code`` (None when the schedule has no row for it)."""
        code = code.upper()
        for modifier in modifiers:
            found = self.charges.get((code, modifier.upper()))
            if found is not None:
                return found
        return self.charges.get((code, ""))

    def __len__(self) -> int:
        return len(self.charges)


def _money(text: str, where: str) -> Decimal:
    try:
        value = Decimal(text.strip().lstrip("$").replace(",", ""))
    except InvalidOperation:
        raise InputError(f"{where}: charge must be an amount like 110.00, got {text!r}",
                         field=where) from None
    if not value.is_finite() or value < 0:
        raise InputError(f"{where}: charge must be zero or more, got {text!r}", field=where)
    if value != value.quantize(_CENT):
        raise InputError(f"{where}: charge has more than two decimals: {text!r}", field=where)
    return value.quantize(_CENT)


def parse_fee_schedule(text: str, *, source: str = "fee schedule") -> FeeSchedule:
    """Read the CSV text of a fee schedule.

    Raises:
        InputError: a missing column, a bad amount or a code listed twice (with the line).
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    columns = {c.strip().lower() for c in reader.fieldnames or ()}
    if not {"code", "charge"} <= columns:
        raise InputError(f"{source}: the header must have 'code' and 'charge' columns "
                         f"(and optionally 'modifier'), got {sorted(columns)}", field=source)
    charges: dict[tuple[str, str], Decimal] = {}
    for number, raw in enumerate(reader, start=2):
        row = {str(k).strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        code = row.get("code", "").upper()
        if not code:
            continue
        where = f"{source} line {number}"
        key = (code, row.get("modifier", "").upper())
        if key in charges:
            named = f"{code} with modifier {key[1]}" if key[1] else code
            raise InputError(f"{where}: {named} is listed twice", field=where)
        charges[key] = _money(row.get("charge", ""), where)
    return FeeSchedule(charges)
