"""Apply 999 and 277CA acknowledgements to the stored claims.

- A 277CA accepts or rejects each claim: the claim is found by patient control number (TRN*2)
  and moves ``submitted -> accepted`` or ``submitted -> rejected``.
- A 999 answers a whole 837 file: its AK1 names the group control number (GS06), which is the
  control number of the stored batch; a rejected transaction rejects every claim of the
  batch. An accepted one moves nothing (a 999 checks syntax, the 277CA says whether the payer
  took each claim in).

Moves the claim state machine refuses are warnings; applying the same acknowledgement again
moves nothing. The caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from medcoder.billing.claims_bridge import status_moves
from medcoder.claims.readers.ack277 import ClaimAcknowledgement
from medcoder.claims.readers.ack999 import FunctionalGroupAck
from medcoder.claims.readers.acknowledgements import Acknowledgement
from medcoder.store import audit
from medcoder.store.claims_models import ClaimRecord, X12Batch

__all__ = ["AckResult", "StatusChange", "apply_acknowledgements"]


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One claim moved by an acknowledgement."""

    claim_id: str
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class AckResult:
    """What applying acknowledgements did: claims moved, numbers found nowhere, warnings."""

    changes: tuple[StatusChange, ...]
    unmatched: tuple[str, ...]
    warnings: tuple[str, ...]


@dataclass
class _Tally:
    changes: list[StatusChange] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _move(record: ClaimRecord, accepted: bool, tally: _Tally) -> None:
    moves, warning = status_moves(record.status, accepted)
    if warning is not None:
        tally.warnings.append(f"claim {record.patient_control_number}: {warning}")
    elif moves:
        tally.changes.append(
            StatusChange(record.patient_control_number, record.status, moves[-1].value)
        )
        record.status = moves[-1].value


def _claims_by_number(session: Session, org_id: str, number: str) -> list[ClaimRecord]:
    return list(
        session.scalars(
            select(ClaimRecord)
            .where(
                ClaimRecord.org_id == org_id,
                func.upper(ClaimRecord.patient_control_number) == number.upper(),
                ClaimRecord.status != "built",
            )
            .order_by(ClaimRecord.created_at.desc(), ClaimRecord.id)
            .limit(1)
        )
    )


def _apply_277(session: Session, org_id: str, ack: ClaimAcknowledgement, tally: _Tally) -> None:
    for status in ack.claims:
        if status.accepted is None:
            tally.warnings.append(f"claim {status.patient_control_number}: no accept/reject status")
            continue
        found = _claims_by_number(session, org_id, status.patient_control_number)
        if not found:
            tally.unmatched.append(status.patient_control_number)
            continue
        _move(found[0], status.accepted, tally)


def _apply_999(session: Session, org_id: str, ack: FunctionalGroupAck, tally: _Tally) -> None:
    if not ack.group_control_number.isdigit():
        tally.warnings.append(
            f"999 group control number {ack.group_control_number!r} is not a number"
        )
        return
    batch = session.scalar(
        select(X12Batch).where(
            X12Batch.org_id == org_id, X12Batch.control_number == int(ack.group_control_number)
        )
    )
    if batch is None:
        tally.unmatched.append(f"batch {ack.group_control_number}")
        return
    if all(t.accepted for t in ack.transactions) and ack.status in {"A", "E"}:
        return
    claims = session.scalars(
        select(ClaimRecord).where(ClaimRecord.org_id == org_id, ClaimRecord.batch_id == batch.id)
    )
    for record in claims:
        _move(record, False, tally)


def apply_acknowledgements(
    acks: Sequence[Acknowledgement], *, session: Session, org_id: str, actor: str = "cli"
) -> AckResult:
    """Move the stored claims the acknowledgements accept or reject (audited, counts only)."""
    tally = _Tally()
    for ack in acks:
        if isinstance(ack, ClaimAcknowledgement):
            _apply_277(session, org_id, ack, tally)
        else:
            _apply_999(session, org_id, ack, tally)
    session.flush()
    audit.record(
        session,
        actor,
        "claim_ack.apply",
        f"org/{org_id}",
        org_id=org_id,
        detail={
            "moved": len(tally.changes),
            "unmatched": len(tally.unmatched),
            "warnings": len(tally.warnings),
        },
    )
    return AckResult(tuple(tally.changes), tuple(tally.unmatched), tuple(tally.warnings))
