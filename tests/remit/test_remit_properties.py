"""Property tests: the readers never fail but with X12ParseError, every truncation is rejected,
and made-up remittances read back with their amounts exact."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medcoder.claims.readers import X12ParseError, read_835, read_acknowledgements
from medcoder.claims.readers.sample_835 import SampleClaim, SampleLine, write_sample_835

DATA = Path(__file__).with_name("data")
MIXED = (DATA / "era_mixed.835").read_text()
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.integers(min_value=0, max_value=len(MIXED) - 30))
def test_every_truncation_is_rejected(cut: int) -> None:
    text = MIXED[:cut]
    try:
        read_835(text)
    except X12ParseError:
        return
    raise AssertionError(f"a file cut at {cut} was read")


@SETTINGS
@given(st.text(max_size=400))
def test_garbage_raises_only_parse_errors(text: str) -> None:
    for reader in (read_835, read_acknowledgements):
        try:
            reader(text)
        except X12ParseError:
            pass


@SETTINGS
@given(st.integers(min_value=0, max_value=len(MIXED) - 1), st.characters(codec="ascii"))
def test_one_changed_character_reads_or_is_rejected_cleanly(position: int, char: str) -> None:
    text = MIXED[:position] + char + MIXED[position + 1 :]
    try:
        read_835(text)
    except X12ParseError:
        pass


money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)
line = st.builds(
    SampleLine, st.sampled_from(["99213", "36415", "J3420", "80053"]), money, st.just("")
)
claim = st.builds(
    SampleClaim,
    st.from_regex(r"[A-Z0-9]{1,12}", fullmatch=True),
    st.lists(line, min_size=1, max_size=4).map(tuple),
    st.sampled_from(["paid", "partly_paid", "denied"]),
)


@SETTINGS
@given(st.lists(claim, min_size=1, max_size=8))
def test_made_up_remittances_read_back_exactly(claims: list[SampleClaim]) -> None:
    numbered = [
        SampleClaim(
            c.patient_control_number,
            tuple(SampleLine(ln.code, ln.charge, f"L{i}-{n}") for n, ln in enumerate(c.lines)),
            c.outcome,
        )
        for i, c in enumerate(claims)
    ]
    (remittance,) = read_835(write_sample_835(numbered))
    assert remittance.warnings == ()
    assert [c.patient_control_number for c in remittance.claims] == [
        c.patient_control_number for c in numbered
    ]
    for read, made in zip(remittance.claims, numbered, strict=True):
        assert read.charge == sum((ln.charge for ln in made.lines), Decimal("0"))
        assert [ln.line_item_control_number for ln in read.lines] == [
            ln.control_number for ln in made.lines
        ]
    assert remittance.total_paid == sum((c.paid for c in remittance.claims), Decimal("0"))
