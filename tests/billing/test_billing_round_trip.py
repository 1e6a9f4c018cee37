"""The whole road, pure: coded encounters -> 837P (pyx12-valid) -> an 835 paying, partly
paying, denying and reversing those claims -> posting -> ledger, worklist, statement."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from medcoder.billing import (
    Account,
    Action,
    AdjustmentRules,
    BilledClaim,
    ClaimOutcome,
    KbCodeTexts,
    PostingPlan,
    balances,
    plan_posting,
)
from medcoder.billing.claims_bridge import billed_from_claim, status_moves
from medcoder.billing.statements import (
    PatientCharge,
    StatementPatient,
    StatementPractice,
    build_statement,
    render_statement_html,
)
from medcoder.claims import Claim, build_claim, load_claim_file, load_practice, write_837
from medcoder.claims.batching import batch_for
from medcoder.claims.readers import read_835, read_x12
from medcoder.claims.readers.sample_835 import SampleClaim, SampleLine, write_sample_835
from medcoder.claims.state import ClaimStatus
from medcoder.claims.x12.validate import validate_x12
from medcoder.codesets import KnowledgeBase
from medcoder.edits.engine import Editor

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
OUTCOMES = {
    "RT-PAID": "paid",
    "RT-PARTLY": "partly_paid",
    "RT-DENIED": "denied",
    "RT-REVERSED": "paid",
}


@pytest.fixture(scope="module")
def claims(kb: KnowledgeBase) -> list[Claim]:
    practice = load_practice(EXAMPLES / "practice" / "practice.yaml")
    built = []
    for number, pcn in enumerate(OUTCOMES):
        name = ("office_visit_claim.json", "child_sore_throat_claim.json")[number % 2]
        encounter, details = load_claim_file(EXAMPLES / "claims" / name)
        details = details.model_copy(update={"patient_control_number": pcn})
        built.append(build_claim(encounter, details, practice, edits=Editor(kb).edit(encounter)))
    return built


def sample(claim: Claim, outcome: str) -> SampleClaim:
    lines = tuple(
        SampleLine(ln.code, ln.charge, ln.control_number, ln.modifiers) for ln in claim.lines
    )
    return SampleClaim(claim.claim_id, lines, outcome)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def posted(
    claims: list[Claim], kb: KnowledgeBase
) -> tuple[dict[str, BilledClaim], list[PostingPlan]]:
    billed = {
        c.claim_id: billed_from_claim(c, encounter_id=f"enc-{c.claim_id}", patient_id="pat-1")
        for c in claims
    }
    first = write_sample_835([sample(c, OUTCOMES[c.claim_id]) for c in claims])
    reversed_claim = next(c for c in claims if c.claim_id == "RT-REVERSED")
    second = write_sample_835(
        [sample(reversed_claim, "reversed"), sample(reversed_claim, "partly_paid")],
        trace_number="EFT0000002",
        control_number=2,
    )
    rules, texts = AdjustmentRules.default(), KbCodeTexts(kb)
    plan1 = plan_posting(read_835(first)[0], billed, rules, texts)
    already = {k: replace(b, charge_posted=True) for k, b in billed.items()}
    plan2 = plan_posting(read_835(second)[0], already, rules, texts)
    return billed, [plan1, plan2]


def test_837_is_valid_and_read_back(claims: list[Claim]) -> None:
    practice = load_practice(EXAMPLES / "practice" / "practice.yaml")
    text = write_837(
        claims, batch_for(practice, claims[0].payer.key, 41, dt.datetime(2026, 5, 20, 9, 30))
    )
    report = validate_x12(text)
    assert report.ok, report.errors
    (tx,) = read_x12(text).transactions
    assert tx.set_id == "837"
    assert [s.get(1) for s in tx.segments if s.id == "CLM"] == list(OUTCOMES)
    line_numbers = [s.get(2) for s in tx.segments if s.id == "REF" and s.get(1) == "6R"]
    assert line_numbers == [ln.control_number for c in claims for ln in c.lines]


def test_every_claim_is_matched_and_the_ledger_balances(
    posted: tuple[dict[str, BilledClaim], list[PostingPlan]],
) -> None:
    billed, plans = posted
    assert all(p.unmatched == () and p.warnings == () for p in plans)
    entries = [e for p in plans for e in p.entries]
    totals = balances(entries)
    charged = sum((b.charge for b in billed.values()), Decimal("0"))
    assert totals[Account.CHARGES] == charged
    assert totals[Account.INSURANCE_AR] == Decimal("0.00")
    assert sum(v for a, v in totals.items() if a is not Account.CHARGES) == charged
    outcomes = {c.claim_id: c.outcome for p in plans for c in p.claims}
    assert [c.outcome for c in plans[0].claims] == [
        ClaimOutcome.PAID,
        ClaimOutcome.PARTIALLY_PAID,
        ClaimOutcome.DENIED,
        ClaimOutcome.PAID,
    ]
    assert [c.outcome for c in plans[1].claims] == [
        ClaimOutcome.REVERSED,
        ClaimOutcome.PARTIALLY_PAID,
    ]
    assert outcomes["RT-DENIED"] is ClaimOutcome.DENIED


def test_patient_share_and_statement(
    posted: tuple[dict[str, BilledClaim], list[PostingPlan]],
) -> None:
    _, plans = posted
    shares = [
        PatientCharge(
            c.encounter_id,
            dt.date(2026, 5, 14),
            dt.date(2026, 6, 1),
            f"{e.group}-{e.reason} {c.claim_id}",
            e.amount,
        )
        for p in plans
        for c in p.claims
        for e in c.entries
        if e.debit is Account.PATIENT_AR
    ]
    partly = [s for s in shares if s.description.endswith("RT-PARTLY")]
    assert {s.description.split()[0] for s in partly} >= {"PR-1"}
    total = sum((s.amount for s in partly), Decimal("0"))
    assert (
        total
        == next(c.patient_responsibility for c in plans[0].claims if c.claim_id == "RT-PARTLY")
        > 0
    )
    statement = build_statement(
        StatementPatient("RT", "Jane Doe"),
        StatementPractice("Example"),
        partly,
        [],
        on=dt.date(2026, 7, 15),
    )
    assert statement.balance == total
    assert statement.aging.days_31_60 == total
    assert f"${total:,.2f}" in render_statement_html(statement)


def test_denial_lands_in_the_worklist(
    posted: tuple[dict[str, BilledClaim], list[PostingPlan]],
) -> None:
    _, plans = posted
    denials = [d for p in plans for c in p.claims for d in c.denials]
    assert {d.claim_id for d in denials} == {"RT-DENIED"}
    item = denials[0]
    assert (item.group, item.carc, item.action) == ("CO", "16", Action.CORRECT_AND_RESUBMIT)
    assert item.remarks[0].code == "M51" and item.remarks[0].text
    assert item.carc_text.startswith("Claim/service lacks information")


class TestStatusMoves:
    def test_submitted_claim_paid_passes_through_accepted(self) -> None:
        assert status_moves("submitted", ClaimOutcome.PAID) == (
            (ClaimStatus.ACCEPTED, ClaimStatus.PAID),
            None,
        )

    def test_277ca_verdicts(self) -> None:
        assert status_moves("submitted", True) == ((ClaimStatus.ACCEPTED,), None)
        assert status_moves("submitted", False) == ((ClaimStatus.REJECTED,), None)

    def test_reversal_moves_nothing_and_impossible_moves_warn(self) -> None:
        assert status_moves("paid", ClaimOutcome.REVERSED) == ((), None)
        moves, warning = status_moves("paid", ClaimOutcome.DENIED)
        assert moves == ()
        assert warning is not None and "a paid claim cannot become denied" in warning
        assert status_moves("denied", ClaimOutcome.DENIED) == ((), None)
