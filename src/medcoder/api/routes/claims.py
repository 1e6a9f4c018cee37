"""Claims: build one from a coded encounter, list and read them, batch a payer's built claims
into one validated 837, the FHIR Claim, and the move to ``submitted``.

Billers and admins change claims; coders, auditors and providers read them (their own
organization only, another's answers 404); patients do not see claims. Every read and change
is an audit event (claims name patients: PHI).

The practice file (billing provider, payers, fee schedule; see docs/claims.md) is the one the
app loaded at start-up (``Settings.practice_file``: ``$MEDCODER_PRACTICE_FILE`` or
``medcoder serve --practice``); an app created without one falls back to reading
``$MEDCODER_PRACTICE_FILE`` when a request needs it (re-read when the file changes).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

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
    page_params,
    paged_list,
    replay_headers,
    run_once,
)
from medcoder.api.schemas import Page
from medcoder.claims.errors import ClaimEditError, ClaimError, ClaimStateError
from medcoder.claims.practice import Practice, load_practice
from medcoder.claims.state import ClaimStatus, advance
from medcoder.errors import MedcoderError
from medcoder.store.claims_models import ClaimLineRecord, ClaimRecord, X12Batch
from medcoder.store.models import Encounter

__all__ = [
    "BILLING_READ",
    "BILLING_WRITE",
    "PRACTICE_ENV",
    "ClaimPublic",
    "claim_public",
    "current_practice",
    "router",
    "x12_body",
]

router = APIRouter(prefix="/claims", tags=["claims"])

#: Who builds, batches and submits claims, posts remittances and works denials.
BILLING_WRITE = (Role.BILLER, Role.ADMIN)
#: Who reads claims, remittances, denials and ledgers (a provider: their organization's).
BILLING_READ = (Role.BILLER, Role.ADMIN, Role.CODER, Role.AUDITOR, Role.PROVIDER)
#: The environment variable naming the practice file.
PRACTICE_ENV = "MEDCODER_PRACTICE_FILE"

ClaimStatusName = Literal[
    "built",
    "submitted",
    "accepted",
    "rejected",
    "paid",
    "partially_paid",
    "denied",
    "corrected",
    "appealed",
    "closed",
]


# -- bodies ---------------------------------------------------------------------------------
class ClaimCreate(BaseModel):
    """Build the claim of a coded encounter."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    encounter_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    frequency: Literal["1", "7", "8"] = Field(
        default="1", description="1 original, 7 replacement, 8 void (7/8 need the reference)"
    )
    original_claim_reference: str | None = Field(
        default=None,
        min_length=1,
        max_length=50,
        pattern=r"^[A-Za-z0-9-]+$",
        description="The payer's claim control number of the claim replaced or voided",
    )


class ClaimLinePublic(BaseModel):
    line_number: int
    code: str
    modifiers: list[str]
    units: int
    charge: Decimal
    control_number: str
    revenue_code: str | None = None


class ClaimPublic(BaseModel):
    """A claim as stored (ids, payer, money and status; the patient is behind the encounter)."""

    id: str
    encounter_id: str
    patient_control_number: str
    payer_key: str
    payer_id: str
    claim_type: str
    frequency: str
    original_claim_reference: str | None = None
    replaces_claim_id: str | None = None
    status: str
    total_charge: Decimal
    batch_id: str | None = None
    created_at: dt.datetime
    submitted_at: dt.datetime | None = None
    lines: list[ClaimLinePublic] = []


def claim_public(record: ClaimRecord, lines: list[ClaimLineRecord] | None = None) -> ClaimPublic:
    public = ClaimPublic.model_validate(record, from_attributes=True)
    if lines is not None:
        public.lines = [ClaimLinePublic.model_validate(ln, from_attributes=True) for ln in lines]
    return public


# -- shared with the remittance and billing routers ------------------------------------------
_practice_lock = threading.Lock()
_practice_cache: dict[tuple[str, int], Practice] = {}


