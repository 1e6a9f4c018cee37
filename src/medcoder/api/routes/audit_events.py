"""The audit trail of the caller's organization (auditors)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from medcoder.api.deps import Principal, SessionDep, require_roles
from medcoder.api.policy import AUDIT
from medcoder.api.problems import problem_responses
from medcoder.api.routes._common import PageParams, page_params, paged_list
from medcoder.api.schemas import AuditEventPublic, Page
from medcoder.store.models import AuditEvent

__all__ = ["router"]

router = APIRouter(prefix="/audit", tags=["audit"])
_PRINTABLE = r"^[\x20-\x7e]*$"


@router.get(
    "/events", response_model=Page[AuditEventPublic], responses=problem_responses(401, 403, 422)
)
def list_audit_events(
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, Depends(require_roles(*AUDIT))],
    page: Annotated[PageParams, Depends(page_params)],
    action: Annotated[str | None, Query(max_length=50, pattern=_PRINTABLE)] = None,
    actor: Annotated[str | None, Query(max_length=100, pattern=_PRINTABLE)] = None,
    resource: Annotated[str | None, Query(max_length=200, pattern=_PRINTABLE)] = None,
) -> Page[AuditEventPublic]:
    """Audit events of the organization, newest first, filtered by exact action, actor or
    resource (``patient:<id>``)."""
    where = [AuditEvent.org_id == who.org_id]
    if action is not None:
        where.append(AuditEvent.action == action)
    if actor is not None:
        where.append(AuditEvent.actor == actor)
    if resource is not None:
        where.append(AuditEvent.resource == resource)
    return paged_list(
        session,
        request,
        who,
        page,
        model=AuditEvent,
        where=where,
        order_by=(AuditEvent.seq.desc(),),
        public=lambda row: AuditEventPublic.model_validate(row, from_attributes=True),
        action="audit_event.list",
        audit_detail=None,
    )
