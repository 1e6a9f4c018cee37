"""Billing: the denials worklist (list, resolve), an encounter's ledger, a patient's balance,
statement and payments.

Billers and admins resolve denials; staff read the worklist and ledgers; a patient reads only
their own balance and statement. Every read and change is an audit event.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from medcoder.api.auditing import audit
from medcoder.api.deps import Principal, SessionDep, get_resources, require_roles
from medcoder.api.policy import Role
from medcoder.api.problems import ProblemError, problem_responses
from medcoder.api.routes._common import (
    IdempotencyKey,
    PageParams,
    idempotent,
    load_encounter,
    load_owned,
    load_patient,
    page_params,
    paged_list,
)
from medcoder.api.routes.claims import (
    BILLING_READ,
    BILLING_WRITE,
    PRACTICE_ENV,
    actor,
    current_practice,
)
from medcoder.api.schemas import Page
from medcoder.billing.adjustment_rules import ACTION_TEXT, Action
from medcoder.billing.ledger import balances
from medcoder.billing.ledger_store import encounter_entries, patient_balance
from medcoder.billing.statements import Statement, StatementPractice
from medcoder.store.billing_models import DenialRecord

__all__ = ["router"]

router = APIRouter(tags=["billing"])

DenialStatus = Literal["open", "resubmitted", "appealed", "written_off", "billed_patient", "closed"]
Resolution = Literal["appealed", "resubmitted", "written_off", "billed_patient", "closed"]


class RemarkPublic(BaseModel):
    code: str
    text: str


class DenialPublic(BaseModel):
    """A worklist item: the denied line, why (CARC/RARC with their wording), what to do."""

    id: str
    claim_id: str
    encounter_id: str
    remittance_id: str
    line: str
    procedure: str
    amount: Decimal
    group_code: str
    carc: str
    carc_text: str
    remarks: list[RemarkPublic]
    cause: str
    action: str
    action_text: str
    payer_claim_control_number: str
    status: str
    created_at: dt.datetime
    resolved_at: dt.datetime | None = None


class DenialResolve(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resolution: Resolution


class LedgerEntryPublic(BaseModel):
    kind: str
    debit: str
    credit: str
    amount: Decimal
    claim_id: str
    line: str
    group: str
    reason: str
    memo: str


class EncounterLedger(BaseModel):
    """An encounter's ledger entries (oldest first) and the balance of each account."""

    encounter_id: str
    entries: list[LedgerEntryPublic]
    balances: dict[str, Decimal]
    insurance_balance: Decimal
    patient_balance: Decimal


class PatientBalance(BaseModel):
    patient_id: str
    balance: Decimal


def _denial_public(row: DenialRecord) -> DenialPublic:
    return DenialPublic(
        id=row.id,
        claim_id=row.claim_id,
        encounter_id=row.encounter_id,
        remittance_id=row.remittance_id,
        line=row.line,
        procedure=row.procedure,
        amount=row.amount,
        group_code=row.group_code,
        carc=row.carc,
        carc_text=row.carc_text,
        remarks=[RemarkPublic(code=r["code"], text=r["text"]) for r in row.remarks],
        cause=row.cause,
        action=row.action,
        action_text=ACTION_TEXT.get(Action(row.action), row.action),
        payer_claim_control_number=row.payer_claim_control_number,
        status=row.status,
        created_at=row.created_at,
        resolved_at=row.resolved_at,
    )


@router.get("/denials", response_model=Page[DenialPublic], responses=problem_responses(401, 403))
def list_denials(
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, Depends(require_roles(*BILLING_READ))],
    page: Annotated[PageParams, Depends(page_params)],
    status: Annotated[DenialStatus, Query(description="Worklist status")] = "open",
    encounter_id: Annotated[str | None, Query(pattern=r"^[0-9a-f]{32}$")] = None,
) -> Page[DenialPublic]:
    """The denials worklist of the organization (open items by default), largest first."""
    where = [DenialRecord.org_id == who.org_id, DenialRecord.status == status]
    if encounter_id is not None:
        where.append(DenialRecord.encounter_id == encounter_id)
    return paged_list(
        session,
        request,
        who,
        page,
        model=DenialRecord,
        where=where,
        order_by=(DenialRecord.amount.desc(), DenialRecord.created_at, DenialRecord.id),
        public=_denial_public,
        action="denial.list",
    )


@router.post(
    "/denials/{denial_id}/resolve",
    response_model=DenialPublic,
    responses=problem_responses(401, 403, 404, 409),
)
def resolve(
    denial_id: str,
    body: DenialResolve,
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, Depends(require_roles(*BILLING_WRITE))],
) -> DenialPublic:
    """Close a worklist item: ``appealed``/``resubmitted`` (owed by the payer again),
    ``written_off``, ``billed_patient`` (refused for a CO denial: 422) or ``closed``; the
    ledger entry moving its amount is posted. An item already resolved answers 409."""
    from medcoder.billing.denials_store import resolve_denial

    # Locked (PostgreSQL) and read fresh: two concurrent resolutions cannot both pass.
    row = load_owned(
        session,
        request,
        who,
        DenialRecord,
        denial_id,
        kind="denial",
        action="denial.resolve",
        lock=True,
    )
    if row.status != "open":
        session.rollback()
        raise ProblemError(409, f"denial {denial_id} is already {row.status}")
    try:
        item = resolve_denial(session, who.org_id, row.id, body.resolution, actor=actor(who))
    except BaseException:
        session.rollback()
        raise
    session.commit()
    return _denial_public(item)


