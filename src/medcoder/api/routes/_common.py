"""What the resource routers share: scoped lookups (404 across organizations and patients),
pagination parameters, audited list pages and idempotent creation."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Protocol, TypeVar

from fastapi import Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from medcoder.api.auditing import audit, audit_denied
from medcoder.api.deps import Principal, get_resources
from medcoder.api.idempotency import fingerprint
from medcoder.api.problems import ProblemError
from medcoder.api.schemas import Page
from medcoder.store.models import Document, Encounter, Patient

__all__ = [
    "IdempotencyKey",
    "PageParams",
    "idempotent",
    "load_document",
    "load_encounter",
    "load_owned",
    "load_patient",
    "page_params",
    "paged_list",
    "replay_headers",
    "run_once",
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


class _Listed(Protocol):
    @property
    def id(self) -> str: ...


_Row = TypeVar("_Row", bound=_Listed)
_Item = TypeVar("_Item", bound=BaseModel)


def paged_list(
    session: Session,
    request: Request,
    who: Principal,
    page: PageParams,
    *,
    model: type[_Row],
    where: Sequence[ColumnElement[bool]],
    order_by: Sequence[Any],
    public: Callable[[_Row], _Item],
    action: str,
    audit_detail: Literal["ids", "count"] | None = "ids",
) -> Page[_Item]:
    """One page of ``model`` rows matching ``where`` (with the total count), audited as
    ``action`` on the resource kind before ``.`` (``detail``: the count and the ids shown, the
    count only, or nothing) and committed."""
    total = session.scalar(select(func.count()).select_from(model).where(*where)) or 0
    rows = session.scalars(
        select(model).where(*where).order_by(*order_by).limit(page.limit).offset(page.offset)
    ).all()
    items = [public(row) for row in rows]
    detail: dict[str, str | int] | None = None
    if audit_detail is not None:
        detail = {"count": len(rows)}
        if audit_detail == "ids":
            detail["ids"] = ",".join(row.id for row in rows)
    audit(session, request, who, action, action.partition(".")[0], detail=detail)
    session.commit()
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


def _not_found(
    session: Session,
    request: Request,
    who: Principal,
    kind: str,
    resource_id: str,
    action: str | None = None,
) -> ProblemError:
    # End the request's transaction first: on SQLite it holds the write lock.
    session.rollback()
    audit_denied(session, request, who, action or f"{kind}.read", f"{kind}/{resource_id}")
    return ProblemError(404, f"no {kind} {resource_id}")


class _OrgOwned(Protocol):
    @property
    def org_id(self) -> str: ...


_Owned = TypeVar("_Owned", bound=_OrgOwned)


def load_owned(
    session: Session,
    request: Request,
    who: Principal,
    model: type[_Owned],
    record_id: str,
    *,
    kind: str,
    action: str | None = None,
    lock: bool = False,
) -> _Owned:
    """The ``model`` row ``record_id`` if the caller's organization holds it, else 404 (``no
    <kind> <id>``) with the denial audited as ``action`` (default ``<kind>.read``). ``lock``:
    the row locked for a change, on PostgreSQL (SQLite transactions hold the write lock)."""
    row = session.get(model, record_id, with_for_update=lock) if well_formed_id(record_id) else None
    if row is None or row.org_id != who.org_id:
        raise _not_found(session, request, who, kind, record_id, action)
    return row


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


def run_once(
    request: Request,
    who: Principal,
    key: str | None,
    body: Any,
    create: Callable[[], tuple[int, Any]],
    *,
    scope: str | None = None,
) -> tuple[int, Any, bool]:
    """Run ``create`` (answering a status and a JSON-able payload) once per
    ``Idempotency-Key``, per user and route (``scope``, default the request's method and
    path): ``(status, payload, replayed)``."""
    scope = scope or f"{who.user_id} {request.method} {request.url.path}"
    return get_resources(request).idempotency.run(scope, key, fingerprint(body), create)


def replay_headers(replayed: bool) -> dict[str, str]:
    """The headers marking a replayed answer."""
    return {"Idempotent-Replayed": "true"} if replayed else {}


def idempotent(
    request: Request,
    who: Principal,
    key: str | None,
    body: Any,
    create: Callable[[], tuple[int, BaseModel]],
) -> JSONResponse:
    """Run ``create`` once per ``Idempotency-Key`` (per user and route); replay its answer."""

    def run() -> tuple[int, Any]:
        status, model = create()
        return status, model.model_dump(mode="json")

    status, payload, replayed = run_once(request, who, key, body, run)
    return JSONResponse(payload, status_code=status, headers=replay_headers(replayed))
