"""Jobs: the durable work queue ``jobs`` that ``medcoder worker`` runs, and ``job_outputs``
(what each finished job created: the exactly-once guard).

Revision ID: 0002_jobs
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from medcoder.store.jobs_models import UtcDateTime

__all__: list[str] = []

revision = "0002_jobs"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("org_id", sa.String(32), nullable=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", UtcDateTime(), nullable=False),
        sa.Column("lease_owner", sa.String(200), nullable=True),
        sa.Column("lease_expires_at", UtcDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=True),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed', 'dead')",
            name=op.f("ck_jobs_status"),
        ),
        sa.CheckConstraint("attempts >= 0 AND max_attempts >= 1", name=op.f("ck_jobs_attempts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_jobs_idempotency_key")),
    )
    op.create_index(op.f("ix_jobs_org_id"), "jobs", ["org_id"])
    op.create_index(op.f("ix_jobs_status_run_after"), "jobs", ["status", "run_after"])
    op.create_index(op.f("ix_jobs_status_lease"), "jobs", ["status", "lease_expires_at"])
    op.create_table(
        "job_outputs",
        sa.Column("job_id", sa.String(32), nullable=False),
        sa.Column("output_kind", sa.String(64), nullable=False),
        sa.Column("resource_id", sa.String(32), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_job_outputs_job_id_jobs")),
        sa.PrimaryKeyConstraint("job_id", "output_kind", name=op.f("pk_job_outputs")),
        sa.UniqueConstraint(
            "output_kind", "resource_id", name=op.f("uq_job_outputs_output_kind_resource_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("job_outputs")
    op.drop_index(op.f("ix_jobs_status_lease"), table_name="jobs")
    op.drop_index(op.f("ix_jobs_status_run_after"), table_name="jobs")
    op.drop_index(op.f("ix_jobs_org_id"), table_name="jobs")
    op.drop_table("jobs")
