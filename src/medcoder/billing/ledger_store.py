"""The ledger in the database: balances, an encounter's entries, patient payments and the
patient's share of each claim (for statements)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, case, func, select, type_coerce
from sqlalchemy.orm import Session

from medcoder.billing.ledger import Account, EntryKind, LedgerEntry
from medcoder.billing.statements import PatientCharge, PatientPayment
from medcoder.errors import InputError
from medcoder.store.billing_models import LedgerEntryRecord
from medcoder.store.db import new_id
from medcoder.store.models import Encounter

__all__ = [
    "account_balance",
    "encounter_entries",
    "entry_record",
    "entry_values",
    "patient_balance",
    "patient_statement_items",
    "record_patient_payment",
]


def entry_values(
    entry: LedgerEntry,
    org_id: str,
    remittance_id: str | None,
    encounter_id: str | None,
    patient_id: str | None,
) -> dict[str, Any]:
    """The column values of a ``ledger_entries`` row for ``entry`` (bulk inserts)."""
    return {
        "id": new_id(),
        "org_id": org_id,
        "remittance_id": remittance_id,
        "encounter_id": encounter_id,
        "patient_id": patient_id,
        "claim_id": entry.claim_id,
        "line": entry.line,
        "kind": entry.kind.value,
        "debit_account": entry.debit.value,
        "credit_account": entry.credit.value,
        "amount": entry.amount,
        "group_code": entry.group,
        "reason_code": entry.reason,
        "memo": entry.memo[:200],
    }


def entry_record(
    entry: LedgerEntry,
    org_id: str,
    remittance_id: str | None,
    encounter_id: str | None,
    patient_id: str | None,
) -> LedgerEntryRecord:
    """A ``ledger_entries`` row for ``entry``."""
    return LedgerEntryRecord(**entry_values(entry, org_id, remittance_id, encounter_id, patient_id))


def _balance(session: Session, org_id: str, account: Account, *conditions: object) -> Decimal:
    cents = type_coerce(LedgerEntryRecord.amount, BigInteger)  # raw cents, summed exactly
    signed = case((LedgerEntryRecord.debit_account == account.value, cents), else_=-cents)
    total = session.scalar(
        select(func.coalesce(func.sum(signed), 0)).where(
            LedgerEntryRecord.org_id == org_id,
            (LedgerEntryRecord.debit_account == account.value)
            | (LedgerEntryRecord.credit_account == account.value),
            *conditions,  # type: ignore[arg-type]
        )
    )
    return (Decimal(int(total or 0)) / 100).quantize(Decimal("0.01"))


def account_balance(session: Session, org_id: str, account: Account) -> Decimal:
    """Debits minus credits of ``account`` over the whole organization."""
    return _balance(session, org_id, account)


def patient_balance(session: Session, org_id: str, patient_id: str) -> Decimal:
    """What the patient owes: the ``patient_ar`` balance of their encounters."""
    return _balance(session, org_id, Account.PATIENT_AR, LedgerEntryRecord.patient_id == patient_id)


def encounter_entries(session: Session, org_id: str, encounter_id: str) -> list[LedgerEntry]:
    """The ledger of one encounter, oldest first."""
    rows = session.scalars(
        select(LedgerEntryRecord)
        .where(
            LedgerEntryRecord.org_id == org_id,
            LedgerEntryRecord.encounter_id == encounter_id,
        )
        .order_by(LedgerEntryRecord.posted_at, LedgerEntryRecord.id)
    )
    return [
        LedgerEntry(
            kind=EntryKind(r.kind),
            debit=Account(r.debit_account),
            credit=Account(r.credit_account),
            amount=r.amount,
            claim_id=r.claim_id,
            line=r.line,
            group=r.group_code,
            reason=r.reason_code,
            memo=r.memo,
        )
        for r in rows
    ]


_SHARE_LABELS = {"1": "Deductible", "2": "Coinsurance", "3": "Copay"}


def record_patient_payment(
    session: Session,
    org_id: str,
    *,
    patient_id: str,
    encounter_id: str | None,
    amount: Decimal,
    memo: str = "",
) -> LedgerEntryRecord:
    """Post a payment the patient made (``cash`` debit, ``patient_ar`` credit).

    Raises:
        InputError: an amount that is not positive whole cents.
    """
    if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise InputError(f"a payment must be positive whole cents, got {amount}", field="amount")
    record = LedgerEntryRecord(
        org_id=org_id,
        encounter_id=encounter_id,
        patient_id=patient_id,
        kind=EntryKind.PATIENT_PAYMENT.value,
        debit_account=Account.CASH.value,
        credit_account=Account.PATIENT_AR.value,
        amount=amount,
        memo=memo[:200],
    )
    session.add(record)
    session.flush()
    return record


def patient_statement_items(
    session: Session, org_id: str, patient_id: str
) -> tuple[list[PatientCharge], list[PatientPayment]]:
    """The patient's share of each claim (credits negative) and their payments, from the ledger."""
    rows = session.execute(
        select(LedgerEntryRecord, Encounter.date_of_service)
        .outerjoin(Encounter, Encounter.id == LedgerEntryRecord.encounter_id)
        .where(
            LedgerEntryRecord.org_id == org_id,
            LedgerEntryRecord.patient_id == patient_id,
            (LedgerEntryRecord.debit_account == Account.PATIENT_AR.value)
            | (LedgerEntryRecord.credit_account == Account.PATIENT_AR.value),
        )
        .order_by(LedgerEntryRecord.posted_at, LedgerEntryRecord.id)
    ).all()
    charges: list[PatientCharge] = []
    payments: list[PatientPayment] = []
    for entry, day in rows:
        posted = entry.posted_at.date()
        if entry.kind == EntryKind.PATIENT_PAYMENT.value:
            payments.append(PatientPayment(posted, entry.amount, entry.memo))
            continue
        sign = 1 if entry.debit_account == Account.PATIENT_AR.value else -1
        label = _SHARE_LABELS.get(entry.reason_code, "Patient responsibility")
        share = f"{entry.group_code}-{entry.reason_code}"
        charges.append(
            PatientCharge(
                encounter_id=entry.encounter_id or "",
                date_of_service=day or posted,
                posted_on=posted,
                description=f"{label} ({share}), claim {entry.claim_id}",
                amount=sign * entry.amount,
            )
        )
    return charges, payments
