"""Acceptance, in the database (SQLite and PostgreSQL): reviewed encounters -> stored claims ->
one 837P (pyx12-valid) -> an 835 paying, partly paying (CO-45, PR-1/PR-2), denying (CO-16 +
M51) and later reversing -> posted once -> ledger balances to the cent, claim statuses moved,
the denial in the worklist, the patient statement showing the PR amounts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from medcoder.billing import Account, KbCodeTexts
from medcoder.billing.claims_store import StoredClaimSource
from medcoder.billing.denials_store import open_denials
from medcoder.billing.ledger_store import (
    account_balance,
    patient_balance,
    patient_statement_items,
)
from medcoder.billing.statements import (
    StatementPatient,
    StatementPractice,
    build_statement,
    render_statement_html,
)
from medcoder.billing.store import post_835
from medcoder.claims.db import build_and_store, write_payer_batch
from medcoder.claims.practice import load_practice
from medcoder.claims.readers.sample_835 import SampleClaim, SampleLine, write_sample_835
from medcoder.claims.x12.validate import validate_x12
from medcoder.codesets import KnowledgeBase
from medcoder.edits.engine import Editor
from medcoder.store.claims_models import ClaimRecord
from medcoder.store.models import (
    CodeAssignment,
    Coverage,
    Encounter,
    Organization,
    Patient,
    Payer,
)

PRACTICE = Path(__file__).resolve().parents[2] / "examples" / "practice" / "practice.yaml"
OUTCOMES = ("paid", "partly_paid", "denied")


def seed(session: Session) -> tuple[str, list[str]]:
    """An organization with three reviewed office visits (one patient each)."""
    org = Organization(name="round trip practice")
    session.add(org)
    session.flush()
    payer = Payer(org_id=org.id, payer_id="60054", name="EXAMPLE HEALTH PLAN")
    session.add(payer)
    encounters: list[str] = []
    for number in range(len(OUTCOMES)):
        patient = Patient(
            org_id=org.id,
            first_name="Pat",
            last_name=f"Round{number}",
            birth_date=dt.date(1960 + number, 3, 1),
            sex="F",
            address_line1="1 Elm St",
            city="Springfield",
            state="IL",
            postal_code="62704",
        )
        session.add(patient)
        session.flush()
        session.add(
            Coverage(
                org_id=org.id,
                patient_id=patient.id,
                payer_id=payer.id,
                member_id=f"XEP00000000{number}",
            )
        )
        encounter = Encounter(
            org_id=org.id,
            patient_id=patient.id,
            place_of_service="11",
            date_of_service=dt.date(2026, 5, 14),
            status="coded",
        )
        session.add(encounter)
        session.flush()
        codes = [
            ("E11.9", "ICD10CM", {}),
            ("99214", "CPT", {"diagnosis_pointers": [1]}),
            ("82947", "CPT", {"units": 2, "diagnosis_pointers": [1]}),
        ]
        for position, (code, system, detail) in enumerate(codes):
            session.add(
                CodeAssignment(
                    org_id=org.id,
                    encounter_id=encounter.id,
                    position=position,
                    code=code,
                    system=system,
                    status="accepted",
                    detail=detail,
                )
            )
        encounters.append(encounter.id)
    session.commit()
    return org.id, encounters


def test_claims_to_837_to_835_to_ledger(
    session_factory: sessionmaker[Session], kb: KnowledgeBase
) -> None:
    practice = load_practice(PRACTICE)
    with session_factory() as session:
        org_id, encounters = seed(session)
    with session_factory() as session, session.begin():
        records = [build_and_store(session, e, practice, Editor(kb)) for e in encounters]
        pcns = [r.patient_control_number for r in records]
        batch = write_payer_batch(
            session, practice, "EXAMPLE-PAYER", file_name="rt.837", org_id=org_id
        )
    assert validate_x12(batch.text).ok
    claims = {c.claim_id: c for c in batch.claims}
    samples = [
        SampleClaim(
            pcn,
            tuple(
                SampleLine(ln.code, ln.charge, ln.control_number, ln.modifiers)
                for ln in claims[pcn].lines
            ),
            outcome,
        )  # type: ignore[arg-type]
        for pcn, outcome in zip(pcns, OUTCOMES, strict=True)
    ]
    era = write_sample_835(samples, trace_number=f"EFT{org_id[:10]}")
    texts = KbCodeTexts(kb)
    for _ in range(2):  # the second time it is a duplicate
        with session_factory() as session, session.begin():
            report = post_835(
                era,
                session=session,
                org_id=org_id,
                texts=texts,
                claims=StoredClaimSource(session, org_id),
            )
    assert (report.posted, report.duplicates) == (0, 1)
    later = write_sample_835(
        [samples[0].__class__(pcns[0], samples[0].lines, "reversed"), samples[0]],
        trace_number=f"EFT{org_id[:10]}R",
    )
    with session_factory() as session, session.begin():
        (again,) = post_835(
            later,
            session=session,
            org_id=org_id,
            texts=texts,
            claims=StoredClaimSource(session, org_id),
        ).postings
    assert again.plan is not None and again.status_warnings == ()

    with session_factory() as session:
        statuses = [
            session.scalar(select(ClaimRecord.status).where(ClaimRecord.id == r.id))
            for r in records
        ]
        assert statuses == ["paid", "partially_paid", "denied"]
        net = {a: account_balance(session, org_id, a) for a in Account}
        assert sum(net.values()) == Decimal("0.00")
        assert net[Account.INSURANCE_AR] == Decimal("0.00")
        billed = sum((c.total_charge for c in batch.claims), Decimal("0"))
        assert net[Account.CHARGES] == -billed
        partly = session.get_one(Encounter, encounters[1]).patient_id
        owed = patient_balance(session, org_id, partly)
        assert owed > 0 and owed == net[Account.PATIENT_AR]
        denials = open_denials(session, org_id)  # one per denied line
        assert sorted(d.procedure for d in denials) == ["82947", "99214"]
        assert {(d.claim_id, d.carc, d.action) for d in denials} == {
            (pcns[2].upper(), "16", "correct_and_resubmit")
        }
        assert all(d.remarks[0]["code"] == "M51" and d.remarks[0]["text"] for d in denials)
        charges, payments = patient_statement_items(session, org_id, partly)
    assert sorted(c.description.split(" (")[0] for c in charges) == ["Coinsurance", "Deductible"]
    statement = build_statement(
        StatementPatient("A", "Pat Round1"),
        StatementPractice("RT"),
        charges,
        payments,
        on=charges[0].posted_on,
    )
    assert statement.balance == owed
    html = render_statement_html(statement)
    assert all(f"${c.amount:,.2f}" in html for c in charges)
