"""Billing: posted 835 remittances, the double-entry ledger, the denials worklist, the payment
reminders sent to patients.

Revision ID: 0004_billing
Revises: 0003_claims
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from medcoder.store.db import UtcDateTime

__all__: list[str] = []

revision = "0004_billing"
down_revision = "0003_claims"
branch_labels = None
depends_on = None

_DENIAL_STATUSES = "('open', 'resubmitted', 'appealed', 'written_off', 'billed_patient', 'closed')"


def upgrade() -> None:
    op.create_table(
        "remittances",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("org_id", sa.String(32), nullable=False),
        sa.Column("payer_key", sa.String(80), nullable=False),
        sa.Column("payer_name", sa.String(200), nullable=False),
        sa.Column("trace_number", sa.String(80), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("control_number", sa.String(9), nullable=False),
        sa.Column("interchange_control_number", sa.String(9), nullable=False),
        sa.Column("total_paid", sa.BigInteger(), nullable=False),
        sa.Column("payment_method", sa.String(3), nullable=False),
        sa.Column("payment_date", sa.Date(), nullable=True),
        sa.Column("claims_count", sa.Integer(), nullable=False),
        sa.Column("posted_claims", sa.Integer(), nullable=False),
        sa.Column("unmatched", sa.JSON(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("posted_by", sa.String(150), nullable=False),
        sa.Column("posted_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_remittances_org_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remittances")),
        sa.UniqueConstraint(
            "org_id",
            "payer_key",
            "trace_number",
            "content_hash",
            name=op.f("uq_remittances_org_id_payer_key_trace_number_content_hash"),
        ),
    )
    op.create_index(op.f("ix_remittances_org_id"), "remittances", ["org_id"])
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("org_id", sa.String(32), nullable=False),
        sa.Column("remittance_id", sa.String(32), nullable=True),
        sa.Column("encounter_id", sa.String(32), nullable=True),
        sa.Column("patient_id", sa.String(32), nullable=True),
        sa.Column("claim_id", sa.String(38), nullable=False),
        sa.Column("line", sa.String(50), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("debit_account", sa.String(32), nullable=False),
        sa.Column("credit_account", sa.String(32), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("group_code", sa.String(3), nullable=False),
        sa.Column("reason_code", sa.String(5), nullable=False),
        sa.Column("memo", sa.String(200), nullable=False),
        sa.Column("posted_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_ledger_entries_amount_positive")),
        sa.CheckConstraint(
            "debit_account <> credit_account", name=op.f("ck_ledger_entries_two_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_ledger_entries_org_id_organizations")
        ),
        sa.ForeignKeyConstraint(
            ["remittance_id"],
            ["remittances.id"],
            name=op.f("fk_ledger_entries_remittance_id_remittances"),
        ),
        sa.ForeignKeyConstraint(
            ["encounter_id"],
            ["encounters.id"],
            name=op.f("fk_ledger_entries_encounter_id_encounters"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_ledger_entries_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
    )
    op.create_index(op.f("ix_ledger_entries_remittance_id"), "ledger_entries", ["remittance_id"])
    op.create_index(
        op.f("ix_ledger_entries_org_id_encounter_id"), "ledger_entries", ["org_id", "encounter_id"]
    )
    op.create_index(
        op.f("ix_ledger_entries_org_id_patient_id"), "ledger_entries", ["org_id", "patient_id"]
    )
    op.create_index(
        op.f("ix_ledger_entries_org_id_claim_id"), "ledger_entries", ["org_id", "claim_id"]
    )
    op.create_table(
        "denials",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("org_id", sa.String(32), nullable=False),
        sa.Column("remittance_id", sa.String(32), nullable=False),
        sa.Column("encounter_id", sa.String(32), nullable=False),
        sa.Column("patient_id", sa.String(32), nullable=False),
        sa.Column("claim_id", sa.String(38), nullable=False),
        sa.Column("line", sa.String(50), nullable=False),
        sa.Column("procedure", sa.String(48), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("group_code", sa.String(3), nullable=False),
        sa.Column("carc", sa.String(5), nullable=False),
        sa.Column("carc_text", sa.Text(), nullable=False),
        sa.Column("remarks", sa.JSON(), nullable=False),
        sa.Column("adjustments", sa.JSON(), nullable=False),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("payer_claim_control_number", sa.String(50), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.CheckConstraint(f"status IN {_DENIAL_STATUSES}", name=op.f("ck_denials_status")),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_denials_org_id_organizations")
        ),
        sa.ForeignKeyConstraint(
            ["remittance_id"], ["remittances.id"], name=op.f("fk_denials_remittance_id_remittances")
        ),
        sa.ForeignKeyConstraint(
            ["encounter_id"], ["encounters.id"], name=op.f("fk_denials_encounter_id_encounters")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_denials_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_denials")),
    )
    op.create_index(op.f("ix_denials_remittance_id"), "denials", ["remittance_id"])
    op.create_index(op.f("ix_denials_encounter_id"), "denials", ["encounter_id"])
    op.create_index(op.f("ix_denials_org_id_status"), "denials", ["org_id", "status"])

    op.create_table(
        "patient_reminders",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("org_id", sa.String(32), nullable=False),
        sa.Column("patient_id", sa.String(32), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("statement_date", sa.Date(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_patient_reminders_org_id_organizations")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_patient_reminders_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_reminders")),
    )
    op.create_index(
        op.f("ix_patient_reminders_org_id_patient_id_sent_at"),
        "patient_reminders",
        ["org_id", "patient_id", "sent_at"],
    )


def downgrade() -> None:
    op.drop_table("patient_reminders")
    op.drop_table("denials")
    op.drop_table("ledger_entries")
    op.drop_table("remittances")
