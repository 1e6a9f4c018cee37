"""Post 835s to the database: the shell around :func:`medcoder.billing.posting.plan_posting`.

The caller owns the transaction, so a whole file posts or nothing does::

    with session_factory() as session, session.begin():
        report = post_835(text, session=session, org_id=org, claims=source, texts=texts)

The file is read completely before anything is written (malformed X12 raises
:class:`~medcoder.claims.readers.X12ParseError` and posts nothing). Each 835 transaction is
keyed by organization, payer, trace number (TRN02) and a hash of its content: posting the same
835 again, even with other separators or line breaks, finds the key and posts nothing; two
processes posting it at the same time meet the unique key and only one posts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from medcoder.billing.adjustment_rules import AdjustmentRules
from medcoder.billing.ledger import EntryKind
from medcoder.billing.ledger_store import entry_values
from medcoder.billing.posting import (
    BilledClaim,
    ClaimOutcome,
    ClaimPosting,
    CodeTexts,
    PostingPlan,
    plan_posting,
)
from medcoder.claims.readers.remittance import Remittance
from medcoder.claims.readers.remittance_reader import remittance_from_transaction
from medcoder.claims.readers.tokenizer import Transaction, read_x12
from medcoder.store import audit
from medcoder.store.billing_models import (
    DenialRecord,
    LedgerEntryRecord,
    RemittanceRecord,
)
from medcoder.store.db import new_id, utcnow

__all__ = [
    "ClaimSource",
    "InMemoryClaimSource",
    "PostingReport",
    "RemittancePosting",
    "content_hash",
    "post_835",
]

_ZERO = Decimal("0.00")


class ClaimSource(Protocol):
    """Where posting finds billed claims, and tells them what the payer decided."""

    def billed_claims(self, patient_control_numbers: Sequence[str]) -> Mapping[str, BilledClaim]:
        """The billed claims among ``patient_control_numbers`` (upper case), by that number."""

    def record_outcome(self, posting: ClaimPosting) -> str | None:
        """Move the claim to the state the payment gives it (paid, denied, ...); a warning
        when the claim's state machine does not allow that move (the money posts anyway)."""


class InMemoryClaimSource:
    """A :class:`ClaimSource` over a dictionary; outcomes are kept in ``outcomes``."""

    def __init__(self, claims: Mapping[str, BilledClaim]) -> None:
        self._claims = {k.upper(): v for k, v in claims.items()}
        self.outcomes: list[tuple[str, str]] = []

    def billed_claims(self, patient_control_numbers: Sequence[str]) -> Mapping[str, BilledClaim]:
        return {n: self._claims[n] for n in patient_control_numbers if n in self._claims}

    def record_outcome(self, posting: ClaimPosting) -> str | None:
        self.outcomes.append((posting.claim_id, posting.outcome.value))
        return None


@dataclass(frozen=True, slots=True)
class RemittancePosting:
    """What happened to one 835 transaction: posted (with its plan) or a duplicate.

    ``status_warnings``: claim status moves the state machine refused (the money posted).
    """

    control_number: str
    trace_number: str
    payer: str
    total_paid: Decimal
    duplicate: bool
    remittance_id: str
    plan: PostingPlan | None
    status_warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PostingReport:
    """The postings of every 835 transaction of a file."""

    postings: tuple[RemittancePosting, ...]

    @property
    def posted(self) -> int:
        """How many transactions were posted now."""
        return sum(1 for p in self.postings if not p.duplicate)

    @property
    def duplicates(self) -> int:
        """How many transactions had been posted before (and were skipped)."""
        return sum(1 for p in self.postings if p.duplicate)


def content_hash(tx: Transaction) -> str:
    """SHA-256 of a transaction's segments, independent of separators and layout."""
    digest = hashlib.sha256()
    for seg in tx.segments:
        digest.update(seg.id.encode())
        for element in seg.elements:
            digest.update(b"\x1d" + element.replace(seg.component, "\x1f").encode())
        digest.update(b"\x1e")
    return digest.hexdigest()


def _payer_key(remittance: Remittance) -> str:
    return (remittance.payer.id or remittance.payer.name)[:80]


def _charged(session: Session, org_id: str, claim_ids: Sequence[str]) -> set[str]:
    if not claim_ids:
        return set()
    rows = session.scalars(
        select(LedgerEntryRecord.claim_id).where(
            LedgerEntryRecord.org_id == org_id,
            LedgerEntryRecord.kind == EntryKind.CHARGE.value,
            LedgerEntryRecord.claim_id.in_(claim_ids),
        )
    )
    return set(rows)


def _persist(session: Session, org_id: str, remittance_id: str, plan: PostingPlan) -> None:
    """Insert the plan's ledger entries and denials in bulk (one executemany each)."""
    entries = [
        entry_values(entry, org_id, remittance_id, claim.encounter_id, claim.patient_id)
        for claim in plan.claims
        for entry in claim.entries
    ]
    entries += [
        entry_values(e, org_id, remittance_id, None, None)
        for e in plan.provider_entries + plan.unapplied_entries
    ]
    denials = [
        {
            "id": new_id(),
            "org_id": org_id,
            "remittance_id": remittance_id,
            "encounter_id": item.encounter_id,
            "patient_id": item.patient_id,
            "claim_id": item.claim_id,
            "line": item.line,
            "procedure": item.procedure,
            "amount": item.amount.quantize(Decimal("0.01")),
            "group_code": item.group,
            "carc": item.carc,
            "carc_text": item.carc_text,
            "remarks": [{"code": r.code, "text": r.text} for r in item.remarks],
            "adjustments": [
                {"group": a.group, "carc": a.reason, "amount": str(a.amount)}
                for a in item.adjustments
            ],
            "cause": item.cause,
            "action": item.action.value,
            "payer_claim_control_number": item.payer_claim_control_number,
            "status": "open",
        }
        for claim in plan.claims
        for item in claim.denials
    ]
    if entries:
        session.execute(insert(LedgerEntryRecord), entries)
    if denials:
        session.execute(insert(DenialRecord), denials)


