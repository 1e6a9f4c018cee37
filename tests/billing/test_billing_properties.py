"""Property test: any made-up remittance posts balanced to the cent."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from medcoder.billing import (
    Account,
    AdjustmentRules,
    BilledClaim,
    BilledLine,
    StaticCodeTexts,
    balances,
    plan_posting,
)
from medcoder.claims.readers import read_835
from medcoder.claims.readers.sample_835 import SampleClaim, SampleLine, write_sample_835

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999.99"), places=2)
outcome = st.sampled_from(["paid", "partly_paid", "denied"])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.lists(money, min_size=1, max_size=4), outcome), min_size=1, max_size=10)
)
def test_any_remittance_posts_balanced(shapes: list[tuple[list[Decimal], str]]) -> None:
    claims = [
        SampleClaim(
            f"C{i}", tuple(SampleLine("99213", c, f"C{i}-{n}") for n, c in enumerate(cs)), o
        )  # type: ignore[arg-type]
        for i, (cs, o) in enumerate(shapes)
    ]
    billed = {
        c.patient_control_number: BilledClaim(
            c.patient_control_number,
            "enc",
            "pat",
            sum((ln.charge for ln in c.lines), Decimal(0)),
            tuple(BilledLine(ln.control_number, ln.code, ln.charge) for ln in c.lines),
        )
        for c in claims
    }
    (remittance,) = read_835(write_sample_835(claims))
    plan = plan_posting(remittance, billed, AdjustmentRules.default(), StaticCodeTexts({}, {}))
    totals = balances(plan.entries)
    assert totals[Account.INSURANCE_AR] == Decimal("0.00")
    assert totals.get(Account.CASH, Decimal("0.00")) == remittance.total_paid
    assert totals[Account.CHARGES] == sum((b.charge for b in billed.values()), Decimal(0))
    assert sum(v for a, v in totals.items() if a is not Account.CHARGES) == totals[Account.CHARGES]
    denied = [c for c in claims if c.outcome == "denied"]
    assert sum(len(p.denials) for p in plan.claims) == sum(len(c.lines) for c in denied)
