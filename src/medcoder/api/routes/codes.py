"""Suggested codes of an encounter, the coder's review of each, and the final code set."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from medcoder.api.auditing import audit
from medcoder.api.code_checks import FinalCodes, check_code, edit_final_codes
from medcoder.api.deps import Principal, SessionDep, get_resources, require_roles
from medcoder.api.policy import CODE_REVIEW, PHI_READ
from medcoder.api.problems import ProblemError, problem_responses
from medcoder.api.routes._common import (
    IdempotencyKey,
    idempotent,
    load_encounter,
    well_formed_id,
)
from medcoder.api.schemas import (
    CodeAssignmentPublic,
    CodeCreate,
    EditFindingPublic,
    EvidencePublic,
    FinalCode,
    FinalCodeSet,
    ReviewRequest,
)
from medcoder.store.db import utcnow
from medcoder.store.models import CodeAssignment, Encounter, Patient
from medcoder.store.service_lines import line_fields

__all__ = ["assignment_public", "router"]

router = APIRouter(prefix="/encounters/{encounter_id}", tags=["codes"])

_BILLED = ("accepted", "changed", "added")
_SYSTEM_ORDER = {"ICD10CM": 0, "CPT": 1, "HCPCS": 2, "PCS": 3}


def _evidence(value: Any) -> list[EvidencePublic]:
    if not isinstance(value, list):
        return []
    return [EvidencePublic.model_validate(e) for e in value if isinstance(e, dict)]


def assignment_public(row: CodeAssignment) -> CodeAssignmentPublic:
    return CodeAssignmentPublic(
        id=row.id,
        encounter_id=row.encounter_id,
        coding_run_id=row.coding_run_id,
        position=row.position,
        code=row.code,
        system=row.system,
        score=row.score,
        rationale=row.rationale,
        evidence=_evidence(row.evidence),
        status=row.status,
        replaced_code=row.replaced_code,
        reason=row.reason,
        by_user_id=row.by_user_id,
        at=row.at,
    )


def _assignments(session: Session, encounter_id: str) -> list[CodeAssignment]:
    rows = session.scalars(
        select(CodeAssignment).where(CodeAssignment.encounter_id == encounter_id)
    ).all()
    return sorted(
        rows, key=lambda r: (_SYSTEM_ORDER.get(r.system, 9), r.position, r.created_at, r.id)
    )


@router.get(
    "/codes",
    response_model=list[CodeAssignmentPublic],
    responses=problem_responses(401, 403, 404),
)
def list_codes(
    encounter_id: str,
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, Depends(require_roles(*PHI_READ))],
) -> list[CodeAssignmentPublic]:
    """Every code of the encounter: suggestions with evidence and rationale, and the
    coder's decisions."""
    encounter = load_encounter(session, request, who, encounter_id)
    rows = _assignments(session, encounter.id)
    audit(session, request, who, "code_assignment.list", f"encounter/{encounter.id}")
    session.commit()
    return [assignment_public(r) for r in rows]


@router.post(
    "/codes/{assignment_id}/review",
    response_model=CodeAssignmentPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def review_code(
    encounter_id: str,
    assignment_id: str,
    body: ReviewRequest,
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, Depends(require_roles(*CODE_REVIEW))],
) -> CodeAssignmentPublic:
    """Accept, change (with the replacement code) or reject one code, with a reason. A
    decision can be revised; the engine's original code is kept in ``replaced_code``."""
    encounter = load_encounter(session, request, who, encounter_id)
    row = session.get(CodeAssignment, assignment_id) if well_formed_id(assignment_id) else None
    if row is None or row.encounter_id != encounter.id or row.org_id != who.org_id:
        raise ProblemError(404, f"no code {assignment_id} on encounter {encounter_id}")
    if encounter.status == "billed":
        raise ProblemError(409, "the encounter is billed; its codes can no longer change")
    original = row.replaced_code or row.code
    before = row.code
    if body.action == "change":
        if not body.code:
            raise ProblemError(422, "a change needs the replacement code", field="code")
        kb = get_resources(request).kb()
        new_code = check_code(kb, row.system, body.code, encounter.date_of_service)
        if new_code.replace(".", "") == original.replace(".", ""):
            raise ProblemError(
                422, "the replacement is the suggested code: accept it", field="code"
            )
        row.code, row.replaced_code, row.status = new_code, original, "changed"
    else:
        if body.code:
            raise ProblemError(
                422, f"a code is only given to change, not to {body.action}", field="code"
            )
        row.code, row.replaced_code = original, None
        row.status = "accepted" if body.action == "accept" else "rejected"
    row.reason, row.by_user_id, row.at = body.reason, who.user_id, utcnow()
    _refresh_status(session, request, encounter)
    audit(
        session,
        request,
        who,
        "code_assignment.review",
        f"code_assignment/{row.id}",
        detail={
            "encounter_id": encounter.id,
            "decision": row.status,
            "code": row.code,
            "previous": before if before != row.code else None,
        },
    )
    session.commit()
    return assignment_public(row)