@router.get(
    "/encounters/{encounter_id}/ledger",
    response_model=EncounterLedger,
    responses=problem_responses(401, 403, 404),
)
def encounter_ledger(
    encounter_id: str,
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, Depends(require_roles(*BILLING_READ))],
) -> EncounterLedger:
    """The encounter's ledger: charges, payments, adjustments, patient share, denials; the
    balance of each account (``insurance_ar``: still owed by payers, ``patient_ar``: by the
    patient)."""
    encounter = load_encounter(session, request, who, encounter_id)
    entries = encounter_entries(session, who.org_id, encounter.id)
    totals = balances(entries)
    zero = Decimal("0.00")
    audit(session, request, who, "ledger.read", f"encounter/{encounter.id}")
    session.commit()
    return EncounterLedger(
        encounter_id=encounter.id,
        entries=[
            LedgerEntryPublic(
                kind=e.kind.value,
                debit=e.debit.value,
                credit=e.credit.value,
                amount=e.amount,
                claim_id=e.claim_id,
                line=e.line,
                group=e.group,
                reason=e.reason,
                memo=e.memo,
            )
            for e in entries
        ],
        balances={a.value: v for a, v in sorted(totals.items())},
        insurance_balance=next((v for a, v in totals.items() if a.value == "insurance_ar"), zero),
        patient_balance=next((v for a, v in totals.items() if a.value == "patient_ar"), zero),
    )


@router.get(
    "/patients/{patient_id}/balance",
    response_model=PatientBalance,
    responses=problem_responses(401, 403, 404),
)
def read_patient_balance(
    patient_id: str,
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, Depends(require_roles(*BILLING_READ, Role.PATIENT))],
) -> PatientBalance:
    """What the patient owes the practice (their share of every claim, less their
    payments). A patient sees only their own."""
    patient = load_patient(session, request, who, patient_id)
    owed = patient_balance(session, who.org_id, patient.id)
    audit(session, request, who, "patient_balance.read", f"patient/{patient.id}")
    session.commit()
    return PatientBalance(patient_id=patient.id, balance=owed)


def _statement_practice(request: Request) -> StatementPractice:
    """Who sends the statement: the practice file's billing provider when one is configured."""
    configured = get_resources(request).practice is not None or os.environ.get(
        PRACTICE_ENV, ""
    ).strip()
    return StatementPractice.of(current_practice(request) if configured else None)


@router.get(
    "/patients/{patient_id}/statement",
    response_model=Statement,
    responses={
        200: {
            "description": "The statement (JSON; HTML or PDF with ?format=)",
            "content": {
                "text/html": {"schema": {"type": "string"}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            },
        },
        **problem_responses(401, 403, 404, 503),
    },
)
def read_patient_statement(
    patient_id: str,
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, Depends(require_roles(*BILLING_READ, Role.PATIENT))],
    on: Annotated[dt.date | None, Query(description="Statement date (default: today)")] = None,
    format: Annotated[Literal["json", "html", "pdf"], Query()] = "json",  # noqa: A002
) -> Any:
    """The patient's statement: their share of each claim, their payments, the balance and its
    aging (0-30, 31-60, 61-90, over 90 days). A patient sees only their own."""
    from medcoder.billing.patient_billing import statement_for_patient
    from medcoder.billing.statements import render_statement_html, render_statement_pdf

    patient = load_patient(session, request, who, patient_id)
    statement = statement_for_patient(
        session, who.org_id, patient.id, _statement_practice(request), on=on or dt.date.today()
    )
    audit(
        session,
        request,
        who,
        "statement.read",
        f"patient/{patient.id}",
        detail={"format": format},
    )
    session.commit()
    if format == "html":
        return HTMLResponse(render_statement_html(statement))
    if format == "pdf":
        return Response(render_statement_pdf(statement), media_type="application/pdf")
    return statement


class PaymentCreate(BaseModel):
    """A payment the patient made (at the desk, by phone): whole cents, positive."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    amount: Decimal = Field(gt=0, max_digits=12, decimal_places=2)
    encounter_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$")
    memo: str = Field(default="", max_length=200, pattern=r"^[^\x00]*$")


class PaymentPublic(BaseModel):
    id: str
    patient_id: str
    encounter_id: str | None
    amount: Decimal
    memo: str
    balance: Decimal


@router.post(
    "/patients/{patient_id}/payments",
    status_code=201,
    response_model=PaymentPublic,
    responses=problem_responses(401, 403, 404, 422),
)
def record_payment(
    patient_id: str,
    body: PaymentCreate,
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, Depends(require_roles(*BILLING_WRITE))],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Post a payment the patient made (``cash`` debit, ``patient_ar`` credit); answers the
    patient's new balance. Send an ``Idempotency-Key``: a retried payment is posted once."""
    from medcoder.billing.ledger_store import record_patient_payment

    def create() -> tuple[int, PaymentPublic]:
        patient = load_patient(session, request, who, patient_id)
        if body.encounter_id is not None:
            encounter = load_encounter(session, request, who, body.encounter_id)
            if encounter.patient_id != patient.id:
                raise ProblemError(422, "the encounter is not this patient's", field="encounter_id")
        entry = record_patient_payment(
            session,
            who.org_id,
            patient_id=patient.id,
            encounter_id=body.encounter_id,
            amount=body.amount,
            memo=body.memo,
        )
        audit(
            session,
            request,
            who,
            "patient_payment.create",
            f"ledger_entry/{entry.id}",
            detail={"patient_id": patient.id, "amount": str(entry.amount)},
        )
        owed = patient_balance(session, who.org_id, patient.id)
        session.commit()
        return 201, PaymentPublic(
            id=entry.id,
            patient_id=patient.id,
            encounter_id=entry.encounter_id,
            amount=entry.amount,
            memo=entry.memo,
            balance=owed,
        )

    return idempotent(request, who, idempotency_key, body.model_dump(mode="json"), create)
