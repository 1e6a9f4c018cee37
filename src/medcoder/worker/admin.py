"""Looking after the queue: counts by status, the jobs that need a person, retrying dead jobs.

``medcoder jobs status`` and ``medcoder jobs retry`` call these. A job is *dead* when it used
its attempts or can never succeed as it is (its note is empty, no code-set release covers its
date of service); once the cause is fixed (a newer knowledge base, a corrected document),
:func:`retry_dead` puts it back in the queue with a fresh set of attempts.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from medcoder.store.db import utcnow
from medcoder.store.jobs_models import Job, JobStatus

__all__ = ["job_counts", "jobs_with_status", "retry_dead"]


def job_counts(session: Session) -> dict[str, int]:
    """How many jobs are in each status (every status present, zeros included)."""
    counts = {status.value: 0 for status in JobStatus}
    rows = session.execute(select(Job.status, func.count()).group_by(Job.status)).all()
    counts.update({status: n for status, n in rows})
    return counts


def jobs_with_status(session: Session, statuses: Sequence[str], *, limit: int = 50) -> list[Job]:
    """The newest jobs in ``statuses`` (e.g. failed and dead), newest first."""
    query = (
        select(Job)
        .where(Job.status.in_(tuple(statuses)))
        .order_by(Job.created_at.desc(), Job.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def retry_dead(session: Session, job_ids: Sequence[str] = ()) -> int:
    """Queue dead jobs again with their attempts reset (all of them, or ``job_ids``).

    ``last_error`` is kept until the next attempt finishes. Returns how many were re-queued.
    """
    statement = (
        update(Job)
        .where(Job.status == JobStatus.DEAD.value)
        .values(
            status=JobStatus.QUEUED.value,
            attempts=0,
            run_after=utcnow(),
            finished_at=None,
            lease_owner=None,
            lease_expires_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    if job_ids:
        statement = statement.where(Job.id.in_(tuple(job_ids)))
    result = session.execute(statement)
    return int(getattr(result, "rowcount", 0))
