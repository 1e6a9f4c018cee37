"""The tokenizer reads the 837P and 837I files the claims package writes (all its layouts)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from medcoder.claims import ClaimType, write_837
from medcoder.claims.readers import read_x12
from medcoder.claims.samples import generate_claims, sample_batch


@pytest.mark.parametrize("claim_type", [ClaimType.PROFESSIONAL, ClaimType.INSTITUTIONAL])
@pytest.mark.parametrize("newline", [True, False])
def test_generated_837_reads_back(claim_type: ClaimType, newline: bool) -> None:
    claims = generate_claims(60, seed=11, claim_type=claim_type)
    text = write_837(claims, sample_batch(7), newline=newline)
    parsed = read_x12(text)
    (tx,) = parsed.transactions
    assert tx.set_id == "837"
    assert tx.implementation == (
        "005010X222A1" if claim_type is ClaimType.PROFESSIONAL else "005010X223A2"
    )
    assert [s.get(1) for s in tx.segments if s.id == "CLM"] == [c.claim_id for c in claims]
    charges = [s.get(2) for s in tx.segments if s.id == "CLM"]
    assert [Decimal(c) for c in charges] == [c.total_charge for c in claims]