def current_practice(request: Request | None = None) -> Practice:
    """The server's practice file: the one its settings loaded at start-up
    (``Settings.practice_file``), else the file named by ``$MEDCODER_PRACTICE_FILE`` (an app
    built without it, as the tests' shared app is: read and cached until the file changes).

    Raises:
        ProblemError: 503 when none is configured or it cannot be read (a server problem).
    """
    if request is not None:
        loaded = get_resources(request).practice
        if loaded is not None:
            return loaded
    name = os.environ.get(PRACTICE_ENV, "").strip()
    if not name:
        raise ProblemError(
            503,
            f"claims need a practice file: the server has no {PRACTICE_ENV}",
            title="Service Unavailable",
        )
    path = Path(name)
    try:
        key = (str(path.resolve()), path.stat().st_mtime_ns)
    except OSError as exc:
        raise ProblemError(
            503, f"the practice file cannot be read ({exc.strerror})", title="Service Unavailable"
        ) from exc
    with _practice_lock:
        found = _practice_cache.get(key)
        if found is None:
            try:
                found = load_practice(path)
            except MedcoderError as exc:
                raise ProblemError(
                    503, f"the practice file is invalid: {exc}", title="Service Unavailable"
                ) from exc
            _practice_cache.clear()
            _practice_cache[key] = found
        return found


async def x12_body(request: Request) -> str:
    """The request body as X12 text (raw body, any content type; size-limited)."""
    limit = get_resources(request).settings.max_document_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ProblemError(413, f"the file is larger than {limit} bytes")
    raw = await request.body()
    if len(raw) > limit:
        raise ProblemError(413, f"the file is larger than {limit} bytes")
    if not raw.strip():
        raise ProblemError(422, "the request body is empty: send the X12 file as the body")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    if "\x00" in text:
        raise ProblemError(422, "the file must not contain NUL characters")
    return text


def actor(who: Principal) -> str:
    """The audit actor of a change made through the core (``user:<id>``)."""
    return f"user:{who.user_id}"


def _load_claim(
    session: Session, request: Request, who: Principal, claim_id: str, *, lock: bool = False
) -> ClaimRecord:
    """The claim, if the caller's organization holds it (``lock``: its row locked for a
    change, on PostgreSQL; SQLite transactions already hold the write lock)."""
    return load_owned(session, request, who, ClaimRecord, claim_id, kind="claim", lock=lock)


def _lines(session: Session, claim_id: str) -> list[ClaimLineRecord]:
    return list(
        session.scalars(
            select(ClaimLineRecord)
            .where(ClaimLineRecord.claim_id == claim_id)
            .order_by(ClaimLineRecord.line_number)
        )
    )


def _edit_problem(exc: ClaimEditError) -> ProblemError:
    named = "; ".join(f"{f.edit_id}: {f.message} (fix: {f.fix})" for f in exc.findings)
    return ProblemError(
        422,
        f"the claim fails {len(exc.findings)} error edit(s): {named or exc}",
        title="Claim edits failed",
        field="edits",
    )