@router.post(
    "/codes",
    status_code=201,
    response_model=CodeAssignmentPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def add_code(
    encounter_id: str,
    body: CodeCreate,
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, Depends(require_roles(*CODE_REVIEW))],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Add a code the engine missed (status ``added``), checked against the code set for the
    date of service; it goes last in its system's sequence."""

    def create() -> tuple[int, CodeAssignmentPublic]:
        encounter = load_encounter(session, request, who, encounter_id)
        if encounter.status == "billed":
            raise ProblemError(409, "the encounter is billed; its codes can no longer change")
        code = check_code(
            get_resources(request).kb(), body.system, body.code, encounter.date_of_service
        )
        last = session.scalar(
            select(func.max(CodeAssignment.position)).where(
                CodeAssignment.encounter_id == encounter.id,
                CodeAssignment.system == body.system,
            )
        )
        row = CodeAssignment(
            org_id=who.org_id,
            encounter_id=encounter.id,
            position=(last or 0) + 1,
            code=code,
            system=body.system,
            rationale="added by the coder",
            evidence=[],
            detail=(
                {
                    "modifiers": [m.upper() for m in body.modifiers],
                    "units": body.units,
                    "diagnosis_codes": [c.upper() for c in body.diagnosis_codes],
                }
                if body.system in ("CPT", "HCPCS")
                else {}
            ),
            status="added",
            reason=body.reason,
            by_user_id=who.user_id,
            at=utcnow(),
        )
        session.add(row)
        _refresh_status(session, request, encounter)
        audit(
            session,
            request,
            who,
            "code_assignment.create",
            f"code_assignment/{row.id}",
            detail={"encounter_id": encounter.id, "code": code},
        )
        session.commit()
        return 201, assignment_public(row)

    return idempotent(request, who, idempotency_key, body.model_dump(mode="json"), create)


def _final(
    session: Session, request: Request, encounter: Encounter
) -> tuple[list[CodeAssignment], int, Any]:
    rows = _assignments(session, encounter.id)
    pending = sum(1 for r in rows if r.status == "suggested")
    billed = [r for r in rows if r.status in _BILLED]
    patient = session.get(Patient, encounter.patient_id)
    assert patient is not None  # a foreign key
    diagnoses = [(r.code, r.replaced_code) for r in billed if r.system == "ICD10CM"]
    codes = FinalCodes(
        diagnoses=[code for code, _ in diagnoses],
        lines=[
            line_fields(r.code, r.detail, diagnoses)
            for r in billed
            if r.system in ("CPT", "HCPCS")
        ],
        procedures=[r.code for r in billed if r.system == "PCS"],
    )
    result = edit_final_codes(
        get_resources(request).kb(),
        codes,
        encounter_id=encounter.id,
        date_of_service=encounter.date_of_service,
        end_date=encounter.end_date,
        setting=encounter.setting,
        place_of_service=encounter.place_of_service,
        birth_date=patient.birth_date,
        sex=patient.sex,
    )
    return billed, pending, result


def _refresh_status(session: Session, request: Request, encounter: Encounter) -> None:
    """Once nothing is left to review: ``coded``, or ``with_errors`` when an edit fails."""
    session.flush()
    billed, pending, result = _final(session, request, encounter)
    if pending:
        encounter.status = "to_review"
    else:
        encounter.status = "coded" if billed and result.passed else "with_errors"


@router.get("/final", response_model=FinalCodeSet, responses=problem_responses(401, 403, 404))
def final_codes(
    encounter_id: str,
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, Depends(require_roles(*PHI_READ))],
) -> FinalCodeSet:
    """The codes to bill (accepted, changed and added, in sequence) and the claim edits on
    them (NCCI, code validity, age/sex, ...)."""
    encounter = load_encounter(session, request, who, encounter_id)
    billed, pending, result = _final(session, request, encounter)
    audit(session, request, who, "code_assignment.final", f"encounter/{encounter.id}")
    session.commit()

    def final(r: CodeAssignment) -> FinalCode:
        return FinalCode(code=r.code, system=r.system, status=r.status, assignment_id=r.id)

    return FinalCodeSet(
        encounter_id=encounter.id,
        status=encounter.status,
        complete=pending == 0,
        pending=pending,
        diagnoses=[final(r) for r in billed if r.system == "ICD10CM"],
        procedures=[final(r) for r in billed if r.system != "ICD10CM"],
        findings=[
            EditFindingPublic(
                edit_id=f.edit_id,
                category=f.category.value,
                severity=f.severity.value,
                message=f.message,
                fix=f.fix,
                reference=f.reference,
                codes=list(f.codes),
                line=f.line,
            )
            for f in result.findings
        ],
        passed=result.passed,
        warnings=list(result.warnings),
    )
