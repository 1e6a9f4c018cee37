"""The denials worklist in the database: open items, and resolving one."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from medcoder.billing.ledger import Account, EntryKind, make_entry
from medcoder.billing.ledger_store import entry_record
from medcoder.errors import InputError
from medcoder.store import audit
from medcoder.store.billing_models import DenialRecord
from medcoder.store.db import utcnow

__all__ = ["open_denials", "resolve_denial"]


def open_denials(session: Session, org_id: str) -> list[DenialRecord]:
    """The open items of the denials worklist, largest amount first."""
    return list(
        session.scalars(
            select(DenialRecord)
            .where(DenialRecord.org_id == org_id, DenialRecord.status == "open")
            .order_by(DenialRecord.amount.desc(), DenialRecord.created_at)
        )
    )


# Where a resolved denial's amount goes (None: stays in ``denials``, the item is just closed).
_RESOLUTION_ACCOUNT: dict[str, Account | None] = {
    "appealed": Account.INSURANCE_AR,
    "resubmitted": Account.INSURANCE_AR,
    "written_off": Account.WRITE_OFFS,
    "billed_patient": Account.PATIENT_AR,
    "closed": None,
}


def resolve_denial(
    session: Session, org_id: str, denial_id: str, resolution: str, *, actor: str = "cli"
) -> DenialRecord:
    """Close a worklist item: ``appealed`` or ``resubmitted`` (the amount is owed by the payer
    again), ``written_off``, ``billed_patient`` or ``closed``; posts the ledger entry moving
    the denied amount out of where it waits (``denials``; ``patient_ar`` for a PR denial, which
    the patient already owes), and an audit event.

    Raises:
        InputError: no such open item in the organization, or an unknown resolution.
    """
    if resolution not in _RESOLUTION_ACCOUNT:
        choices = ", ".join(_RESOLUTION_ACCOUNT)
        raise InputError(
            f"resolution must be one of {choices}, got {resolution!r}", field="resolution"
        )
    item = session.scalar(
        select(DenialRecord)
        .where(DenialRecord.org_id == org_id, DenialRecord.id == denial_id)
        .with_for_update()
    )
    if item is None or item.status != "open":
        raise InputError(f"no open denial {denial_id!r}", field="denial")
    if resolution == "billed_patient" and item.group_code == "CO":
        raise InputError(
            "a CO denial is the practice's (contractual obligation): it may not be billed to "
            "the patient",
            field="resolution",
        )
    account = _RESOLUTION_ACCOUNT[resolution]
    # A PR denial was posted to the patient's balance, the others wait in ``denials``.
    held = Account.PATIENT_AR if item.group_code == "PR" else Account.DENIALS
    if account is not None and account is not held and item.amount != 0:
        entry = make_entry(
            EntryKind.DENIAL_RESOLUTION,
            account,
            held,
            item.amount,
            claim_id=item.claim_id,
            line=item.line,
            group=item.group_code,
            reason=item.carc,
            memo=resolution,
        )
        if entry is not None:
            session.add(
                entry_record(entry, org_id, item.remittance_id, item.encounter_id, item.patient_id)
            )
    item.status = resolution
    item.resolved_at = utcnow()
    audit.record(
        session,
        actor,
        "denial.resolve",
        f"denial/{item.id}",
        org_id=org_id,
        detail={"resolution": resolution},
    )
    session.flush()
    return item