# -- routes ---------------------------------------------------------------------------------
@router.post(
    "",
    status_code=201,
    response_model=ClaimPublic,
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
def create_claim(
    body: ClaimCreate,
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, Depends(require_roles(*BILLING_WRITE))],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Build (and store, status ``built``) the claim of a coded encounter: the coder's final
    codes, the patient's coverage on the date of service, the practice's fees. Error-severity
    claim edits answer 422 naming each edit; a second original claim for the encounter 409."""
    from medcoder.claims.db import build_and_store
    from medcoder.claims.model import Frequency
    from medcoder.edits.engine import Editor

    def create() -> tuple[int, ClaimPublic]:
        load_encounter(session, request, who, body.encounter_id)
        practice = current_practice(request)
        # One build per encounter at a time: PostgreSQL locks the encounter's row (SQLite
        # transactions already hold the write lock), so a concurrent build sees this one's
        # claim and replaces it or conflicts, never adds a second original.
        session.execute(
            select(Encounter.id).where(Encounter.id == body.encounter_id).with_for_update()
        )
        try:
            record = build_and_store(
                session,
                body.encounter_id,
                practice,
                Editor(get_resources(request).kb()),
                frequency=Frequency(body.frequency),
                original_claim_reference=body.original_claim_reference,
                actor=actor(who),
            )
        except ClaimEditError as exc:
            session.rollback()
            raise _edit_problem(exc) from None
        except ClaimStateError as exc:
            session.rollback()
            raise ProblemError(409, str(exc)) from None
        except ClaimError as exc:
            session.rollback()
            raise ProblemError(422, str(exc)) from None
        except MedcoderError:
            session.rollback()
            raise
        public = claim_public(record, _lines(session, record.id))
        # Commit last: no transaction of this request is left open while the idempotency key
        # stores the answer (on SQLite every transaction holds the write lock).
        session.commit()
        return 201, public

    return idempotent(request, who, idempotency_key, body.model_dump(mode="json"), create)


@router.get("", response_model=Page[ClaimPublic], responses=problem_responses(401, 403))
def list_claims(
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, Depends(require_roles(*BILLING_READ))],
    page: Annotated[PageParams, Depends(page_params)],
    status: Annotated[ClaimStatusName | None, Query(description="Only this status")] = None,
    payer: Annotated[
        str | None, Query(max_length=80, description="Practice payer key or payer id")
    ] = None,
    encounter_id: Annotated[str | None, Query(pattern=r"^[0-9a-f]{32}$")] = None,
) -> Page[ClaimPublic]:
    """Claims of the organization, newest first."""
    where = [ClaimRecord.org_id == who.org_id]
    if status is not None:
        where.append(ClaimRecord.status == status)
    if payer is not None:
        if "\x00" in payer:
            raise ProblemError(422, "payer must not contain NUL characters", field="payer")
        where.append((ClaimRecord.payer_key == payer) | (ClaimRecord.payer_id == payer))
    if encounter_id is not None:
        where.append(ClaimRecord.encounter_id == encounter_id)
    return paged_list(
        session,
        request,
        who,
        page,
        model=ClaimRecord,
        where=where,
        order_by=(ClaimRecord.created_at.desc(), ClaimRecord.id),
        public=claim_public,
        action="claim.list",
    )


class BatchSummary(BaseModel):
    control_number: str
    transaction_set: str
    payer_id: str
    claims: list[str]
    total_charge: Decimal
    file_name: str
    batch_id: str
    x12: str


def _write_batch(session: Session, request: Request, who: Principal, payer: str) -> BatchSummary:
    from medcoder.claims.db import write_payer_batch
    from medcoder.claims.x12.validate import validate_x12

    practice = current_practice(request)
    try:
        result = write_payer_batch(
            session, practice, payer, file_name="pending.837", org_id=who.org_id, actor=actor(who)
        )
    except ClaimError as exc:
        session.rollback()
        status = 404 if str(exc).startswith("no built") else 422
        raise ProblemError(status, str(exc), field="payer") from None
    report = validate_x12(result.text)
    if not report.ok:
        session.rollback()
        shown = "; ".join(report.errors[:5])
        raise ProblemError(
            422,
            f"pyx12 found {len(report.errors)} error(s) in the 837, nothing recorded: {shown}",
        )
    number = f"{result.batch.control_number:09d}"
    result.batch.file_name = f"{result.batch.transaction_set}-{number}.x12"
    summary = BatchSummary(
        control_number=number,
        transaction_set=result.batch.transaction_set,
        payer_id=result.batch.payer_id,
        claims=[c.claim_id for c in result.claims],
        total_charge=result.batch.total_charge,
        file_name=result.batch.file_name,
        batch_id=result.batch.id,
        x12=result.text,
    )
    session.commit()
    return summary


@router.post(
    "/x12",
    status_code=201,
    response_class=Response,
    responses={
        201: {
            "description": "The 837 file (X12 text, as an attachment)",
            "content": {"application/edi-x12": {"schema": {"type": "string"}}},
        },
        **problem_responses(401, 403, 404, 422, 503),
    },
)
def write_x12(
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, Depends(require_roles(*BILLING_WRITE))],
    payer: Annotated[
        str, Query(min_length=1, max_length=80, description="Practice payer key or payer id")
    ],
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Every built, unsubmitted claim of the organization for ``payer`` in one 837P or 837I
    file, validated with pyx12; the claims become ``submitted`` and the file's control
    number is recorded. No such claims: 404. Answers the file as an attachment (headers
    ``X-Control-Number``, ``X-Claim-Ids``)."""
    if "\x00" in payer:
        raise ProblemError(422, "payer must not contain NUL characters", field="payer")

    def run() -> tuple[int, Any]:
        return 201, _write_batch(session, request, who, payer).model_dump(mode="json")

    status, payload, replayed = run_once(request, who, idempotency_key, {"payer": payer}, run)
    headers = {
        "Content-Disposition": f'attachment; filename="{payload["file_name"]}"',
        "X-Control-Number": payload["control_number"],
        "X-Claim-Ids": ",".join(payload["claims"]),
        "X-Batch-Id": payload["batch_id"],
        **replay_headers(replayed),
    }
    return Response(
        payload["x12"], status_code=status, media_type="application/edi-x12", headers=headers
    )


class BatchPublic(BaseModel):
    """An 837 file written: its control number (ISA13/GS06/ST02), payer, claims, checksum."""

    id: str
    control_number: int
    transaction_set: str
    payer_id: str
    claim_count: int
    total_charge: Decimal
    file_name: str
    sha256: str
    created_at: dt.datetime


@router.get("/batches", response_model=Page[BatchPublic], responses=problem_responses(401, 403))
def list_batches(
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, Depends(require_roles(*BILLING_READ))],
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[BatchPublic]:
    """The 837 files written for the organization, newest first (their control numbers are
    what a 999 answers)."""
    where = [X12Batch.org_id == who.org_id]
    return paged_list(
        session,
        request,
        who,
        page,
        model=X12Batch,
        where=where,
        order_by=(X12Batch.created_at.desc(), X12Batch.control_number.desc()),
        public=lambda row: BatchPublic.model_validate(row, from_attributes=True),
        action="x12_batch.list",
        audit_detail="count",
    )


@router.get("/{claim_id}", response_model=ClaimPublic, responses=problem_responses(401, 403, 404))
def read_claim(
    claim_id: str,
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, Depends(require_roles(*BILLING_READ))],
) -> ClaimPublic:
    """One claim with its lines."""
    record = _load_claim(session, request, who, claim_id)
    public = claim_public(record, _lines(session, record.id))
    audit(session, request, who, "claim.read", f"claim/{record.id}")
    session.commit()
    return public


