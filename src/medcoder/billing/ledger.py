"""The per-encounter ledger: double-entry postings in exact cents.

Every posting moves one positive amount from a credit account to a debit account, so the
ledger balances by construction; a negative amount (a reversal) is posted by swapping the two
accounts. Balances are signed the natural way for each account: ``insurance_ar`` is what the
payer still owes, ``patient_ar`` what the patient owes, ``cash`` what was received.

Accounts::

    insurance_ar   debit: the charge billed          credit: paid, adjusted, moved to patient
    patient_ar     debit: patient responsibility     credit: patient payments
    charges        credit: the charge billed (revenue)
    cash           debit: payments received          credit: provider-level offsets (PLB)
    contractual    debit: contractual write-downs (CO-45 ...)
    denials        debit: amounts denied, awaiting the worklist (appeal, resubmit, write off)
    other_adjustments   debit: routine other adjustments (OA-23 ...)
    provider_adjustments debit: PLB amounts the payer withheld
    write_offs     debit: denied amounts written off from the worklist
    unapplied      credit: payments for claims no billed claim matches (held until applied)

A denied amount waits in ``denials`` until the biller resolves it: appealed or resubmitted
moves it back to ``insurance_ar`` (the payer is expected to pay again), written off to
``write_offs``, billed to the patient to ``patient_ar``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

__all__ = ["Account", "EntryKind", "LedgerEntry", "balances", "make_entry", "to_cents"]

_CENT = Decimal("0.01")


class Account(StrEnum):
    """The ledger accounts."""

    INSURANCE_AR = "insurance_ar"
    PATIENT_AR = "patient_ar"
    CHARGES = "charges"
    CASH = "cash"
    CONTRACTUAL = "contractual"
    DENIALS = "denials"
    OTHER_ADJUSTMENTS = "other_adjustments"
    PROVIDER_ADJUSTMENTS = "provider_adjustments"
    WRITE_OFFS = "write_offs"
    UNAPPLIED = "unapplied"


# Accounts whose balance is debits - credits (assets and expenses); the others credits - debits.
_DEBIT_NORMAL = frozenset(
    {
        Account.INSURANCE_AR,
        Account.PATIENT_AR,
        Account.CASH,
        Account.CONTRACTUAL,
        Account.DENIALS,
        Account.OTHER_ADJUSTMENTS,
        Account.PROVIDER_ADJUSTMENTS,
        Account.WRITE_OFFS,
    }
)


class EntryKind(StrEnum):
    """Why an entry was posted."""

    CHARGE = "charge"
    PAYMENT = "payment"
    CONTRACTUAL = "contractual"
    PATIENT_RESPONSIBILITY = "patient_responsibility"
    DENIAL = "denial"
    OTHER_ADJUSTMENT = "other_adjustment"
    PROVIDER_ADJUSTMENT = "provider_adjustment"
    UNAPPLIED_PAYMENT = "unapplied_payment"
    PATIENT_PAYMENT = "patient_payment"
    DENIAL_RESOLUTION = "denial_resolution"


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One posting: ``amount`` (> 0, cents) from ``credit`` to ``debit``.

    ``claim_id`` is the patient control number, ``line`` the line item control number;
    ``group``/``reason`` the CAS group and CARC of an adjustment.
    """

    kind: EntryKind
    debit: Account
    credit: Account
    amount: Decimal
    claim_id: str = ""
    line: str = ""
    group: str = ""
    reason: str = ""
    memo: str = ""


def to_cents(amount: Decimal) -> Decimal:
    """An amount rounded to the cent (banker's rounding, as ledgers do)."""
    return amount.quantize(_CENT, rounding=ROUND_HALF_EVEN)


def make_entry(
    kind: EntryKind, debit: Account, credit: Account, amount: Decimal, **context: str
) -> LedgerEntry | None:
    """An entry for a signed amount (None for zero; negative swaps the accounts)."""
    cents = to_cents(amount)
    if cents == 0:
        return None
    if cents < 0:
        debit, credit, cents = credit, debit, -cents
    return LedgerEntry(kind, debit, credit, cents, **context)


def balances(entries: Iterable[LedgerEntry]) -> dict[Account, Decimal]:
    """The balance of every account the entries touch (signed by the account's nature)."""
    totals: dict[Account, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for e in entries:
        totals[e.debit] += e.amount if e.debit in _DEBIT_NORMAL else -e.amount
        totals[e.credit] += -e.amount if e.credit in _DEBIT_NORMAL else e.amount
    return dict(totals)
