"""FHIR R4 Claim export (validated by fhir.resources) and the claim state machine."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from medcoder.claims.errors import ClaimError, ClaimStateError
from medcoder.claims.fhir import claim_fhir_json, claim_to_fhir, validate_fhir_claim
from medcoder.claims.model import ClaimType, Frequency
from medcoder.claims.samples import generate_claims
from medcoder.claims.state import ClaimStatus, advance, allowed, check_resubmission

DAY = dt.date(2026, 5, 20)


class TestFhir:
    @pytest.mark.parametrize("kind", list(ClaimType))
    def test_generated_claims_validate_with_exact_totals(self, kind: ClaimType) -> None:
        for claim in generate_claims(15, seed=4, claim_type=kind):
            resource = claim_to_fhir(claim, created=DAY)
            assert resource["total"]["value"] == claim.total_charge
            assert sum(i["net"]["value"] for i in resource["item"]) == claim.total_charge
            assert resource["type"]["coding"][0]["code"] == (
                "professional" if kind is ClaimType.PROFESSIONAL else "institutional")
            assert [d["diagnosisCodeableConcept"]["coding"][0]["code"].replace(".", "")
                    for d in resource["diagnosis"]] == list(claim.diagnoses)

    def test_json_round_trip(self) -> None:
        claim = generate_claims(1, seed=9)[0]
        data = json.loads(claim_fhir_json(claim, created=DAY))
        assert data["resourceType"] == "Claim"
        assert Decimal(str(data["total"]["value"])) == claim.total_charge
        assert data["identifier"][0]["value"] == claim.claim_id
        validate_fhir_claim(data)

    def test_replacement_names_the_prior_claim(self) -> None:
        claim = next(c for c in generate_claims(20, seed=1)
                     if c.frequency is Frequency.REPLACEMENT)
        resource = claim_to_fhir(claim, created=DAY)
        assert resource["related"][0]["reference"]["value"] == claim.original_claim_reference

    def test_invalid_resource_is_reported(self) -> None:
        resource = claim_to_fhir(generate_claims(1)[0], created=DAY)
        del resource["patient"]
        with pytest.raises(ClaimError, match="FHIR Claim is invalid at patient"):
            validate_fhir_claim(resource)


class TestStateMachine:
    def test_happy_paths(self) -> None:
        s = ClaimStatus.BUILT
        for nxt in ("submitted", "accepted", "partially_paid", "appealed", "paid", "closed"):
            s = advance(s, nxt)
        assert s is ClaimStatus.CLOSED
        assert advance("rejected", "corrected") is ClaimStatus.CORRECTED
        assert advance("denied", "corrected") is ClaimStatus.CORRECTED

    @pytest.mark.parametrize(("current", "target"), [
        ("built", "paid"), ("submitted", "submitted"), ("paid", "submitted"),
        ("accepted", "rejected"), ("closed", "paid"), ("rejected", "paid"),
        ("built", "accepted")])
    def test_impossible_transitions_raise(self, current: str, target: str) -> None:
        with pytest.raises(ClaimStateError, match=f"a {current} claim cannot become "
                                                  f"{target}") as caught:
            advance(current, target, claim_id="C1")
        assert (caught.value.current, caught.value.target) == (current, target)

    def test_closed_is_final(self) -> None:
        assert allowed(ClaimStatus.CLOSED) == frozenset()
        with pytest.raises(ClaimStateError, match=r"allowed: nothing \(final\)"):
            advance("closed", "appealed")

    def test_resubmission_only_as_replacement_or_void(self) -> None:
        check_resubmission("built", Frequency.ORIGINAL)
        check_resubmission("denied", Frequency.REPLACEMENT)
        check_resubmission("paid", Frequency.VOID)
        with pytest.raises(ClaimStateError, match="already submitted .* replacement"):
            check_resubmission("rejected", Frequency.ORIGINAL, claim_id="C1")

    def test_unknown_status(self) -> None:
        with pytest.raises(ValueError):
            advance("built", "lost")
