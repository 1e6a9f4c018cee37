"""What an 835 remittance says, as immutable values (read by :mod:`.remittance_reader`).

Money is :class:`decimal.Decimal` exactly as the payer wrote it. Adjustment amounts keep the
X12 sign convention: a positive amount reduces the payment, a negative one increases it; in a
reversal (claim status 22) every amount is negated.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

__all__ = [
    "CLAIM_STATUS_TEXT",
    "Adjustment",
    "ClaimPayment",
    "Party",
    "ProviderAdjustment",
    "Remittance",
    "ServicePayment",
]

# CLP02, in medcoder's words.
CLAIM_STATUS_TEXT: dict[str, str] = {
    "1": "processed as primary",
    "2": "processed as secondary",
    "3": "processed as tertiary",
    "4": "denied",
    "19": "processed as primary, forwarded to another payer",
    "20": "processed as secondary, forwarded to another payer",
    "21": "processed as tertiary, forwarded to another payer",
    "22": "reversal of a previous payment",
    "23": "not our claim, forwarded to another payer",
    "25": "predetermination pricing only, no payment",
}


@dataclass(frozen=True, slots=True)
class Adjustment:
    """One CAS triplet: who bears it (group CO/PR/OA/PI/CR), why (CARC), how much."""

    group: str
    reason: str
    amount: Decimal
    quantity: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Party:
    """The payer (N1*PR) or the payee (N1*PE)."""

    name: str
    id_qualifier: str
    id: str
    additional_ids: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class ServicePayment:
    """One SVC service line of a claim payment (loop 2110)."""

    qualifier: str
    code: str
    modifiers: tuple[str, ...]
    charge: Decimal
    paid: Decimal
    revenue_code: str
    units: Decimal | None
    original_code: str
    line_item_control_number: str
    service_date: dt.date | None
    allowed: Decimal | None
    adjustments: tuple[Adjustment, ...]
    remarks: tuple[str, ...]

    @property
    def adjusted(self) -> Decimal:
        """The sum of the line's adjustments."""
        return sum((a.amount for a in self.adjustments), Decimal("0"))


@dataclass(frozen=True, slots=True)
class ClaimPayment:
    """One CLP claim payment (loop 2100) with its service lines."""

    patient_control_number: str
    status: str
    status_text: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    claim_filing_indicator: str
    payer_claim_control_number: str
    facility_type: str
    frequency: str
    patient_name: str
    member_id: str
    statement_from: dt.date | None
    statement_to: dt.date | None
    adjustments: tuple[Adjustment, ...]
    remarks: tuple[str, ...]
    lines: tuple[ServicePayment, ...]
    is_correction: bool = False

    @property
    def is_reversal(self) -> bool:
        """CLP02 = 22: this claim undoes an earlier payment of the same claim."""
        return self.status == "22"

    def all_adjustments(self) -> tuple[Adjustment, ...]:
        """Claim-level then line-level adjustments."""
        return self.adjustments + tuple(a for line in self.lines for a in line.adjustments)


@dataclass(frozen=True, slots=True)
class ProviderAdjustment:
    """One PLB adjustment (positive: money the payer keeps, e.g. an overpayment recovery)."""

    provider_id: str
    fiscal_period_end: dt.date | None
    reason: str
    reference: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Remittance:
    """One 835 transaction: a payment (or a notice) from one payer to one payee."""

    control_number: str
    interchange_control_number: str
    payer: Party
    payee: Party
    total_paid: Decimal
    credit_debit: str
    payment_method: str
    payment_date: dt.date | None
    trace_number: str
    trace_originator: str
    production_date: dt.date | None
    claims: tuple[ClaimPayment, ...]
    provider_adjustments: tuple[ProviderAdjustment, ...]
    warnings: tuple[str, ...]
