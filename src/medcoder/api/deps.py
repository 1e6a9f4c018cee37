"""Request dependencies: the database session, who is calling, and what they may do.

Other routers use exactly two things from here::

    @router.get("/claims/{claim_id}")
    def read_claim(
        claim_id: str,
        session: SessionDep,
        who: Annotated[Principal, Depends(require_roles(Role.BILLER, Role.ADMIN))],
    ) -> ClaimPublic: ...

A caller proves who they are with a bearer API token (``Authorization: Bearer mct_...``) or a
session cookie set by ``POST /api/v1/auth/login``. No credentials: 401; a role the route does not
allow: 403. Resources of another organization are answered 404 by the routes (not 403, which
would confirm they exist).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from medcoder.api.policy import Role
from medcoder.api.problems import ProblemError
from medcoder.api.resources import Resources
from medcoder.api.security import digest_secret
from medcoder.store.db import utcnow
from medcoder.store.models import ApiToken, User, WebSession

__all__ = [
    "SESSION_COOKIE",
    "Principal",
    "SessionDep",
    "aware",
    "client_ip",
    "current_principal",
    "get_resources",
    "get_session",
    "require_roles",
]

SESSION_COOKIE = "medcoder_session"
_BEARER = "bearer "
#: How stale "last used" / "last seen" may get before it is written again (saves a write per
#: request; the idle expiry is measured in minutes).
_TOUCH_EVERY = dt.timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller."""

    user_id: str
    org_id: str
    role: Role
    patient_id: str | None
    username: str
    via: str  # "session" or "token"

    @property
    def is_patient(self) -> bool:
        return self.role is Role.PATIENT


def get_resources(request: Request) -> Resources:
    """The app's long-lived objects."""
    resources: Resources = request.app.state.resources
    return resources


def get_session(request: Request) -> Iterator[Session]:
    """A database session for this request; routes commit what they change."""
    session = get_resources(request).session_factory()
    try:
        yield session
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]


def client_ip(request: Request) -> str:
    """The caller's address (the direct peer; no proxy header is trusted)."""
    return request.client.host if request.client else "unknown"


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """``value`` as an aware UTC time (SQLite hands timestamps back naive; they are UTC)."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def _unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, detail, headers={"WWW-Authenticate": 'Bearer realm="medcoder"'})


def _principal(user: User, via: str) -> Principal:
    return Principal(
        user_id=user.id,
        org_id=user.org_id,
        role=Role(user.role),
        patient_id=user.patient_id,
        username=user.username,
        via=via,
    )


_Credential = TypeVar("_Credential", ApiToken, WebSession)


def _credential(
    session: Session, kind: type[_Credential], secret: str
) -> tuple[_Credential, User] | None:
    """The API token or web session whose hash is ``secret``'s, with its user."""
    row = session.execute(
        select(kind, User)
        .join(User, User.id == kind.user_id)
        .where(kind.token_hash == digest_secret(secret))
    ).first()
    return None if row is None else (row[0], row[1])


def _from_token(session: Session, token: str) -> Principal:
    now = utcnow()
    row = _credential(session, ApiToken, token)
    if row is None:
        raise _unauthorized("invalid API token")
    api_token, user = row
    expires = aware(api_token.expires_at)
    if api_token.revoked or (expires is not None and expires <= now):
        raise _unauthorized("API token expired or revoked")
    if not user.active:
        raise _unauthorized("user is deactivated")
    last_used = aware(api_token.last_used_at)
    if last_used is None or now - last_used > _TOUCH_EVERY:
        api_token.last_used_at = now
    return _principal(user, "token")


def _from_cookie(request: Request, session: Session, cookie: str) -> Principal:
    settings = get_resources(request).settings
    now = utcnow()
    row = _credential(session, WebSession, cookie)
    if row is None:
        raise _unauthorized("session not found; log in again")
    web, user = row
    idle_limit = dt.timedelta(minutes=settings.session_idle_minutes)
    last_seen = aware(web.last_seen_at) or now
    expires = aware(web.expires_at) or now
    if web.revoked or expires <= now or now - last_seen > idle_limit:
        if not web.revoked:
            web.revoked = True
            session.commit()
        raise _unauthorized("session expired; log in again")
    if not user.active:
        raise _unauthorized("user is deactivated")
    # Sliding idle window; only written once a minute to spare the database.
    if now - last_seen > _TOUCH_EVERY:
        web.last_seen_at = now
    return _principal(user, "session")


def current_principal(request: Request, session: SessionDep) -> Principal:
    """The caller, from a bearer token or else the session cookie (401 when neither works)."""
    header = request.headers.get("authorization", "")
    cookie = request.cookies.get(SESSION_COOKIE)
    if header:
        if not header.lower().startswith(_BEARER) or not header[len(_BEARER) :].strip():
            raise _unauthorized("Authorization header must be 'Bearer <token>'")
        who = _from_token(session, header[len(_BEARER) :].strip())
    elif cookie:
        who = _from_cookie(request, session, cookie)
    else:
        raise _unauthorized("authentication required: log in or send a bearer token")
    # End the lookup's transaction: on SQLite every transaction holds the write lock.
    session.commit()
    return who


def require_roles(*roles: Role | str) -> Callable[..., Principal]:
    """A dependency that admits only callers with one of ``roles`` (403 for the others)."""
    allowed = frozenset(Role(r) for r in roles)
    if not allowed:
        raise ValueError("require_roles needs at least one role")
    names = ", ".join(sorted(r.value for r in allowed))

    def dependency(
        who: Annotated[Principal, Depends(current_principal)],
    ) -> Principal:
        if who.role not in allowed:
            raise ProblemError(403, f"this action needs one of the roles: {names}")
        return who

    dependency.__name__ = f"require_{'_'.join(sorted(r.value for r in allowed))}"
    return dependency
