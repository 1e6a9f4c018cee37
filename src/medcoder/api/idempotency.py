"""Idempotency keys on create endpoints.

A client that retries a ``POST`` with the same ``Idempotency-Key`` header gets the first answer
again instead of a second resource; the same key with a different body is refused (422), since
that is a client bug that would otherwise be silently hidden.

Keys are scoped per user and route. The service keeps them in the database
(:class:`DatabaseIdempotency`, table ``idempotency_keys``): every server process and a restarted
one recognise a retry. Two concurrent requests with the same key: the first one runs, the
other is answered 409 at once ("still being processed", ``Retry-After: 1``) and may retry.
Keys expire after 24 hours, lazily (an expired key is reused; old rows are deleted when new
keys are taken).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from medcoder.api.problems import ProblemError
from medcoder.store.db import new_id, utcnow
from medcoder.store.idempotency_models import IdempotencyKeyRecord

__all__ = [
    "DatabaseIdempotency",
    "IdempotencyStore",
    "fingerprint",
]

_MAX_KEY_LENGTH = 200


def fingerprint(payload: bytes | str | Any) -> str:
    """A digest of a request body (JSON values are canonicalised first)."""
    if isinstance(payload, str):
        raw = payload.encode("utf-8")
    elif isinstance(payload, bytes):
        raw = payload
    else:
        raw = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hashlib.sha256(raw).hexdigest()


class IdempotencyStore(Protocol):
    """What the routes use: run a create once per ``(scope, key)``, replay its answer."""

    def run(
        self,
        scope: str,
        key: str | None,
        body_fingerprint: str,
        create: Callable[[], tuple[int, Any]],
    ) -> tuple[int, Any, bool]: ...


def _check_key(key: str) -> None:
    if not key or len(key) > _MAX_KEY_LENGTH:
        raise ProblemError(
            422,
            f"Idempotency-Key must be 1 to {_MAX_KEY_LENGTH} characters",
            field="Idempotency-Key",
        )


def _other_body() -> ProblemError:
    return ProblemError(
        422,
        "this Idempotency-Key was already used with a different request body",
        field="Idempotency-Key",
    )


class DatabaseIdempotency:
    """Idempotency keys in the ``idempotency_keys`` table, shared by every server process.

    A request takes its key by inserting the row (``status_code`` NULL: running) in a
    transaction of its own, committed before ``create`` runs; the unique (user, route, key)
    constraint lets one of two concurrent requests have it. The winner runs ``create`` and
    stores the answer; if ``create`` raises, the row is deleted (errors are not remembered).
    A loser finds the row: the stored answer is replayed, or, while it is still running,
    409 with ``Retry-After``. A running row older than ``stale_seconds`` (its server died
    mid-request) and any row older than ``ttl_seconds`` is taken over.

    ``create`` must end its own transaction (commit or roll back) before it returns: the answer
    is stored in another transaction, and on SQLite an open one holds the write lock.
    """

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        ttl_seconds: float = 24 * 3600,
        stale_seconds: float = 15 * 60,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._factory = factory
        self._ttl = dt.timedelta(seconds=ttl_seconds)
        self._stale = dt.timedelta(seconds=stale_seconds)
        self._clock = clock

    @staticmethod
    def _split(scope: str) -> tuple[str, str]:
        user, _, route = scope.partition(" ")
        return user, route

    def _take(self, user: str, route: str, key: str, body_fingerprint: str) -> str | None:
        """Insert the running row; its id, or None if the key is already taken."""
        now = self._clock()
        row_id = new_id()
        with self._factory() as session, session.begin():
            # Lazy expiry: keys older than the TTL are forgotten.
            session.execute(
                delete(IdempotencyKeyRecord)
                .where(IdempotencyKeyRecord.created_at < now - self._ttl)
                .execution_options(synchronize_session=False)
            )
            dialect = session.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            taken = session.execute(
                insert(IdempotencyKeyRecord)
                .values(
                    id=row_id,
                    user_id=user,
                    route=route,
                    key=key,
                    fingerprint=body_fingerprint,
                    status_code=None,
                    created_at=now,
                )
                .on_conflict_do_nothing()
                .returning(IdempotencyKeyRecord.id)
            ).scalar_one_or_none()
            return row_id if taken == row_id else None

    def _existing(
        self, user: str, route: str, key: str
    ) -> tuple[str, str, int | None, Any, dt.datetime] | None:
        with self._factory() as session:
            row = session.scalars(
                select(IdempotencyKeyRecord).where(
                    IdempotencyKeyRecord.user_id == user,
                    IdempotencyKeyRecord.route == route,
                    IdempotencyKeyRecord.key == key,
                )
            ).one_or_none()
            if row is None:
                return None
            return row.id, row.fingerprint, row.status_code, row.response, row.created_at

    def _forget(self, row_id: str, *, running_only: bool = False) -> None:
        with self._factory() as session, session.begin():
            query = delete(IdempotencyKeyRecord).where(IdempotencyKeyRecord.id == row_id)
            if running_only:
                query = query.where(IdempotencyKeyRecord.status_code.is_(None))
            session.execute(query.execution_options(synchronize_session=False))

    def run(
        self,
        scope: str,
        key: str | None,
        body_fingerprint: str,
        create: Callable[[], tuple[int, Any]],
    ) -> tuple[int, Any, bool]:
        """The answer for this request: ``(status, body, replayed)``.

        ``scope`` is ``"<user id> <METHOD> <path>"``.

        Raises:
            ProblemError: 422 when the key was used with a different body or is too long;
                409 while another request with the key is still running.
        """
        if key is None:
            status, body = create()
            return status, body, False
        _check_key(key)
        user, route = self._split(scope)
        row_id = None
        for _ in range(3):
            row_id = self._take(user, route, key, body_fingerprint)
            if row_id is not None:
                break
            found = self._existing(user, route, key)
            if found is None:  # deleted meanwhile (failed or expired): try again
                continue
            old_id, old_fingerprint, old_status, old_body, created = found
            now = self._clock()
            if now - created > self._ttl or (
                old_status is None and now - created > self._stale
            ):
                self._forget(old_id)
                continue
            if old_fingerprint != body_fingerprint:
                raise _other_body()
            if old_status is None:
                raise ProblemError(
                    409,
                    "a request with this Idempotency-Key is still being processed: "
                    "retry it shortly",
                    field="Idempotency-Key",
                    headers={"Retry-After": "1"},
                )
            return old_status, old_body, True
        if row_id is None:
            raise ProblemError(
                409,
                "this Idempotency-Key is contended: retry the request",
                field="Idempotency-Key",
                headers={"Retry-After": "1"},
            )
        try:
            status, body = create()
        except BaseException:
            self._forget(row_id, running_only=True)
            raise
        with self._factory() as session, session.begin():
            # Through the ORM: the encrypted column is sealed like every other one.
            row = session.get(IdempotencyKeyRecord, row_id)
            if row is not None:  # None only if an expiry sweep took it meanwhile
                row.status_code = status
                row.response = body
        return status, body, False
