"""Claim tables: built claims and their lines, 837 batches, interchange control numbers.

``claims.snapshot`` keeps the claim exactly as built (the :class:`medcoder.claims.model.Claim`
value, encrypted: it names the patient), so the 837 written later is the claim that was
checked. Money is ``Numeric(12, 2)``: exact on both databases. ``claim_lines.control_number``
is the line item control number (REF*6R) an 835 echoes back. The migration ``0003_claims``
creates exactly these tables.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from medcoder.store.crypto import EncryptedJSON
from medcoder.store.db import Base, new_id, utcnow

__all__ = [
    "CLAIM_STATUSES",
    "ClaimLineRecord",
    "ClaimRecord",
    "ControlCounter",
    "INTERCHANGE_COUNTER",
    "X12Batch",
]

#: The statuses of :class:`medcoder.claims.state.ClaimStatus` (the check constraint).
CLAIM_STATUSES = ("built", "submitted", "accepted", "rejected", "paid", "partially_paid",
                  "denied", "corrected", "appealed", "closed")
INTERCHANGE_COUNTER = "interchange"

Money = Numeric(12, 2, asdecimal=True)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class X12Batch(Base):
    """One 837 file: its control number (ISA13/GS06/ST02), payer, claims and checksum."""

    __tablename__ = "x12_batches"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(String(32), ForeignKey("organizations.id"), index=True)
    control_number: Mapped[int] = mapped_column(BigInteger, unique=True)
    transaction_set: Mapped[str] = mapped_column(String(8))  # 837P | 837I
    payer_id: Mapped[str] = mapped_column(String(80))
    claim_count: Mapped[int] = mapped_column(Integer)
    total_charge: Mapped[Decimal] = mapped_column(Money)
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ClaimRecord(Base):
    """A claim built from an encounter; ``status`` follows :mod:`medcoder.claims.state`."""

    __tablename__ = "claims"
    __table_args__ = (
        CheckConstraint(_in("status", CLAIM_STATUSES), name="status"),
        CheckConstraint("claim_type IN ('P', 'I')", name="claim_type"),
        CheckConstraint("frequency IN ('1', '7', '8')", name="frequency"),
        Index(None, "org_id", "payer_key", "status"),
        Index(None, "org_id", "patient_control_number"),
        # At most one original (frequency 1) claim per encounter (migration 0005_hardening);
        # medcoder.claims.db.build_and_store turns a violation into "already has an original".
        Index(
            "uq_claims_original_encounter",
            "encounter_id",
            unique=True,
            sqlite_where=text("frequency = '1'"),
            postgresql_where=text("frequency = '1'"),
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(String(32), ForeignKey("organizations.id"), index=True)
    encounter_id: Mapped[str] = mapped_column(String(32), ForeignKey("encounters.id"),
                                              index=True)
    patient_control_number: Mapped[str] = mapped_column(String(20))
    payer_key: Mapped[str] = mapped_column(String(80))
    payer_id: Mapped[str] = mapped_column(String(80))
    claim_type: Mapped[str] = mapped_column(String(1))
    frequency: Mapped[str] = mapped_column(String(1), default="1")
    original_claim_reference: Mapped[str | None] = mapped_column(String(50), default=None)
    replaces_claim_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("claims.id"), default=None)
    status: Mapped[str] = mapped_column(String(16), default="built")
    total_charge: Mapped[Decimal] = mapped_column(Money)
    snapshot: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON("claims.snapshot"))
    batch_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("x12_batches.id"), default=None, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class ClaimLineRecord(Base):
    """A service line of a claim, with the control number an 835 refers to it by."""

    __tablename__ = "claim_lines"
    __table_args__ = (UniqueConstraint("claim_id", "line_number"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(String(32), ForeignKey("organizations.id"), index=True)
    claim_id: Mapped[str] = mapped_column(String(32), ForeignKey("claims.id"))
    line_number: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(16))
    modifiers: Mapped[list[str]] = mapped_column(JSON, default=list)
    units: Mapped[int] = mapped_column(Integer)
    charge: Mapped[Decimal] = mapped_column(Money)
    control_number: Mapped[str] = mapped_column(String(50), index=True)
    revenue_code: Mapped[str | None] = mapped_column(String(4), default=None)


class ControlCounter(Base):
    """The last control number handed out, per counter name (``interchange``)."""

    __tablename__ = "x12_control_counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
