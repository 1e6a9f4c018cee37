"""Hardening: idempotency keys in the database, encrypted job errors, one original claim per
encounter.

- ``idempotency_keys``: the first answer to each (user, route, ``Idempotency-Key``), encrypted
  (:mod:`medcoder.store.idempotency_models`).
- ``jobs.last_error`` becomes an encrypted column (it may quote a note). The column stays
  ``TEXT``; the existing plain values are sealed here (and opened again on downgrade).
- ``uq_claims_original_encounter``: a partial unique index, at most one original (frequency 1)
  claim per encounter. An encounter never has two: a rebuilt unsent original replaces the old
  row, and replacements (7) and voids (8) have their own frequency.

Revision ID: 0005_hardening
Revises: 0004_billing
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from medcoder.store import crypto
from medcoder.store.db import UtcDateTime

__all__: list[str] = []

revision = "0005_hardening"
down_revision = "0004_billing"
branch_labels = None
depends_on = None

_ERROR_PURPOSE = "jobs.last_error"
_ORIGINAL = sa.text("frequency = '1'")


def _reseal_last_errors(*, seal: bool) -> None:
    """Encrypt (``seal``) or decrypt every stored ``jobs.last_error``."""
    jobs = sa.table("jobs", sa.column("id", sa.String()), sa.column("last_error", sa.Text()))
    conn = op.get_bind()
    rows = conn.execute(sa.select(jobs.c.id, jobs.c.last_error).where(
        jobs.c.last_error.is_not(None))).all()
    for job_id, value in rows:
        text = str(value)
        is_sealed = text.startswith("mc1:")
        if seal and not is_sealed:
            new = crypto.encrypt(text, purpose=_ERROR_PURPOSE)
        elif not seal and is_sealed:
            new = crypto.decrypt(text, purpose=_ERROR_PURPOSE)
        else:
            continue
        conn.execute(sa.update(jobs).where(jobs.c.id == job_id).values(last_error=new))


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("route", sa.String(400), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint(
            "user_id", "route", "key", name=op.f("uq_idempotency_keys_user_id_route_key")
        ),
    )
    op.create_index(
        op.f("ix_idempotency_keys_created_at"), "idempotency_keys", ["created_at"]
    )
    _reseal_last_errors(seal=True)
    op.create_index(
        "uq_claims_original_encounter",
        "claims",
        ["encounter_id"],
        unique=True,
        sqlite_where=_ORIGINAL,
        postgresql_where=_ORIGINAL,
    )


def downgrade() -> None:
    op.drop_index("uq_claims_original_encounter", table_name="claims")
    _reseal_last_errors(seal=False)
    op.drop_index(op.f("ix_idempotency_keys_created_at"), table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
