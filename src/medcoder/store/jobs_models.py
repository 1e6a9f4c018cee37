"""The durable job queue: one row per unit of background work (``medcoder worker`` runs them).

Why a table and not Redis/RQ: a job and what it produces (a document's CodingRun) commit in
the *same* database transaction, so a job is done exactly when its result exists — the basis of
exactly-once coding (docs/worker.md, "Jobs and workers"). The queue needs nothing but the
database medcoder already has, on SQLite and PostgreSQL alike.

Life of a job::

    queued ──claim──► running ──result committed──► done
      ▲                 │  (handler raised, or lease expired: worker died)
      │                 ▼
      └──run_after── failed ──max_attempts reached──► dead (last_error kept)

``payload`` holds ids only (``{"document_id": ...}``), never note text, so it stays plain
JSON (the claim query reads it); ``last_error`` may quote a document and is encrypted.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from medcoder.store.crypto import EncryptedText
from medcoder.store.db import Base, UtcDateTime, new_id, utcnow

__all__ = ["Job", "JobOutput", "JobStatus", "SealedError", "UtcDateTime"]


class JobStatus(StrEnum):
    """Where a job is in its life (see the module docstring)."""

    QUEUED = "queued"  # waiting to be claimed
    RUNNING = "running"  # claimed by a worker holding a lease
    DONE = "done"  # its result is committed
    FAILED = "failed"  # an attempt failed; claimable again after run_after
    DEAD = "dead"  # out of attempts; last_error says why


class SealedError(EncryptedText):
    """``jobs.last_error``: encrypted text that the queue also writes in Core ``UPDATE``
    statements (``cache_ok`` must be declared on the class itself for SQLAlchemy to cache
    such statements without a warning)."""

    cache_ok = True


_STATUSES = ", ".join(f"'{s.value}'" for s in JobStatus)


class Job(Base):
    """One unit of background work, e.g. ``code_document`` with ``{"document_id": ...}``."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUSES})", name="status"),
        CheckConstraint("attempts >= 0 AND max_attempts >= 1", name="attempts"),
        # The claim query: claimable jobs by due time; the reaper: running jobs by lease end.
        Index("ix_jobs_status_run_after", "status", "run_after"),
        Index("ix_jobs_status_lease", "status", "lease_expires_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    org_id: Mapped[str | None] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    run_after: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # The error of the last attempt can quote the note being coded: encrypted (0005).
    last_error: Mapped[str | None] = mapped_column(SealedError("jobs.last_error"))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class JobOutput(Base):
    """What a finished job created, written in the transaction that finished it.

    The primary key (job, output kind) is the database's own guard of exactly-once: a second
    attempt of a job that somehow got past the lease fencing cannot commit a second CodingRun
    for it — its insert here fails and its whole transaction rolls back. ``resource_id`` is
    unique too: one output belongs to one job.
    """

    __tablename__ = "job_outputs"
    __table_args__ = (
        PrimaryKeyConstraint("job_id", "output_kind"),
        UniqueConstraint("output_kind", "resource_id"),
    )

    job_id: Mapped[str] = mapped_column(String(32), ForeignKey("jobs.id"))
    output_kind: Mapped[str] = mapped_column(String(64))  # e.g. "coding_run"
    resource_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