@router.get(
    "/{claim_id}/fhir",
    response_class=Response,
    responses={
        200: {
            "description": "The claim as a FHIR R4 Claim resource",
            "content": {"application/fhir+json": {"schema": {"type": "object"}}},
        },
        **problem_responses(401, 403, 404),
    },
)
def read_claim_fhir(
    claim_id: str,
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, Depends(require_roles(*BILLING_READ))],
) -> Response:
    """The claim as built, as a FHIR R4 ``Claim`` (validated with fhir.resources)."""
    from medcoder.claims.fhir import claim_to_fhir, validate_fhir_claim
    from medcoder.claims.serialize import claim_from_dict

    record = _load_claim(session, request, who, claim_id)
    claim = claim_from_dict(record.snapshot)
    model = validate_fhir_claim(claim_to_fhir(claim, created=record.created_at.date()))
    text = model.model_dump_json(exclude_none=True)
    audit(session, request, who, "claim.read", f"claim/{record.id}", detail={"as": "fhir"})
    session.commit()
    return Response(text, media_type="application/fhir+json")


@router.post(
    "/{claim_id}/submit",
    response_model=ClaimPublic,
    responses=problem_responses(401, 403, 404, 409),
)
def submit_claim(
    claim_id: str,
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, Depends(require_roles(*BILLING_WRITE))],
) -> ClaimPublic:
    """Mark a built claim ``submitted`` (sent outside an 837 batch of this service, e.g. on a
    payer portal). A claim already submitted (or further) answers 409."""
    record = _load_claim(session, request, who, claim_id, lock=True)
    try:
        record.status = advance(
            record.status, ClaimStatus.SUBMITTED, claim_id=record.patient_control_number
        ).value
    except ClaimStateError as exc:
        session.rollback()
        raise ProblemError(409, str(exc)) from None
    record.submitted_at = dt.datetime.now(dt.UTC)
    audit(session, request, who, "claim.submit", f"claim/{record.id}")
    session.commit()
    return claim_public(record, _lines(session, record.id))
