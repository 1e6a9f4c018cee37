"""Doses and units: documented dose over the code's billing unit, rounded up."""

from __future__ import annotations

from decimal import Decimal

import pytest

from medcoder.coding.services.doses import doses_in, units_for

MG = "mg"


@pytest.mark.parametrize(
    ("dose", "unit", "per", "units"),
    [
        (Decimal(60), "mg", [(Decimal(15), MG)], [4]),
        (Decimal(20), "mg", [(Decimal(15), MG)], [2]),  # rounded up
        (Decimal(1), "g", [(Decimal(250), MG)], [4]),
        (Decimal(1000), "mcg", [(Decimal(1000), "mcg")], [1]),
        (Decimal("0.3"), "mg", [(Decimal("0.1"), MG)], [3]),
        (Decimal("2.4"), "million units", [(Decimal(100000), "units")], [24]),
        (Decimal(120), "mg", [(Decimal(80), MG), (Decimal(40), MG), (Decimal(20), MG)], [1, 1, 0]),
        (Decimal(60), "mg", [(Decimal(80), MG), (Decimal(40), MG), (Decimal(20), MG)], [0, 1, 1]),
        (Decimal(2), "L", [(Decimal(1000), "mL")], [2]),
    ],
)
def test_units_for(
    dose: Decimal, unit: str, per: list[tuple[Decimal, str]], units: list[int]
) -> None:
    assert units_for(dose, unit, per) == units


def test_units_for_refuses_a_dose_in_another_dimension() -> None:
    assert units_for(Decimal(30), "mL", [(Decimal(40), MG)]) is None


def test_a_concentration_counts_times_the_volume() -> None:
    [dose] = doses_in("triamcinolone 10 mg/mL, 1.5 mL injected")[:1]
    assert (dose.quantity, dose.unit) == (Decimal("15.0"), "mg")
    assert dose.label == "10 mg/mL x 1.5 mL"


def test_a_concentration_alone_is_no_dose() -> None:
    assert doses_in("triamcinolone 10 mg/mL injected") == []
