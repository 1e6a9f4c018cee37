"""Claims: built claims and their service lines, 837 batches (files) and the interchange
control-number counter (seeded at 0).

Encrypted columns (``claims.snapshot``) are plain TEXT here (``mc1:...`` ciphertext).

Revision ID: 0003_claims
Revises: 0002_jobs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

__all__: list[str] = []

revision = "0003_claims"
down_revision = "0002_jobs"
branch_labels = None
depends_on = None

_STATUSES = ("built", "submitted", "accepted", "rejected", "paid", "partially_paid", "denied",
             "corrected", "appealed", "closed")


def upgrade() -> None:
    counters = op.create_table(
        "x12_control_counters",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_x12_control_counters")),
    )
    op.bulk_insert(counters, [{"name": "interchange", "value": 0}])
    op.create_table(
        "x12_batches",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("org_id", sa.String(32), nullable=False),
        sa.Column("control_number", sa.BigInteger(), nullable=False),
        sa.Column("transaction_set", sa.String(8), nullable=False),
        sa.Column("payer_id", sa.String(80), nullable=False),
        sa.Column("claim_count", sa.Integer(), nullable=False),
        sa.Column("total_charge", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organizations.id"],
                                name=op.f("fk_x12_batches_org_id_organizations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_x12_batches")),
        sa.UniqueConstraint("control_number", name=op.f("uq_x12_batches_control_number")),
    )
    op.create_index(op.f("ix_x12_batches_org_id"), "x12_batches", ["org_id"], unique=False)
    op.create_table(
        "claims",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("org_id", sa.String(32), nullable=False),
        sa.Column("encounter_id", sa.String(32), nullable=False),
        sa.Column("patient_control_number", sa.String(20), nullable=False),
        sa.Column("payer_key", sa.String(80), nullable=False),
        sa.Column("payer_id", sa.String(80), nullable=False),
        sa.Column("claim_type", sa.String(1), nullable=False),
        sa.Column("frequency", sa.String(1), nullable=False),
        sa.Column("original_claim_reference", sa.String(50), nullable=True),
        sa.Column("replaces_claim_id", sa.String(32), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("total_charge", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("batch_id", sa.String(32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("claim_type IN ('P', 'I')", name=op.f("ck_claims_claim_type")),
        sa.CheckConstraint("frequency IN ('1', '7', '8')", name=op.f("ck_claims_frequency")),
        sa.CheckConstraint(f"status IN ({', '.join(repr(s) for s in _STATUSES)})",
                           name=op.f("ck_claims_status")),
        sa.ForeignKeyConstraint(["batch_id"], ["x12_batches.id"],
                                name=op.f("fk_claims_batch_id_x12_batches")),
        sa.ForeignKeyConstraint(["encounter_id"], ["encounters.id"],
                                name=op.f("fk_claims_encounter_id_encounters")),
        sa.ForeignKeyConstraint(["org_id"], ["organizations.id"],
                                name=op.f("fk_claims_org_id_organizations")),
        sa.ForeignKeyConstraint(["replaces_claim_id"], ["claims.id"],
                                name=op.f("fk_claims_replaces_claim_id_claims")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
    )
    op.create_index(op.f("ix_claims_batch_id"), "claims", ["batch_id"], unique=False)
    op.create_index(op.f("ix_claims_encounter_id"), "claims", ["encounter_id"], unique=False)
    op.create_index(op.f("ix_claims_org_id"), "claims", ["org_id"], unique=False)
    op.create_index(op.f("ix_claims_org_id_patient_control_number"), "claims",
                    ["org_id", "patient_control_number"], unique=False)
    op.create_index(op.f("ix_claims_org_id_payer_key_status"), "claims",
                    ["org_id", "payer_key", "status"], unique=False)
    op.create_table(
        "claim_lines",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("org_id", sa.String(32), nullable=False),
        sa.Column("claim_id", sa.String(32), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("modifiers", sa.JSON(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("charge", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("control_number", sa.String(50), nullable=False),
        sa.Column("revenue_code", sa.String(4), nullable=True),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"],
                                name=op.f("fk_claim_lines_claim_id_claims")),
        sa.ForeignKeyConstraint(["org_id"], ["organizations.id"],
                                name=op.f("fk_claim_lines_org_id_organizations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_lines")),
        sa.UniqueConstraint("claim_id", "line_number",
                            name=op.f("uq_claim_lines_claim_id_line_number")),
    )
    op.create_index(op.f("ix_claim_lines_control_number"), "claim_lines", ["control_number"],
                    unique=False)
    op.create_index(op.f("ix_claim_lines_org_id"), "claim_lines", ["org_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_claim_lines_org_id"), table_name="claim_lines")
    op.drop_index(op.f("ix_claim_lines_control_number"), table_name="claim_lines")
    op.drop_table("claim_lines")
    op.drop_index(op.f("ix_claims_org_id_payer_key_status"), table_name="claims")
    op.drop_index(op.f("ix_claims_org_id_patient_control_number"), table_name="claims")
    op.drop_index(op.f("ix_claims_org_id"), table_name="claims")
    op.drop_index(op.f("ix_claims_encounter_id"), table_name="claims")
    op.drop_index(op.f("ix_claims_batch_id"), table_name="claims")
    op.drop_table("claims")
    op.drop_index(op.f("ix_x12_batches_org_id"), table_name="x12_batches")
    op.drop_table("x12_batches")
    op.drop_table("x12_control_counters")
