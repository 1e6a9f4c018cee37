"""Audit events for the API: every read and change of PHI, every login, every denial.

A thin adapter over :func:`medcoder.store.audit.record` that fills in the actor and the
caller's address from the request. Resources are named by type and id (``patient:<id>``),
never by content: the audit trail holds no PHI.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import Request
from sqlalchemy.orm import Session

from medcoder.api.deps import Principal, client_ip
from medcoder.store import audit as store_audit
from medcoder.store.audit import DetailValue

__all__ = ["audit", "audit_denied"]

log = logging.getLogger(__name__)


def audit(
    session: Session,
    request: Request,
    who: Principal | None,
    action: str,
    resource: str,
    *,
    outcome: str = "success",
    org_id: str | None = None,
    detail: Mapping[str, DetailValue] | None = None,
) -> None:
    """Add an audit event to ``session``'s transaction (committed with the change it records)."""
    store_audit.record(
        session,
        actor=f"user:{who.user_id}" if who else "anonymous",
        action=action,
        resource=resource,
        outcome=outcome,
        ip=client_ip(request),
        org_id=org_id if org_id is not None else (who.org_id if who else None),
        detail=detail,
    )


def audit_denied(
    session: Session, request: Request, who: Principal | None, action: str, resource: str
) -> None:
    """Record a refused access in a transaction of its own (call it after a rollback)."""
    try:
        audit(session, request, who, action, resource, outcome="denied")
        session.commit()
    except Exception:  # an audit write must not turn a 404 into a 500
        session.rollback()
        log.exception("could not record a denied access")
