"""Writer -> reader round trips: our 837s read back by the X12 tokenizer (any delimiters),
and the 835 that pays them matches every claim and line by its control numbers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from medcoder.claims.readers import read_835, read_x12
from medcoder.claims.readers.sample_835 import SampleClaim, SampleLine, write_sample_835
from medcoder.claims.samples import generate_claims, sample_batch
from medcoder.claims.x12.segments import Delimiters
from medcoder.claims.x12.validate import validate_x12
from medcoder.claims.x12.write837 import write_837


@pytest.mark.parametrize(("delimiters", "pyx12_accepts"), [
    (Delimiters(), True),
    (Delimiters(element="|", component=">", repetition="!", segment="~"), True),
    # X12 allows control characters as delimiters; pyx12 refuses them in ISA11/ISA16.
    (Delimiters(element="\x1d", component="\x1f", repetition="\x1e", segment="\x1c"), False),
], ids=["standard", "pipes", "control-characters"])
def test_837_reads_back(delimiters: Delimiters, pyx12_accepts: bool) -> None:
    from dataclasses import replace

    claims = generate_claims(25, seed=21)
    batch = replace(sample_batch(77), delimiters=delimiters)
    text = write_837(claims, batch, newline=delimiters.segment == "~")
    report = validate_x12(text)
    if pyx12_accepts:
        assert report.errors == ()
    else:
        assert any("ISA16" in e for e in report.errors)
    tx = read_x12(text).transactions[0]
    assert tx.set_id == "837"
    clm = [s for s in tx.segments if s.id == "CLM"]
    assert [(s.get(1), Decimal(s.get(2))) for s in clm] == [
        (c.claim_id, c.total_charge) for c in claims]
    sv1 = [s for s in tx.segments if s.id == "SV1"]
    lines = [line for c in claims for line in c.lines]
    assert [(s.parts(1)[1], s.parts(1)[2:], Decimal(s.get(2)), int(s.get(4))) for s in sv1] == [
        (ln.code, ln.modifiers, ln.charge, ln.units) for ln in lines]
    refs = [s.get(2) for s in tx.segments if s.id == "REF" and s.get(1) == "6R"]
    assert refs == [ln.control_number for ln in lines]


def test_835_for_our_claims_matches_by_control_numbers() -> None:
    claims = generate_claims(12, seed=5)
    outcomes = ("paid", "partly_paid", "denied")
    era = write_sample_835([
        SampleClaim(c.claim_id, tuple(SampleLine(ln.code, ln.charge, ln.control_number,
                                                 ln.modifiers) for ln in c.lines),
                    outcomes[i % 3])  # type: ignore[arg-type]
        for i, c in enumerate(claims)])
    remittance = read_835(era)[0]
    by_pcn = {p.patient_control_number: p for p in remittance.claims}
    assert set(by_pcn) == {c.claim_id for c in claims}
    for claim in claims:
        payment = by_pcn[claim.claim_id]
        assert payment.charge == claim.total_charge
        assert [ln.line_item_control_number for ln in payment.lines] == [
            ln.control_number for ln in claim.lines]
