"""User administration (admins, within their organization)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from medcoder.api.auditing import audit
from medcoder.api.deps import Principal, SessionDep, require_roles
from medcoder.api.policy import Role
from medcoder.api.problems import ProblemError, problem_responses
from medcoder.api.routes._common import (
    IdempotencyKey,
    PageParams,
    idempotent,
    page_params,
    paged_list,
    well_formed_id,
)
from medcoder.api.schemas import Page, UserCreate, UserPublic, UserUpdate
from medcoder.api.security import digest_secret, hash_password
from medcoder.store.models import ApiToken, Patient, User, WebSession

__all__ = ["router", "user_public"]

router = APIRouter(prefix="/users", tags=["users"])
AdminDep = Annotated[Principal, Depends(require_roles(Role.ADMIN))]


def user_public(user: User) -> UserPublic:
    return UserPublic(
        id=user.id,
        username=user.username,
        role=user.role,
        org_id=user.org_id,
        patient_id=user.patient_id,
        active=user.active,
    )


@router.post(
    "",
    status_code=201,
    response_model=UserPublic,
    responses=problem_responses(401, 403, 409, 422),
)
def create_user(
    body: UserCreate,
    request: Request,
    session: SessionDep,
    who: AdminDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Create a user of the organization (usernames are unique across the service)."""

    def create() -> tuple[int, UserPublic]:
        if (body.role == "patient") != (body.patient_id is not None):
            raise ProblemError(
                422,
                "a patient user needs patient_id; other roles must not have one",
                field="patient_id",
            )
        if body.patient_id is not None:
            patient = session.get(Patient, body.patient_id)
            if patient is None or patient.org_id != who.org_id:
                raise ProblemError(
                    422, f"no patient {body.patient_id} in your organization", field="patient_id"
                )
        taken = session.scalar(select(User.id).where(User.username == body.username))
        if taken is not None:
            raise ProblemError(409, f"username {body.username!r} is taken", field="username")
        user = User(
            org_id=who.org_id,
            username=body.username,
            password_hash=hash_password(body.password),
            role=body.role,
            patient_id=body.patient_id,
        )
        session.add(user)
        try:
            session.flush()
        except IntegrityError as exc:  # the same username created concurrently
            session.rollback()
            raise ProblemError(
                409, f"username {body.username!r} is taken", field="username"
            ) from exc
        audit(session, request, who, "user.create", f"user/{user.id}", detail={"role": user.role})
        session.commit()
        return 201, user_public(user)

    # The idempotency fingerprint keeps a digest of the password, never its text.
    fingerprint_body = {**body.model_dump(mode="json"), "password": digest_secret(body.password)}
    return idempotent(request, who, idempotency_key, fingerprint_body, create)


@router.get("", response_model=Page[UserPublic], responses=problem_responses(401, 403, 422))
def list_users(
    request: Request,
    session: SessionDep,
    who: AdminDep,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[UserPublic]:
    """The organization's users, by username."""
    where = [User.org_id == who.org_id]
    return paged_list(
        session,
        request,
        who,
        page,
        model=User,
        where=where,
        order_by=(User.username,),
        public=user_public,
        action="user.list",
        audit_detail="count",
    )


@router.patch(
    "/{user_id}", response_model=UserPublic, responses=problem_responses(401, 403, 404, 409, 422)
)
def update_user(
    user_id: str,
    body: UserUpdate,
    request: Request,
    session: SessionDep,
    who: AdminDep,
) -> UserPublic:
    """Deactivate or reactivate a user, change their role or reset their password. Deactivating
    or a new password ends the user's sessions and revokes their API tokens."""
    user = session.get(User, user_id) if well_formed_id(user_id) else None
    if user is None or user.org_id != who.org_id:
        raise ProblemError(404, f"no user {user_id}")
    if user.id == who.user_id and (body.active is False or body.role not in (None, "admin")):
        raise ProblemError(409, "admins cannot deactivate or demote themselves")
    if body.role is not None and (body.role == "patient") != (user.patient_id is not None):
        raise ProblemError(
            422, "only a user linked to a patient can have the patient role", field="role"
        )
    changed: dict[str, str | bool] = {}
    if body.role is not None and body.role != user.role:
        user.role = body.role
        changed["role"] = body.role
    if body.active is not None and body.active != user.active:
        user.active = body.active
        changed["active"] = body.active
    if body.password is not None:
        user.password_hash = hash_password(body.password)
        user.failed_logins = 0
        user.locked_until = None
        changed["password"] = True
    if changed.get("active") is False or "password" in changed:
        session.execute(
            update(WebSession).where(WebSession.user_id == user.id).values(revoked=True)
        )
        session.execute(update(ApiToken).where(ApiToken.user_id == user.id).values(revoked=True))
    audit(session, request, who, "user.update", f"user/{user.id}", detail=changed or None)
    session.commit()
    return user_public(user)
