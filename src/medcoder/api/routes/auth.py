"""Login and logout (session cookie), bearer tokens for programs, and who am I."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from medcoder.api.auditing import audit
from medcoder.api.deps import (
    SESSION_COOKIE,
    Principal,
    SessionDep,
    aware,
    client_ip,
    current_principal,
    get_resources,
)
from medcoder.api.policy import TOKEN_ISSUE, Role
from medcoder.api.problems import ProblemError, problem_responses
from medcoder.api.routes._common import well_formed_id
from medcoder.api.routes.users import user_public
from medcoder.api.schemas import (
    LoginRequest,
    LoginResult,
    TokenCreate,
    TokenInfo,
    TokenPublic,
    UserPublic,
)
from medcoder.api.security import (
    TOKEN_PREFIX,
    digest_secret,
    hash_password,
    needs_rehash,
    new_secret,
    verify_password,
)
from medcoder.store.db import utcnow
from medcoder.store.models import ApiToken, User, WebSession

__all__ = ["router"]

router = APIRouter(prefix="/auth", tags=["auth"])

#: Failed logins of one user (from any address) before the account is locked for a while.
LOCK_AFTER_FAILURES = 10
LOCK_MINUTES = 15
_BAD_CREDENTIALS = "wrong username or password"


def _authenticate(request: Request, session: Session, username: str, password: str) -> User:
    """The user with these credentials; throttled per (username, address), locked per user."""
    resources = get_resources(request)
    ip = client_ip(request)
    wait = resources.throttle.retry_after(username, ip)
    if wait:
        audit(
            session,
            request,
            None,
            "login",
            "user/unknown",
            outcome="denied",
            detail={"reason": "throttled"},
        )
        session.commit()
        raise ProblemError(
            429,
            f"too many failed logins; try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )
    user = session.scalars(select(User).where(User.username == username)).first()
    now = utcnow()
    locked = user is not None and (aware(user.locked_until) or now) > now
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or locked or not user.active:
        resources.throttle.failed(username, ip)
        if user is not None and not ok:
            user.failed_logins += 1
            if user.failed_logins >= LOCK_AFTER_FAILURES:
                user.locked_until = now + dt.timedelta(minutes=LOCK_MINUTES)
                user.failed_logins = 0
        audit(
            session,
            request,
            None,
            "login",
            f"user/{user.id}" if user else "user/unknown",
            outcome="denied",
            org_id=user.org_id if user else None,
            detail={"reason": "locked" if locked else "bad credentials"},
        )
        session.commit()
        raise ProblemError(401, _BAD_CREDENTIALS)
    resources.throttle.succeeded(username, ip)
    user.failed_logins = 0
    user.locked_until = None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


@router.post(
    "/login",
    response_model=LoginResult,
    responses=problem_responses(401, 422, 429),
    summary="Log in: sets an HttpOnly session cookie",
)
def login(
    body: LoginRequest, request: Request, response: Response, session: SessionDep
) -> LoginResult:
    """Check the password and open a browser session (idle and absolute expiry)."""
    settings = get_resources(request).settings
    user = _authenticate(request, session, body.username, body.password)
    secret = new_secret()
    now = utcnow()
    expires = now + dt.timedelta(hours=settings.session_absolute_hours)
    session.add(
        WebSession(
            org_id=user.org_id,
            user_id=user.id,
            token_hash=digest_secret(secret),
            created_at=now,
            last_seen_at=now,
            expires_at=expires,
            ip=client_ip(request),
        )
    )
    audit(session, request, None, "login", f"user/{user.id}", org_id=user.org_id)
    session.commit()
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=settings.session_absolute_hours * 3600,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        path="/",
    )
    return LoginResult(user=user_public(user), expires_at=expires)


@router.post(
    "/logout",
    status_code=204,
    responses=problem_responses(401),
    summary="Log out: ends the session",
)
def logout(
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, Depends(current_principal)],
) -> Response:
    """End the session of the cookie (a bearer token stays valid until it expires)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        web = session.scalars(
            select(WebSession).where(WebSession.token_hash == digest_secret(cookie))
        ).first()
        if web is not None:
            web.revoked = True
    audit(session, request, who, "logout", f"user/{who.user_id}")
    session.commit()
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.post(
    "/token",
    response_model=TokenPublic,
    status_code=201,
    responses=problem_responses(401, 403, 422, 429),
    summary="Create a bearer API token",
)
def create_token(body: TokenCreate, request: Request, session: SessionDep) -> TokenPublic:
    """Exchange a username and password for a bearer token, shown once (staff roles only)."""
    settings = get_resources(request).settings
    user = _authenticate(request, session, body.username, body.password)
    if Role(user.role) not in TOKEN_ISSUE:
        session.commit()
        raise ProblemError(403, "API tokens are for staff accounts; patients log in")
    secret = new_secret(TOKEN_PREFIX)
    expires = utcnow() + dt.timedelta(days=body.days or settings.token_days)
    token = ApiToken(
        org_id=user.org_id,
        user_id=user.id,
        name=body.name,
        token_hash=digest_secret(secret),
        expires_at=expires,
    )
    session.add(token)
    session.flush()
    audit(session, request, None, "token.create", f"api_token/{token.id}", org_id=user.org_id)
    session.commit()
    return TokenPublic(token=secret, expires_at=expires, user=user_public(user))


@router.get("/me", response_model=UserPublic, responses=problem_responses(401))
def me(
    session: SessionDep,
    who: Annotated[Principal, Depends(current_principal)],
) -> UserPublic:
    """The signed-in user."""
    user = session.get(User, who.user_id)
    if user is None:
        raise ProblemError(401, "user no longer exists")
    return user_public(user)


@router.get("/tokens", response_model=list[TokenInfo], responses=problem_responses(401))
def list_tokens(
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, Depends(current_principal)],
) -> list[TokenInfo]:
    """The caller's API tokens (without the secrets), newest first."""
    rows = session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == who.user_id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id)
    ).all()
    return [TokenInfo.model_validate(t, from_attributes=True) for t in rows]


@router.delete("/tokens/{token_id}", status_code=204, responses=problem_responses(401, 404))
def revoke_token(
    token_id: str,
    request: Request,
    session: SessionDep,
    who: Annotated[Principal, Depends(current_principal)],
) -> Response:
    """Revoke one of the caller's tokens (an admin: any token of the organization)."""
    token = session.get(ApiToken, token_id) if well_formed_id(token_id) else None
    mine = token is not None and (
        token.user_id == who.user_id or (who.role is Role.ADMIN and token.org_id == who.org_id)
    )
    if token is None or not mine:
        raise ProblemError(404, f"no token {token_id}")
    token.revoked = True
    audit(session, request, who, "token.revoke", f"api_token/{token.id}")
    session.commit()
    return Response(status_code=204)
