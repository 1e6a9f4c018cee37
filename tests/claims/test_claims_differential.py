"""Differential: an independent 837 reader (hccinfhir's extractor) reads back what we wrote."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest

from medcoder.claims.model import ClaimType
from medcoder.claims.samples import generate_claims, sample_batch
from medcoder.claims.x12.write837 import write_837


def _extractor() -> Callable[[str], list[Any]]:
    with warnings.catch_warnings():
        # hccinfhir 0.4.0 loads its data with importlib.resources' deprecated path().
        warnings.simplefilter("ignore", DeprecationWarning)
        from hccinfhir.extractor_837 import extract_sld_837  # type: ignore[import-untyped]
    return extract_sld_837  # type: ignore[no-any-return]


@pytest.mark.parametrize("kind", list(ClaimType))
def test_hccinfhir_reads_our_837(kind: ClaimType) -> None:
    claims = generate_claims(40, seed=13, claim_type=kind)
    slds = _extractor()(write_837(claims, sample_batch(5)))
    expected = [
        (c.claim_id, ln.code, list(ln.modifiers), float(ln.units),
         ln.date_of_service.isoformat(), sorted(c.diagnoses), c.subscriber.member_id,
         c.billing_provider.npi)
        for c in claims for ln in c.lines]
    got = [
        (s.claim_id, s.procedure_code, s.modifiers, s.quantity, s.service_date,
         sorted(s.claim_diagnosis_codes), s.patient_id, s.billing_provider_npi)
        for s in slds]
    assert got == expected
    if kind is ClaimType.PROFESSIONAL:
        linked = [[c.diagnoses[p - 1] for p in ln.diagnosis_pointers]
                  for c in claims for ln in c.lines]
        assert [s.linked_diagnosis_codes for s in slds] == linked
        assert {s.performing_provider_npi for s in slds} == {"9876543213"}
    else:
        assert {(s.facility_type, s.service_type) for s in slds} == {("1", "3")}  # TOB 13x
