"""The billing tables: posted remittances, the ledger, the denials worklist.

Money is stored as whole cents in a BIGINT (:class:`Cents`): exact on SQLite and PostgreSQL
alike, read back as :class:`decimal.Decimal` with two places. ``patient_reminders`` records
each payment reminder sent (when, which level, the balance then), so a daily run sends each
reminder once. The unique key of
``remittances`` (organization, payer, trace number, content hash) is what makes posting the
same 835 twice post it once, even from two processes at the same time. Migration
``0004_billing`` creates exactly these tables.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from medcoder.store.db import Base, new_id, utcnow

__all__ = [
    "DENIAL_STATUSES",
    "Cents",
    "DenialRecord",
    "LedgerEntryRecord",
    "PatientReminderRecord",
    "RemittanceRecord",
]

DENIAL_STATUSES = (
    "open",
    "resubmitted",
    "appealed",
    "written_off",
    "billed_patient",
    "closed",
)
_CENT = Decimal("0.01")


class Cents(TypeDecorator[Decimal]):
    """A money amount kept as integer cents; sub-cent values are refused on write."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value != value.quantize(_CENT):
            raise ValueError(f"{value} is not a whole number of cents")
        return int(value * 100)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(int(value)) / 100).quantize(_CENT)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class RemittanceRecord(Base):
    """One posted 835 transaction."""

    __tablename__ = "remittances"
    __table_args__ = (UniqueConstraint("org_id", "payer_key", "trace_number", "content_hash"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(String(32), ForeignKey("organizations.id"), index=True)
    payer_key: Mapped[str] = mapped_column(String(80))
    payer_name: Mapped[str] = mapped_column(String(200))
    trace_number: Mapped[str] = mapped_column(String(80))
    content_hash: Mapped[str] = mapped_column(String(64))
    control_number: Mapped[str] = mapped_column(String(9))
    interchange_control_number: Mapped[str] = mapped_column(String(9))
    total_paid: Mapped[Decimal] = mapped_column(Cents())
    payment_method: Mapped[str] = mapped_column(String(3), default="")
    payment_date: Mapped[dt.date | None] = mapped_column(Date, default=None)
    claims_count: Mapped[int] = mapped_column(Integer)
    posted_claims: Mapped[int] = mapped_column(Integer)
    unmatched: Mapped[list[str]] = mapped_column(JSON, default=list)
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    posted_by: Mapped[str] = mapped_column(String(150), default="")
    posted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LedgerEntryRecord(Base):
    """One double-entry posting (``amount`` > 0 moves from ``credit_account`` to
    ``debit_account``). Provider-level entries (PLB) have no encounter."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("debit_account <> credit_account", name="two_accounts"),
        Index(None, "org_id", "encounter_id"),
        Index(None, "org_id", "patient_id"),
        Index(None, "org_id", "claim_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(String(32), ForeignKey("organizations.id"))
    remittance_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("remittances.id"), index=True, default=None
    )
    encounter_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("encounters.id"), default=None
    )
    patient_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("patients.id"), default=None
    )
    claim_id: Mapped[str] = mapped_column(String(38), default="")
    line: Mapped[str] = mapped_column(String(50), default="")
    kind: Mapped[str] = mapped_column(String(32))
    debit_account: Mapped[str] = mapped_column(String(32))
    credit_account: Mapped[str] = mapped_column(String(32))
    amount: Mapped[Decimal] = mapped_column(Cents())
    group_code: Mapped[str] = mapped_column(String(3), default="")
    reason_code: Mapped[str] = mapped_column(String(5), default="")
    memo: Mapped[str] = mapped_column(String(200), default="")
    posted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DenialRecord(Base):
    """A denied or partly denied line (or claim) on the denials worklist."""

    __tablename__ = "denials"
    __table_args__ = (
        CheckConstraint(_in("status", DENIAL_STATUSES), name="status"),
        Index(None, "org_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(String(32), ForeignKey("organizations.id"))
    remittance_id: Mapped[str] = mapped_column(String(32), ForeignKey("remittances.id"), index=True)
    encounter_id: Mapped[str] = mapped_column(String(32), ForeignKey("encounters.id"), index=True)
    patient_id: Mapped[str] = mapped_column(String(32), ForeignKey("patients.id"))
    claim_id: Mapped[str] = mapped_column(String(38))
    line: Mapped[str] = mapped_column(String(50), default="")
    procedure: Mapped[str] = mapped_column(String(48), default="")
    amount: Mapped[Decimal] = mapped_column(Cents())
    group_code: Mapped[str] = mapped_column(String(3))
    carc: Mapped[str] = mapped_column(String(5))
    carc_text: Mapped[str] = mapped_column(Text, default="")
    remarks: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    adjustments: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    cause: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(32))
    payer_claim_control_number: Mapped[str] = mapped_column(String(50), default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class PatientReminderRecord(Base):
    """A payment reminder sent to a patient (no address or text kept: only when and how much)."""

    __tablename__ = "patient_reminders"
    __table_args__ = (Index(None, "org_id", "patient_id", "sent_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(String(32), ForeignKey("organizations.id"))
    patient_id: Mapped[str] = mapped_column(String(32), ForeignKey("patients.id"))
    level: Mapped[str] = mapped_column(String(16))
    balance: Mapped[Decimal] = mapped_column(Cents())
    statement_date: Mapped[dt.date] = mapped_column(Date)
    sent_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
