"""Element values shared by the readers: amounts, dates, CAS adjustments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from medcoder.claims.readers.remittance import Adjustment
from medcoder.claims.readers.tokenizer import Segment

__all__ = ["ADJUSTMENT_GROUPS", "adjustments", "amount", "bounded", "date", "optional_amount"]

ADJUSTMENT_GROUPS = frozenset({"CO", "PR", "OA", "PI", "CR"})
_ZERO = Decimal("0")


def bounded(seg: Segment, number: int, longest: int, value: str | None = None) -> str:
    """Element ``number`` (or ``value`` taken from it), at most ``longest`` characters as the
    implementation guide allows; longer is malformed (it would not fit where it is kept)."""
    text = seg.get(number) if value is None else value
    if len(text) > longest:
        raise seg.error(f"{len(text)} characters, at most {longest} allowed", number)
    return text


def optional_amount(seg: Segment, number: int) -> Decimal | None:
    """Element ``number`` as a Decimal, None when empty."""
    text = seg.get(number).strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise seg.error(f"expected an amount, got {text!r}", number) from None
    if not value.is_finite():
        raise seg.error(f"expected an amount, got {text!r}", number)
    return value


def amount(seg: Segment, number: int, *, required: bool = False) -> Decimal:
    """Element ``number`` as a Decimal (0 when empty, an error when ``required``)."""
    value = optional_amount(seg, number)
    if value is None:
        if required:
            raise seg.error("a required amount is missing", number)
        return _ZERO
    return value


def date(seg: Segment, number: int) -> dt.date | None:
    """A CCYYMMDD element as a date (None when empty)."""
    text = seg.get(number).strip()
    if not text:
        return None
    try:
        if len(text) != 8 or not text.isdigit():
            raise ValueError(text)
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise seg.error(f"expected a date CCYYMMDD, got {text!r}", number) from None


def adjustments(seg: Segment) -> list[Adjustment]:
    """The up to six (reason, amount, quantity) triplets of a CAS segment."""
    group = seg.get(1)
    if group not in ADJUSTMENT_GROUPS:
        raise seg.error(f"adjustment group must be CO, PR, OA, PI or CR, got {group!r}", 1)
    found: list[Adjustment] = []
    elements = seg.elements
    for first in range(2, min(len(elements), 19) + 1, 3):  # element numbers 2, 5, ... 17
        reason = bounded(seg, first, 5, elements[first - 1].strip())
        if not reason:
            if seg.get(first + 1).strip():
                raise seg.error("an adjustment amount without a reason code", first + 1)
            continue
        found.append(
            Adjustment(
                group=group,
                reason=reason,
                amount=amount(seg, first + 1, required=True),
                quantity=optional_amount(seg, first + 2),
            )
        )
    if not found:
        raise seg.error("a CAS segment without any adjustment", 2)
    return found
