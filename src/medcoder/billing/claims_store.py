"""The claims the database holds, as a :class:`~medcoder.billing.store.ClaimSource`.

Claims are found by patient control number (case-insensitive) in the organization. When a
number was used more than once (a replacement claim keeping it), the newest claim that was
submitted wins. Outcomes move the claim's status through :mod:`medcoder.claims.state`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from medcoder.billing.claims_bridge import status_moves
from medcoder.billing.posting import BilledClaim, BilledLine, ClaimPosting
from medcoder.store.claims_models import ClaimLineRecord, ClaimRecord
from medcoder.store.models import Encounter

__all__ = ["StoredClaimSource"]

_NOT_PAYABLE = ("built", "corrected")


class StoredClaimSource:
    """Billed claims from the ``claims`` and ``claim_lines`` tables of one organization."""

    def __init__(self, session: Session, org_id: str) -> None:
        self._session = session
        self._org_id = org_id
        self._records: dict[str, ClaimRecord] = {}

    def billed_claims(self, patient_control_numbers: Sequence[str]) -> Mapping[str, BilledClaim]:
        """The newest submitted claim for each number, with its lines and patient."""
        wanted = [n.upper() for n in patient_control_numbers]
        if not wanted:
            return {}
        rows = self._session.execute(
            select(ClaimRecord, Encounter.patient_id)
            .join(Encounter, Encounter.id == ClaimRecord.encounter_id)
            .where(
                ClaimRecord.org_id == self._org_id,
                func.upper(ClaimRecord.patient_control_number).in_(wanted),
            )
            .order_by(ClaimRecord.created_at, ClaimRecord.id)
        ).all()
        chosen: dict[str, tuple[ClaimRecord, str]] = {}
        for record, patient_id in rows:  # oldest first: a later, payable claim replaces
            key = record.patient_control_number.upper()
            previous = chosen.get(key)
            if (
                previous is None
                or record.status not in _NOT_PAYABLE
                or (previous[0].status in _NOT_PAYABLE)
            ):
                chosen[key] = (record, patient_id)
        lines: dict[str, list[ClaimLineRecord]] = {}
        if chosen:
            for line in self._session.scalars(
                select(ClaimLineRecord)
                .where(ClaimLineRecord.claim_id.in_([r.id for r, _ in chosen.values()]))
                .order_by(ClaimLineRecord.line_number)
            ):
                lines.setdefault(line.claim_id, []).append(line)
        billed: dict[str, BilledClaim] = {}
        for key, (record, patient_id) in chosen.items():
            self._records[key] = record
            billed[key] = BilledClaim(
                claim_id=key,
                encounter_id=record.encounter_id,
                patient_id=patient_id,
                charge=record.total_charge,
                lines=tuple(
                    BilledLine(ln.control_number, ln.code, ln.charge)
                    for ln in lines.get(record.id, [])
                ),
            )
        return billed

    def record_outcome(self, posting: ClaimPosting) -> str | None:
        """Move the claim's status; a warning (and no move) when the machine refuses it."""
        record = self._records.get(posting.claim_id.upper())
        if record is None:
            return f"claim {posting.claim_id}: not loaded, status not changed"
        moves, warning = status_moves(record.status, posting.outcome)
        if warning is not None:
            return f"claim {posting.claim_id}: {warning}; status left {record.status}"
        if moves:
            record.status = moves[-1].value
        return None
