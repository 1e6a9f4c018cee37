"""What the resource routers share: scoped lookups (404 across organizations and patients),
pagination parameters and idempotent creation."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from medcoder.api.auditing import audit_denied
from medcoder.api.deps import Principal, get_resources
from medcoder.api.idempotency import fingerprint
from medcoder.api.problems import ProblemError
from medcoder.store.models import Document, Encounter, Patient

__all__ = [
    "IdempotencyKey",
    "PageParams",
    "idempotent",
    "load_document",
    "load_encounter",
    "load_patient",
    "page_params",
    "well_formed_id",
]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Repeat a create safely: the same key and body return the first answer",
    ),
]


_ID = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True, slots=True)
class PageParams:
    limit: int
    offset: int


def page_params(
    limit: Annotated[int, Query(ge=1, le=200, description="Items per page")] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Items to skip")] = 0,
) -> PageParams:
    """``?limit=&offset=`` of a list endpoint."""
    return PageParams(limit=limit, offset=offset)


def _not_found(
    session: Session, request: Request, who: Principal, kind: str, resource_id: str
) -> ProblemError:
    # End the request's transaction first: on SQLite it holds the write lock.
    session.rollback()
    audit_denied(session, request, who, f"{kind}.read", f"{kind}/{resource_id}")
    return ProblemError(404, f"no {kind} {resource_id}")


def well_formed_id(value: str) -> bool:
    """Whether ``value`` has the shape of a record id (32 hex digits); a malformed id is
    answered like a missing record, without a query."""
    return _ID.fullmatch(value) is not None


def _patient_may_see(who: Principal, patient_id: str) -> bool:
    return not who.is_patient or who.patient_id == patient_id


def load_patient(session: Session, request: Request, who: Principal, patient_id: str) -> Patient:
    """The patient, if the caller's organization holds it and (for a patient) it is theirs."""
    patient = session.get(Patient, patient_id) if well_formed_id(patient_id) else None
    if patient is None or patient.org_id != who.org_id or not _patient_may_see(who, patient.id):
        raise _not_found(session, request, who, "patient", patient_id)
    return patient


def load_encounter(
    session: Session, request: Request, who: Principal, encounter_id: str
) -> Encounter:
    """The encounter, scoped like :func:`load_patient`."""
    encounter = session.get(Encounter, encounter_id) if well_formed_id(encounter_id) else None
    if (
        encounter is None
        or encounter.org_id != who.org_id
        or not _patient_may_see(who, encounter.patient_id)
    ):
        raise _not_found(session, request, who, "encounter", encounter_id)
    return encounter


def load_document(
    session: Session, request: Request, who: Principal, document_id: str
) -> tuple[Document, Encounter]:
    """The document and its encounter, scoped like :func:`load_patient`."""
    document = session.get(Document, document_id) if well_formed_id(document_id) else None
    encounter = session.get(Encounter, document.encounter_id) if document else None
    if (
        document is None
        or encounter is None
        or document.org_id != who.org_id
        or not _patient_may_see(who, encounter.patient_id)
    ):
        raise _not_found(session, request, who, "document", document_id)
    return document, encounter


def idempotent(
    request: Request,
    who: Principal,
    key: str | None,
    body: Any,
    create: Callable[[], tuple[int, BaseModel]],
) -> JSONResponse:
    """Run ``create`` once per ``Idempotency-Key`` (per user and route); replay its answer."""
    scope = f"{who.user_id} {request.method} {request.url.path}"

    def run() -> tuple[int, Any]:
        status, model = create()
        return status, model.model_dump(mode="json")

    status, payload, replayed = get_resources(request).idempotency.run(
        scope, key, fingerprint(body), run
    )
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return JSONResponse(payload, status_code=status, headers=headers)
