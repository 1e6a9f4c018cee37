"""999 and 277CA acknowledgements applied to stored claims (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from billing_factories import Practice, read_sample, store_claims
from sqlalchemy.orm import Session, sessionmaker

from medcoder.billing.acknowledgements import AckResult, StatusChange, apply_acknowledgements
from medcoder.claims.readers import read_acknowledgements
from medcoder.store.claims_models import ClaimRecord, X12Batch


@pytest.fixture
def practice(session_factory: sessionmaker[Session]) -> Practice:
    return Practice(session_factory)


def statuses(practice: Practice, ids: dict[str, str]) -> dict[str, str]:
    with practice.factory() as s:
        return {pcn: s.get_one(ClaimRecord, claim_id).status for pcn, claim_id in ids.items()}


def apply(practice: Practice, text: str) -> AckResult:
    with practice.factory() as s, s.begin():
        return apply_acknowledgements(
            read_acknowledgements(text), session=s, org_id=practice.org_id
        )


def test_277ca_accepts_and_rejects_claims_once(practice: Practice) -> None:
    ids = store_claims(practice)
    result = apply(practice, read_sample("claimack.277"))
    assert result.changes == (
        StatusChange("PCN1001", "submitted", "accepted"),
        StatusChange("pcn1002", "submitted", "rejected"),
    )
    assert (result.unmatched, result.warnings) == ((), ())
    assert statuses(practice, ids) == {
        "PCN1001": "accepted",
        "PCN1002": "rejected",
        "PCN1003": "submitted",
    }
    again = apply(practice, read_sample("claimack.277"))
    assert again.changes == () and again.warnings == ()


def test_277ca_for_a_paid_claim_is_a_warning(practice: Practice) -> None:
    store_claims(practice, status="paid")
    result = apply(practice, read_sample("claimack.277"))
    assert result.changes == ()
    assert result.warnings[0].startswith("claim PCN1001: a paid claim cannot become accepted")


def test_999_rejection_rejects_the_claims_of_its_batch(practice: Practice) -> None:
    ids = store_claims(practice)
    number = random.randint(10**6, 10**9 - 1)
    with practice.factory() as s, s.begin():
        batch = X12Batch(
            org_id=practice.org_id,
            control_number=number,
            transaction_set="837P",
            payer_id="ACME01",
            claim_count=2,
            total_charge=Decimal("450.00"),
            file_name="out.837",
            sha256="0" * 64,
        )
        s.add(batch)
        s.flush()
        for pcn in ("PCN1001", "PCN1002"):
            s.get_one(ClaimRecord, ids[pcn]).batch_id = batch.id
    text = read_sample("ack_partial.999").replace("AK1*HC*101*", f"AK1*HC*{number}*")
    result = apply(practice, text)
    assert sorted(c.after for c in result.changes) == ["rejected", "rejected"]
    assert statuses(practice, ids) == {
        "PCN1001": "rejected",
        "PCN1002": "rejected",
        "PCN1003": "submitted",
    }
    unknown = apply(practice, read_sample("ack_partial.999").replace("AK1*HC*101*", "AK1*HC*7*"))
    assert unknown.unmatched == ("batch 7",)
