"""Patients: create, list (staff see their organization's; a patient only themself), read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from medcoder.api.auditing import audit
from medcoder.api.deps import Principal, SessionDep, require_roles
from medcoder.api.policy import PHI_READ, PHI_WRITE
from medcoder.api.problems import problem_responses
from medcoder.api.routes._common import (
    IdempotencyKey,
    PageParams,
    idempotent,
    load_patient,
    page_params,
    paged_list,
)
from medcoder.api.schemas import Page, PatientCreate, PatientPublic
from medcoder.store.crypto import digest
from medcoder.store.models import Patient

__all__ = ["patient_public", "router"]

router = APIRouter(prefix="/patients", tags=["patients"])


def patient_public(patient: Patient) -> PatientPublic:
    return PatientPublic.model_validate(patient, from_attributes=True)


@router.post(
    "",
    status_code=201,
    response_model=PatientPublic,
    responses=problem_responses(401, 403, 422),
)
def create_patient(
    body: PatientCreate,
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, Depends(require_roles(*PHI_WRITE))],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Register a patient of the caller's organization."""

    def create() -> tuple[int, PatientPublic]:
        values = body.model_dump()
        patient = Patient(org_id=who.org_id, **values)
        if body.mrn:
            patient.mrn_hash = digest(body.mrn, purpose="patients.mrn")
        session.add(patient)
        session.flush()
        audit(session, request, who, "patient.create", f"patient/{patient.id}")
        session.commit()
        return 201, patient_public(patient)

    return idempotent(request, who, idempotency_key, body.model_dump(mode="json"), create)


@router.get("", response_model=Page[PatientPublic], responses=problem_responses(401, 403, 422))
def list_patients(
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, Depends(require_roles(*PHI_READ))],
    page: Annotated[PageParams, Depends(page_params)],
    mrn: Annotated[str | None, Query(min_length=1, max_length=50)] = None,
) -> Page[PatientPublic]:
    """The organization's patients, newest first (a patient sees only themself)."""
    where = [Patient.org_id == who.org_id]
    if who.is_patient:
        where.append(Patient.id == (who.patient_id or ""))
    if mrn is not None:
        where.append(Patient.mrn_hash == digest(mrn, purpose="patients.mrn"))
    return paged_list(
        session,
        request,
        who,
        page,
        model=Patient,
        where=where,
        order_by=(Patient.created_at.desc(), Patient.id),
        public=patient_public,
        action="patient.list",
    )


@router.get(
    "/{patient_id}", response_model=PatientPublic, responses=problem_responses(401, 403, 404)
)
def read_patient(
    patient_id: str,
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, Depends(require_roles(*PHI_READ))],
) -> PatientPublic:
    """One patient's demographics."""
    patient = load_patient(session, request, who, patient_id)
    audit(session, request, who, "patient.read", f"patient/{patient.id}")
    session.commit()
    return patient_public(patient)
