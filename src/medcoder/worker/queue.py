"""The durable queue: enqueue, claim with a lease, heartbeat, finish, fail, recover.

Every state change is ONE SQL statement whose WHERE clause re-checks the state it expects, so
two workers (or a worker and the reaper) can never both win:

- **claim**: ``UPDATE job SET status='running', attempts=attempts+1, lease_owner=me, ...
  WHERE id IN (SELECT id ... WHERE claimable ORDER BY run_after LIMIT n FOR UPDATE SKIP LOCKED)
  RETURNING ...``. On PostgreSQL the row locks with SKIP LOCKED let many workers claim
  different jobs at once without waiting on each other; on SQLite (which compiles no FOR
  UPDATE) the single UPDATE statement takes the database write lock before it reads, which
  makes the select-and-mark atomic.
- **finish** (:func:`mark_done`) is the *first* statement of the transaction that writes the
  job's result, and matches only ``status='running' AND lease_owner=me AND attempts=n``: a
  worker whose lease expired and whose job was taken over (a new attempt) updates nothing and
  rolls its results back. This fencing is what makes a job's effect happen exactly once.
- **recover** (:func:`recover_expired`): a running job whose lease ended (its worker died or
  hung) goes back to *failed* with an exponential-backoff ``run_after``, or to *dead* once it
  has used ``max_attempts``.

Functions take the session (or session factory) keyword-only and the current time explicitly,
so tests drive time without sleeping.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import CursorResult, and_, case, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from medcoder.errors import InputError
from medcoder.store.db import new_id, utcnow
from medcoder.store.jobs_models import Job, JobStatus, UtcDateTime
from medcoder.worker.retry import RetryPolicy

__all__ = [
    "ClaimedJob",
    "claim",
    "enqueue",
    "heartbeat",
    "mark_done",
    "mark_failed",
    "recover_expired",
    "release",
    "set_result",
]

_CLAIMABLE = (JobStatus.QUEUED.value, JobStatus.FAILED.value)
_ERROR_LIMIT = 2000  # characters of an error message kept on the job


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    """A job a worker holds: its lease is ``(id, lease_owner, attempts)``."""

    id: str
    kind: str
    payload: Mapping[str, Any]
    attempts: int
    max_attempts: int
    lease_owner: str
    org_id: str | None = None


def enqueue(
    session: Session,
    *,
    kind: str,
    payload: Mapping[str, Any],
    idempotency_key: str | None = None,
    org_id: str | None = None,
    max_attempts: int = 5,
    run_after: dt.datetime | None = None,
) -> Job:
    """Add a job in the caller's transaction (it runs once the caller commits).

    With an ``idempotency_key`` a second enqueue of the same key adds nothing and returns the
    job already queued (whatever its state), so a retried upload or batch cannot double the work.

    Raises:
        InputError: empty kind, or max_attempts below 1.
    """
    if not kind:
        raise InputError("job kind must not be empty", field="kind")
    if max_attempts < 1:
        raise InputError(
            f"max_attempts must be at least 1, got {max_attempts}", field="max_attempts"
        )
    if idempotency_key is None:
        job = Job(
            kind=kind,
            payload=dict(payload),
            org_id=org_id,
            max_attempts=max_attempts,
            run_after=run_after or utcnow(),
        )
        session.add(job)
        session.flush()
        return job
    now = utcnow()
    values = {
        "id": new_id(),
        "kind": kind,
        "payload": dict(payload),
        "org_id": org_id,
        "status": JobStatus.QUEUED.value,
        "attempts": 0,
        "max_attempts": max_attempts,
        "run_after": run_after or now,
        "idempotency_key": idempotency_key,
        "created_at": now,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(Job).values(**values).on_conflict_do_nothing())
    found = session.scalars(select(Job).where(Job.idempotency_key == idempotency_key)).one()
    return found


def claim(
    factory: sessionmaker[Session],
    *,
    worker_id: str,
    lease: dt.timedelta,
    limit: int = 1,
    kinds: Sequence[str] = (),
    now: dt.datetime | None = None,
) -> list[ClaimedJob]:
    """Take up to ``limit`` due jobs for ``worker_id`` in a transaction of its own."""
    now = now or utcnow()
    due = select(Job.id).where(Job.status.in_(_CLAIMABLE), Job.run_after <= now)
    if kinds:
        due = due.where(Job.kind.in_(tuple(kinds)))
    due = due.order_by(Job.run_after, Job.created_at).limit(limit)
    due = due.with_for_update(skip_locked=True)
    statement = (
        update(Job)
        .where(Job.id.in_(due.scalar_subquery()), Job.status.in_(_CLAIMABLE))
        .values(
            status=JobStatus.RUNNING.value,
            attempts=Job.attempts + 1,
            lease_owner=worker_id,
            lease_expires_at=now + lease,
            started_at=now,
        )
        .returning(Job.id, Job.kind, Job.payload, Job.attempts, Job.max_attempts, Job.org_id)
        .execution_options(synchronize_session=False)
    )
    with factory() as session, session.begin():
        rows = session.execute(statement).all()
    return [
        ClaimedJob(
            id=row.id,
            kind=row.kind,
            payload=row.payload,
            attempts=row.attempts,
            max_attempts=row.max_attempts,
            lease_owner=worker_id,
            org_id=row.org_id,
        )
        for row in rows
    ]


def _held(job: ClaimedJob) -> Any:
    """The WHERE clause of "this worker still holds this attempt of this job"."""
    return and_(
        Job.id == job.id,
        Job.status == JobStatus.RUNNING.value,
        Job.lease_owner == job.lease_owner,
        Job.attempts == job.attempts,
    )


def _rowcount(result: Any) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


def heartbeat(
    factory: sessionmaker[Session],
    jobs: Sequence[ClaimedJob],
    *,
    lease: dt.timedelta,
    now: dt.datetime | None = None,
) -> int:
    """Extend the leases of jobs still held; returns how many were extended."""
    if not jobs:
        return 0
    now = now or utcnow()
    extended = 0
    with factory() as session, session.begin():
        for job in jobs:
            result = session.execute(
                update(Job)
                .where(_held(job))
                .values(lease_expires_at=now + lease)
                .execution_options(synchronize_session=False)
            )
            extended += _rowcount(result)
    return extended


def mark_done(
    session: Session,
    job: ClaimedJob,
    *,
    result: Mapping[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> bool:
    """Mark ``job`` done in the caller's transaction; False if the lease was lost.

    Call it FIRST in the transaction that writes the job's results, and roll back when it
    returns False: another attempt owns the job now, and its results are the ones that count.
    """
    now = now or utcnow()
    outcome = session.execute(
        update(Job)
        .where(_held(job))
        .values(
            status=JobStatus.DONE.value,
            finished_at=now,
            lease_expires_at=None,
            last_error=None,
            result=dict(result) if result is not None else None,
        )
        .execution_options(synchronize_session=False)
    )
    return _rowcount(outcome) == 1


def set_result(session: Session, job: ClaimedJob, result: Mapping[str, Any]) -> None:
    """Record what a finished job produced (in the transaction that finished it)."""
    session.execute(
        update(Job)
        .where(Job.id == job.id, Job.lease_owner == job.lease_owner)
        .values(result=dict(result))
        .execution_options(synchronize_session=False)
    )


def mark_failed(
    factory: sessionmaker[Session],
    job: ClaimedJob,
    error: str,
    *,
    policy: RetryPolicy,
    now: dt.datetime | None = None,
) -> JobStatus | None:
    """Record a failed attempt: *failed* (retried after a backoff) or *dead* when exhausted.

    ``policy.max_attempts`` is not used here: the job's own ``max_attempts`` decides. Returns
    the new status, or None if the lease was already lost (nothing changed).
    """
    now = now or utcnow()
    dead = job.attempts >= job.max_attempts
    values: dict[str, Any] = {
        "status": (JobStatus.DEAD if dead else JobStatus.FAILED).value,
        "last_error": error[:_ERROR_LIMIT],
        "lease_owner": None,
        "lease_expires_at": None,
    }
    if dead:
        values["finished_at"] = now
    else:
        values["run_after"] = now + policy.delay(job.attempts)
    with factory() as session, session.begin():
        outcome = session.execute(
            update(Job)
            .where(_held(job))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        changed = _rowcount(outcome) == 1
    if not changed:
        return None
    return JobStatus.DEAD if dead else JobStatus.FAILED


def release(factory: sessionmaker[Session], job: ClaimedJob) -> bool:
    """Give back a job that was claimed but not started (a stopping worker): no attempt used."""
    with factory() as session, session.begin():
        outcome = session.execute(
            update(Job)
            .where(_held(job))
            .values(
                status=JobStatus.QUEUED.value,
                attempts=Job.attempts - 1,
                lease_owner=None,
                lease_expires_at=None,
            )
            .execution_options(synchronize_session=False)
        )
        return _rowcount(outcome) == 1


def recover_expired(
    factory: sessionmaker[Session],
    *,
    policy: RetryPolicy,
    now: dt.datetime | None = None,
) -> int:
    """Put back jobs whose lease has ended (their worker died or hung); returns how many.

    Two statements, each of which re-checks the expiry: exhausted jobs become *dead*, the
    others *failed* with ``run_after = now + policy.delay(attempts)`` (a CASE over attempts,
    since the delay doubles per attempt until it reaches the cap).
    """
    now = now or utcnow()
    expired = and_(Job.status == JobStatus.RUNNING.value, Job.lease_expires_at < now)
    lost = "lease expired: the worker stopped or hung before finishing"
    steps = 1
    while steps < 64 and policy.delay(steps) < policy.delay(steps + 1):
        steps += 1
    last = literal(now + policy.delay(steps), UtcDateTime())
    retry_at: Any = last
    if steps > 1:
        whens = [
            (Job.attempts == n, literal(now + policy.delay(n), UtcDateTime()))
            for n in range(1, steps)
        ]
        retry_at = case(*whens, else_=last)
    with factory() as session, session.begin():
        dead = session.execute(
            update(Job)
            .where(expired, Job.attempts >= Job.max_attempts)
            .values(
                status=JobStatus.DEAD.value,
                last_error=lost,
                lease_owner=None,
                lease_expires_at=None,
                finished_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        retried = session.execute(
            update(Job)
            .where(expired, Job.attempts < Job.max_attempts)
            .values(
                status=JobStatus.FAILED.value,
                last_error=lost,
                lease_owner=None,
                lease_expires_at=None,
                run_after=retry_at,
            )
            .execution_options(synchronize_session=False)
        )
        return _rowcount(dead) + _rowcount(retried)
