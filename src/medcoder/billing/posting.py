"""Plan the posting of a remittance: pure values in, ledger entries and denials out.

:func:`plan_posting` matches each 835 claim payment to a billed claim by patient control
number and each service line by its line item control number (REF*6R; else by procedure code
and charge), then turns payments and adjustments into balanced :class:`LedgerEntry` values,
patient responsibility into ``patient_ar``, and denied amounts into :class:`DenialItem` values
with the CARC/RARC wording, the likely cause and the action. The store persists the plan
(:mod:`medcoder.billing.store`).

Example:
    >>> plan = plan_posting(remittance, {"PCN1001": billed}, AdjustmentRules.default(), texts)
    >>> plan.claims[0].outcome
    <ClaimOutcome.PAID: 'paid'>
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from medcoder.billing.adjustment_rules import (
    ACTION_TEXT,
    Action,
    AdjustmentKind,
    AdjustmentRules,
)
from medcoder.billing.ledger import Account, EntryKind, LedgerEntry, make_entry
from medcoder.claims.readers.remittance import (
    Adjustment,
    ClaimPayment,
    Remittance,
    ServicePayment,
)

__all__ = [
    "BilledClaim",
    "BilledLine",
    "ClaimOutcome",
    "ClaimPosting",
    "CodeTexts",
    "DenialItem",
    "PostingPlan",
    "Remark",
    "StaticCodeTexts",
    "plan_posting",
]

_ZERO = Decimal("0")


class CodeTexts(Protocol):
    """The wording of CARCs and RARCs (``KbCodeTexts`` reads the vendored lists)."""

    def carc(self, code: str) -> str | None:
        """The description of a claim adjustment reason code, None if unknown."""

    def rarc(self, code: str) -> str | None:
        """The description of a remittance advice remark code, None if unknown."""


@dataclass(frozen=True, slots=True)
class StaticCodeTexts:
    """:class:`CodeTexts` from two dictionaries (tests, or no knowledge base)."""

    carcs: Mapping[str, str]
    rarcs: Mapping[str, str]

    def carc(self, code: str) -> str | None:
        return self.carcs.get(code)

    def rarc(self, code: str) -> str | None:
        return self.rarcs.get(code)


@dataclass(frozen=True, slots=True)
class BilledLine:
    """A service line as billed: its line item control number (REF*6R), code and charge."""

    control_number: str
    code: str
    charge: Decimal


@dataclass(frozen=True, slots=True)
class BilledClaim:
    """A claim as billed, as far as posting needs it.

    ``charge_posted``: the ledger already holds this claim's charge (posted earlier).
    """

    claim_id: str
    encounter_id: str
    patient_id: str
    charge: Decimal
    lines: tuple[BilledLine, ...] = ()
    charge_posted: bool = False


class ClaimOutcome(StrEnum):
    """What the remittance did to the claim.

    ``partially_paid``: the payer paid part and denied part or left part to the patient;
    ``denied``: nothing paid and something denied.
    """

    PAID = "paid"
    PARTIALLY_PAID = "partially_paid"
    DENIED = "denied"
    REVERSED = "reversed"


@dataclass(frozen=True, slots=True)
class Remark:
    """A RARC (or a CARC) with its official wording."""

    code: str
    text: str


@dataclass(frozen=True, slots=True)
class DenialItem:
    """A denied or partly denied line (or claim) for the worklist."""

    claim_id: str
    encounter_id: str
    patient_id: str
    line: str
    procedure: str
    amount: Decimal
    group: str
    carc: str
    carc_text: str
    remarks: tuple[Remark, ...]
    adjustments: tuple[Adjustment, ...]
    cause: str
    action: Action
    action_text: str
    payer_claim_control_number: str


@dataclass(frozen=True, slots=True)
class ClaimPosting:
    """What posting one 835 claim payment does."""

    claim_id: str
    encounter_id: str
    patient_id: str
    outcome: ClaimOutcome
    paid: Decimal
    patient_responsibility: Decimal
    payer_claim_control_number: str
    entries: tuple[LedgerEntry, ...]
    denials: tuple[DenialItem, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PostingPlan:
    """Everything posting a remittance does; ``unmatched`` lists claims no billed claim had
    (their payments go to ``unapplied``, so that cash still equals the payer's deposit)."""

    claims: tuple[ClaimPosting, ...]
    provider_entries: tuple[LedgerEntry, ...]
    unmatched: tuple[str, ...]
    warnings: tuple[str, ...]
    unapplied_entries: tuple[LedgerEntry, ...] = ()

    @property
    def entries(self) -> tuple[LedgerEntry, ...]:
        """Every ledger entry of the plan."""
        claims = tuple(e for c in self.claims for e in c.entries)
        return claims + self.provider_entries + self.unapplied_entries


_POSTING: dict[AdjustmentKind, tuple[EntryKind, Account]] = {
    AdjustmentKind.CONTRACTUAL: (EntryKind.CONTRACTUAL, Account.CONTRACTUAL),
    AdjustmentKind.PATIENT: (EntryKind.PATIENT_RESPONSIBILITY, Account.PATIENT_AR),
    AdjustmentKind.OTHER: (EntryKind.OTHER_ADJUSTMENT, Account.OTHER_ADJUSTMENTS),
    AdjustmentKind.DENIAL: (EntryKind.DENIAL, Account.DENIALS),
}


_SECONDARY = frozenset({"2", "3", "20", "21"})


def _is_prior_payer(adjustment: Adjustment) -> bool:
    """OA-23: the part an earlier payer's adjudication already accounts for."""
    return adjustment.group == "OA" and adjustment.reason == "23"


def _match_lines(
    lines: Sequence[ServicePayment], billed: Sequence[BilledLine]
) -> tuple[list[str], list[str]]:
    by_number = {b.control_number.upper(): b for b in billed if b.control_number}
    used: set[str] = set()
    found: list[str] = []
    warnings: list[str] = []
    for number, line in enumerate(lines, start=1):
        match = by_number.get(line.line_item_control_number.upper())
        if match is None:
            match = next(
                (
                    b
                    for b in billed
                    if b.control_number not in used
                    and b.code.upper() == (line.original_code or line.code).upper()
                    and abs(b.charge) == abs(line.charge)
                ),
                None,
            )
        if match is None:
            warnings.append(
                f"line {number} ({line.code}) matches no billed line; posted to the claim"
            )
            found.append("")
        else:
            used.add(match.control_number)
            found.append(match.control_number)
    return found, warnings


class _ClaimPlanner:
    def __init__(
        self, payment: ClaimPayment, billed: BilledClaim, rules: AdjustmentRules, texts: CodeTexts
    ) -> None:
        self.payment, self.billed, self.rules, self.texts = payment, billed, rules, texts
        self.entries: list[LedgerEntry] = []
        self.denials: list[DenialItem] = []
        self.responsibility = _ZERO
        # A secondary (or tertiary) payer pays part of what the primary left to the patient.
        self.secondary = payment.status in _SECONDARY or (
            payment.is_reversal and any(_is_prior_payer(a) for a in payment.all_adjustments())
        )
        self.receivable = Account.PATIENT_AR if self.secondary else Account.INSURANCE_AR

    def add(
        self, kind: EntryKind, debit: Account, credit: Account, amount: Decimal, **context: str
    ) -> None:
        entry = make_entry(kind, debit, credit, amount, claim_id=self.billed.claim_id, **context)
        if entry is not None:
            self.entries.append(entry)

    def adjustments(
        self, adjustments: Sequence[Adjustment], line: str, procedure: str, remarks: Sequence[str]
    ) -> None:
        denied: list[tuple[Adjustment, str, Action]] = []
        for adj in adjustments:
            rule = self.rules.classify(adj.group, adj.reason)
            kind, account = _POSTING[rule.kind]
            if adj.group == "PR":  # whatever the reason, the patient owes it
                kind, account = EntryKind.PATIENT_RESPONSIBILITY, Account.PATIENT_AR
                self.responsibility += adj.amount
            if self.secondary and (account is Account.PATIENT_AR or _is_prior_payer(adj)):
                continue  # already in the patient's balance / the primary payer's entries
            self.add(
                kind,
                account,
                self.receivable,
                adj.amount,
                line=line,
                group=adj.group,
                reason=adj.reason,
            )
            if rule.kind is AdjustmentKind.DENIAL and not self.payment.is_reversal:
                denied.append((adj, rule.cause, rule.action))
        if denied:
            self.denials.append(self._denial(denied, line, procedure, remarks))

    def _denial(
        self,
        denied: list[tuple[Adjustment, str, Action]],
        line: str,
        procedure: str,
        remarks: Sequence[str],
    ) -> DenialItem:
        main, cause, action = max(denied, key=lambda d: abs(d[0].amount))
        codes = list(dict.fromkeys([*remarks, *self.payment.remarks]))
        return DenialItem(
            claim_id=self.billed.claim_id,
            encounter_id=self.billed.encounter_id,
            patient_id=self.billed.patient_id,
            line=line,
            procedure=procedure,
            amount=sum((d[0].amount for d in denied), _ZERO),
            group=main.group,
            carc=main.reason,
            carc_text=self.texts.carc(main.reason) or "",
            remarks=tuple(Remark(c, self.texts.rarc(c) or "") for c in codes),
            adjustments=tuple(d[0] for d in denied),
            cause=cause,
            action=action,
            action_text=ACTION_TEXT[action],
            payer_claim_control_number=self.payment.payer_claim_control_number,
        )

    def plan(self, post_charge: bool) -> ClaimPosting:
        payment, billed = self.payment, self.billed
        warnings: list[str] = []
        if post_charge and not self.secondary:
            self.add(EntryKind.CHARGE, Account.INSURANCE_AR, Account.CHARGES, billed.charge)
        if not payment.is_reversal and payment.charge != billed.charge:
            warnings.append(
                f"claim {billed.claim_id}: the payer lists a charge of {payment.charge}, "
                f"{billed.charge} was billed"
            )
        self.add(EntryKind.PAYMENT, Account.CASH, self.receivable, payment.paid)
        self.adjustments(payment.adjustments, "", "", ())
        numbers, line_warnings = _match_lines(payment.lines, billed.lines)
        warnings += [f"claim {billed.claim_id}: {w}" for w in line_warnings]
        for line, number in zip(payment.lines, numbers, strict=True):
            self.adjustments(line.adjustments, number, line.code, line.remarks)
        if payment.is_reversal:
            outcome = ClaimOutcome.REVERSED
        elif payment.paid == 0 and (self.denials or payment.status == "4"):
            outcome = ClaimOutcome.DENIED
        elif self.denials or self.responsibility > 0:
            outcome = ClaimOutcome.PARTIALLY_PAID
        else:
            outcome = ClaimOutcome.PAID
        return ClaimPosting(
            claim_id=billed.claim_id,
            encounter_id=billed.encounter_id,
            patient_id=billed.patient_id,
            outcome=outcome,
            paid=payment.paid,
            patient_responsibility=self.responsibility,
            payer_claim_control_number=payment.payer_claim_control_number,
            entries=tuple(self.entries),
            denials=tuple(self.denials),
            warnings=tuple(warnings),
        )


def plan_posting(
    remittance: Remittance,
    billed: Mapping[str, BilledClaim],
    rules: AdjustmentRules,
    texts: CodeTexts,
) -> PostingPlan:
    """What posting ``remittance`` does to the ledger, the patient balances and the worklist.

    Args:
        remittance: one 835 transaction (see :func:`medcoder.claims.readers.read_835`).
        billed: the billed claims by patient control number (upper case); a claim payment
            whose number is missing is reported in ``unmatched``; its payment is held in
            ``unapplied`` (no encounter) until someone applies it.
        rules: how each adjustment is treated (:meth:`AdjustmentRules.default`).
        texts: CARC/RARC wording.

    Returns:
        The plan; its entries balance (every entry has a debit and a credit of one amount).
    """
    postings: list[ClaimPosting] = []
    unmatched: list[str] = []
    unapplied: list[LedgerEntry] = []
    charged: set[str] = set()
    for payment in remittance.claims:
        claim = billed.get(payment.patient_control_number.upper())
        if claim is None:
            unmatched.append(payment.patient_control_number)
            entry = make_entry(
                EntryKind.UNAPPLIED_PAYMENT,
                Account.CASH,
                Account.UNAPPLIED,
                payment.paid,
                claim_id=payment.patient_control_number,
                memo=payment.payer_claim_control_number,
            )
            if entry is not None:
                unapplied.append(entry)
            continue
        post_charge = not claim.charge_posted and claim.claim_id not in charged
        if post_charge:
            charged.add(claim.claim_id)
        postings.append(_ClaimPlanner(payment, claim, rules, texts).plan(post_charge))
    provider: list[LedgerEntry] = []
    for plb in remittance.provider_adjustments:
        entry = make_entry(
            EntryKind.PROVIDER_ADJUSTMENT,
            Account.PROVIDER_ADJUSTMENTS,
            Account.CASH,
            plb.amount,
            group="PLB",
            reason=plb.reason,
            memo=plb.reference,
        )
        if entry is not None:
            provider.append(entry)
    warnings = [w for p in postings for w in p.warnings]
    warnings += [
        f"claim {pcn}: no billed claim has this patient control number" for pcn in unmatched
    ]
    return PostingPlan(
        tuple(postings), tuple(provider), tuple(unmatched), tuple(warnings), tuple(unapplied)
    )
