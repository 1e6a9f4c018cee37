"""Remittances (835) and acknowledgements (999, 277CA): upload, post, list.

``POST /remittances`` takes the 835 file as the request body, reads it completely (malformed
X12: 422 naming the segment and its position, nothing posted) and posts every transaction in
one database transaction: payments, adjustments and patient share to the per-encounter
ledger, denials to the worklist, claim statuses moved. The same 835 posted again posts
nothing and answers 200 with ``already_posted``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from medcoder.api.auditing import audit
from medcoder.api.deps import Principal, SessionDep, get_resources, require_roles
from medcoder.api.problems import problem_responses
from medcoder.api.routes._common import (
    IdempotencyKey,
    PageParams,
    idempotent,
    load_owned,
    page_params,
    paged_list,
)
from medcoder.api.routes.claims import BILLING_READ, BILLING_WRITE, actor, x12_body
from medcoder.api.schemas import Page
from medcoder.billing.store import PostingReport, RemittancePosting
from medcoder.store.billing_models import RemittanceRecord

__all__ = ["router"]

router = APIRouter(tags=["remittances"])

_X12_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/edi-x12": {"schema": {"type": "string"}},
            "text/plain": {"schema": {"type": "string"}},
        },
    }
}


class DenialSummary(BaseModel):
    line: str
    procedure: str
    group: str
    carc: str
    amount: Decimal
    action: str


class ClaimPostingPublic(BaseModel):
    claim_id: str
    encounter_id: str
    outcome: str
    paid: Decimal
    patient_responsibility: Decimal
    denials: list[DenialSummary]


class RemittancePostingPublic(BaseModel):
    remittance_id: str
    control_number: str
    trace_number: str
    payer: str
    total_paid: Decimal
    duplicate: bool
    claims: list[ClaimPostingPublic] = []
    unmatched: list[str] = []
    warnings: list[str] = []


class PostingResult(BaseModel):
    """What posting an 835 file did; ``already_posted`` when every transaction had been."""

    already_posted: bool
    posted: int
    duplicates: int
    remittances: list[RemittancePostingPublic]


class RemittancePublic(BaseModel):
    id: str
    payer_key: str
    payer_name: str
    trace_number: str
    control_number: str
    total_paid: Decimal
    payment_method: str
    payment_date: dt.date | None = None
    claims_count: int
    posted_claims: int
    unmatched: list[str]
    warnings: list[str]
    posted_at: dt.datetime


class StatusChangePublic(BaseModel):
    claim_id: str
    before: str
    after: str


class AcknowledgementResult(BaseModel):
    """Claims moved by a 999/277CA, numbers matching no claim, and warnings."""

    acknowledgements: int
    changes: list[StatusChangePublic]
    unmatched: list[str]
    warnings: list[str]


def _posting_public(p: RemittancePosting) -> RemittancePostingPublic:
    plan = p.plan
    public = RemittancePostingPublic(
        remittance_id=p.remittance_id,
        control_number=p.control_number,
        trace_number=p.trace_number,
        payer=p.payer,
        total_paid=p.total_paid,
        duplicate=p.duplicate,
    )
    if plan is not None:
        public.claims = [
            ClaimPostingPublic(
                claim_id=c.claim_id,
                encounter_id=c.encounter_id,
                outcome=c.outcome.value,
                paid=c.paid,
                patient_responsibility=c.patient_responsibility,
                denials=[
                    DenialSummary(
                        line=d.line,
                        procedure=d.procedure,
                        group=d.group,
                        carc=d.carc,
                        amount=d.amount,
                        action=d.action.value,
                    )
                    for d in c.denials
                ],
            )
            for c in plan.claims
        ]
        public.unmatched = list(plan.unmatched)
        public.warnings = [*plan.warnings, *p.status_warnings]
    return public


def _result(report: PostingReport) -> PostingResult:
    return PostingResult(
        already_posted=report.posted == 0,
        posted=report.posted,
        duplicates=report.duplicates,
        remittances=[_posting_public(p) for p in report.postings],
    )


@router.post(
    "/remittances",
    status_code=201,
    response_model=PostingResult,
    openapi_extra=_X12_BODY,
    responses={
        200: {"model": PostingResult, "description": "Already posted: nothing done"},
        **problem_responses(401, 403, 413, 422),
    },
)
def post_remittance(
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, Depends(require_roles(*BILLING_WRITE))],
    text: Annotated[str, Depends(x12_body)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Post an 835 (the file is the request body): 201 when posted, 200 with
    ``already_posted`` when this 835 was posted before."""
    from medcoder.billing.claims_store import StoredClaimSource
    from medcoder.billing.code_texts import KbCodeTexts
    from medcoder.billing.store import post_835
    from medcoder.claims.readers import read_835

    def create() -> tuple[int, PostingResult]:
        read_835(text)  # malformed: X12ParseError (422, segment and position) before any write
        try:
            report = post_835(
                text,
                session=session,
                org_id=who.org_id,
                claims=StoredClaimSource(session, who.org_id),
                texts=KbCodeTexts(get_resources(request).kb()),
                posted_by=actor(who),
            )
            session.commit()
        except BaseException:
            session.rollback()
            raise
        result = _result(report)
        return (200 if result.already_posted else 201), result

    return idempotent(request, who, idempotency_key, text, create)


@router.get(
    "/remittances", response_model=Page[RemittancePublic], responses=problem_responses(401, 403)
)
def list_remittances(
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, Depends(require_roles(*BILLING_READ))],
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[RemittancePublic]:
    """Posted 835 transactions of the organization, newest first."""
    where = [RemittanceRecord.org_id == who.org_id]
    return paged_list(
        session,
        request,
        who,
        page,
        model=RemittanceRecord,
        where=where,
        order_by=(RemittanceRecord.posted_at.desc(), RemittanceRecord.id),
        public=lambda row: RemittancePublic.model_validate(row, from_attributes=True),
        action="remittance.list",
        audit_detail="count",
    )


@router.get(
    "/remittances/{remittance_id}",
    response_model=RemittancePublic,
    responses=problem_responses(401, 403, 404),
)
def read_remittance(
    remittance_id: str,
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, Depends(require_roles(*BILLING_READ))],
) -> RemittancePublic:
    """One posted 835 transaction."""
    row = load_owned(session, request, who, RemittanceRecord, remittance_id, kind="remittance")
    audit(session, request, who, "remittance.read", f"remittance/{row.id}")
    session.commit()
    return RemittancePublic.model_validate(row, from_attributes=True)


@router.post(
    "/acknowledgements",
    response_model=AcknowledgementResult,
    openapi_extra=_X12_BODY,
    responses=problem_responses(401, 403, 413, 422),
)
def post_acknowledgement(
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, Depends(require_roles(*BILLING_WRITE))],
    text: Annotated[str, Depends(x12_body)],
) -> AcknowledgementResult:
    """Apply a 999 (a rejected file rejects its claims) or a 277CA (each claim accepted or
    rejected) to the organization's claims. Applying it again moves nothing."""
    from medcoder.billing.acknowledgements import apply_acknowledgements
    from medcoder.claims.readers import read_acknowledgements

    acks = read_acknowledgements(text)  # malformed: 422 naming the segment, nothing applied
    try:
        result = apply_acknowledgements(acks, session=session, org_id=who.org_id, actor=actor(who))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return AcknowledgementResult(
        acknowledgements=len(acks),
        changes=[
            StatusChangePublic(claim_id=c.claim_id, before=c.before, after=c.after)
            for c in result.changes
        ],
        unmatched=list(result.unmatched),
        warnings=list(result.warnings),
    )
