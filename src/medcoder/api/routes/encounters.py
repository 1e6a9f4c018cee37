"""Encounters: create, read, and list as work queues (to code, to review, with errors)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from medcoder.api.auditing import audit
from medcoder.api.deps import Principal, SessionDep, require_roles
from medcoder.api.policy import PHI_READ, PHI_WRITE
from medcoder.api.problems import ProblemError, problem_responses
from medcoder.api.routes._common import (
    IdempotencyKey,
    PageParams,
    idempotent,
    load_encounter,
    load_patient,
    page_params,
    paged_list,
)
from medcoder.api.schemas import EncounterCreate, EncounterPublic, Page, Queue
from medcoder.store.models import Encounter, Provider

__all__ = ["encounter_public", "router"]

router = APIRouter(prefix="/encounters", tags=["encounters"])


def encounter_public(encounter: Encounter) -> EncounterPublic:
    return EncounterPublic.model_validate(encounter, from_attributes=True)


@router.post(
    "",
    status_code=201,
    response_model=EncounterPublic,
    responses=problem_responses(401, 403, 404, 422),
)
def create_encounter(
    body: EncounterCreate,
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, Depends(require_roles(*PHI_WRITE))],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Open an encounter (visit or stay) for a patient of the organization; it starts in the
    ``to_code`` queue."""

    def create() -> tuple[int, EncounterPublic]:
        load_patient(session, request, who, body.patient_id)
        if body.provider_id is not None:
            provider = session.get(Provider, body.provider_id)
            if provider is None or provider.org_id != who.org_id:
                raise ProblemError(
                    422,
                    f"no provider {body.provider_id} in your organization",
                    field="provider_id",
                )
        if body.end_date is not None and body.end_date < body.date_of_service:
            raise ProblemError(422, "end_date is before date_of_service", field="end_date")
        encounter = Encounter(org_id=who.org_id, status="to_code", **body.model_dump())
        session.add(encounter)
        session.flush()
        audit(session, request, who, "encounter.create", f"encounter/{encounter.id}")
        session.commit()
        return 201, encounter_public(encounter)

    return idempotent(request, who, idempotency_key, body.model_dump(mode="json"), create)


@router.get("", response_model=Page[EncounterPublic], responses=problem_responses(401, 403, 422))
def list_encounters(
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, Depends(require_roles(*PHI_READ))],
    page: Annotated[PageParams, Depends(page_params)],
    queue: Annotated[
        Queue | None, Query(description="Work queue: to_code, to_review, with_errors, ...")
    ] = None,
    patient_id: Annotated[str | None, Query(pattern=r"^[0-9a-f]{32}$")] = None,
    date_from: Annotated[dt.date | None, Query(description="Date of service on or after")] = None,
    date_to: Annotated[dt.date | None, Query(description="Date of service on or before")] = None,
) -> Page[EncounterPublic]:
    """Encounters of the organization, oldest date of service first (a work queue is worked
    in that order); a patient sees only their own."""
    where = [Encounter.org_id == who.org_id]
    if who.is_patient:
        where.append(Encounter.patient_id == (who.patient_id or ""))
    if queue is not None:
        where.append(Encounter.status == queue)
    if patient_id is not None:
        where.append(Encounter.patient_id == patient_id)
    if date_from is not None:
        where.append(Encounter.date_of_service >= date_from)
    if date_to is not None:
        where.append(Encounter.date_of_service <= date_to)
    return paged_list(
        session,
        request,
        who,
        page,
        model=Encounter,
        where=where,
        order_by=(Encounter.date_of_service, Encounter.created_at, Encounter.id),
        public=encounter_public,
        action="encounter.list",
    )


@router.get(
    "/{encounter_id}", response_model=EncounterPublic, responses=problem_responses(401, 403, 404)
)
def read_encounter(
    encounter_id: str,
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, Depends(require_roles(*PHI_READ))],
) -> EncounterPublic:
    """One encounter."""
    encounter = load_encounter(session, request, who, encounter_id)
    audit(session, request, who, "encounter.read", f"encounter/{encounter.id}")
    session.commit()
    return encounter_public(encounter)