def _close_reversed_denials(session: Session, org_id: str, plan: PostingPlan) -> None:
    """A reversal takes back the payer's earlier decision, denials included: their open
    worklist items close (the reversal's entries already move the amounts out of
    ``denials``); the correction that follows brings its own."""
    reversed_ids = [c.claim_id for c in plan.claims if c.outcome is ClaimOutcome.REVERSED]
    if reversed_ids:
        session.execute(
            update(DenialRecord)
            .where(
                DenialRecord.org_id == org_id,
                DenialRecord.claim_id.in_(reversed_ids),
                DenialRecord.status == "open",
            )
            .values(status="closed", resolved_at=utcnow())
        )


def _result(
    remittance: Remittance,
    remittance_id: str,
    plan: PostingPlan | None,
    status_warnings: Sequence[str] = (),
) -> RemittancePosting:
    return RemittancePosting(
        control_number=remittance.control_number,
        trace_number=remittance.trace_number,
        payer=remittance.payer.name,
        total_paid=remittance.total_paid,
        duplicate=plan is None,
        remittance_id=remittance_id,
        plan=plan,
        status_warnings=tuple(status_warnings),
    )


def _post_one(
    tx: Transaction,
    remittance: Remittance,
    *,
    session: Session,
    org_id: str,
    claims: ClaimSource,
    texts: CodeTexts,
    rules: AdjustmentRules,
    posted_by: str,
) -> RemittancePosting:
    key, digest = _payer_key(remittance), content_hash(tx)
    existing = session.scalar(
        select(RemittanceRecord.id).where(
            RemittanceRecord.org_id == org_id,
            RemittanceRecord.payer_key == key,
            RemittanceRecord.trace_number == remittance.trace_number,
            RemittanceRecord.content_hash == digest,
        )
    )
    if existing is not None:
        return _result(remittance, existing, None)
    numbers = list(dict.fromkeys(c.patient_control_number.upper() for c in remittance.claims))
    billed = dict(claims.billed_claims(numbers))
    charged = _charged(session, org_id, [b.claim_id for b in billed.values()])
    billed = {k: replace(b, charge_posted=b.claim_id in charged) for k, b in billed.items()}
    plan = plan_posting(remittance, billed, rules, texts)
    record = RemittanceRecord(
        org_id=org_id,
        payer_key=key,
        payer_name=remittance.payer.name[:200],
        trace_number=remittance.trace_number,
        content_hash=digest,
        control_number=remittance.control_number,
        interchange_control_number=remittance.interchange_control_number,
        total_paid=remittance.total_paid.quantize(Decimal("0.01")),
        payment_method=remittance.payment_method,
        payment_date=remittance.payment_date,
        claims_count=len(remittance.claims),
        posted_claims=len(plan.claims),
        unmatched=list(plan.unmatched),
        warnings=list(remittance.warnings + plan.warnings),
        posted_by=posted_by,
    )
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError:  # posted by someone else meanwhile: the unique key says so
        return _result(remittance, "", None)
    _close_reversed_denials(session, org_id, plan)
    _persist(session, org_id, record.id, plan)
    status_warnings = [w for w in (claims.record_outcome(c) for c in plan.claims) if w]
    audit.record(
        session,
        posted_by or "cli",
        "remittance.post",
        f"remittance/{record.id}",
        org_id=org_id,
        detail={
            "claims": len(plan.claims),
            "unmatched": len(plan.unmatched),
            "denials": sum(len(c.denials) for c in plan.claims),
        },
    )
    session.flush()
    return _result(remittance, record.id, plan, status_warnings)


def post_835(
    text: str,
    *,
    session: Session,
    org_id: str,
    claims: ClaimSource,
    texts: CodeTexts,
    rules: AdjustmentRules | None = None,
    posted_by: str = "",
) -> PostingReport:
    """Post every 835 transaction of ``text`` in the caller's transaction.

    ``posted_by`` is the audit actor (``user:<id>``, ``cli``); each posting is an audit event
    ``remittance.post`` with counts only (no patient data).

    Returns:
        One :class:`RemittancePosting` per transaction, ``duplicate`` when it was posted before.

    Raises:
        X12ParseError: malformed X12 or not an 835 (read before anything is written).
    """
    x12 = read_x12(text)
    parsed = [(tx, remittance_from_transaction(tx)) for tx in x12.transactions]
    chosen = rules or AdjustmentRules.default()
    postings = [
        _post_one(
            tx,
            r,
            session=session,
            org_id=org_id,
            claims=claims,
            texts=texts,
            rules=chosen,
            posted_by=posted_by,
        )
        for tx, r in parsed
    ]
    return PostingReport(tuple(postings))
