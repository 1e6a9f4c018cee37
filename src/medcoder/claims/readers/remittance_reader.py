"""Read 835 health care claim payment/advice files (005010X221A1) into :class:`Remittance`.

Example:
    >>> remittances = read_835(open("era.835").read())
    >>> [(c.patient_control_number, c.paid) for c in remittances[0].claims]
    [('PCN1001', Decimal('80.00'))]
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal

from medcoder.claims.readers.errors import X12ParseError
from medcoder.claims.readers.remittance import (
    CLAIM_STATUS_TEXT,
    Adjustment,
    ClaimPayment,
    Party,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
)
from medcoder.claims.readers.tokenizer import Segment, Transaction, read_x12
from medcoder.claims.readers.values import adjustments, amount, bounded, date, optional_amount

__all__ = ["read_835", "remittance_from_transaction"]

_ZERO = Decimal("0")
_PLB_PAIRS = range(3, 15, 2)
_LINE_SEGMENTS = frozenset({"DTM", "CAS", "REF", "AMT", "QTY", "LQ"})
_CLAIM_SEGMENTS = frozenset({"CAS", "NM1", "MIA", "MOA", "REF", "DTM", "PER", "AMT", "QTY"})


@dataclass
class _Line:
    svc: Segment
    service_date: dt.date | None = None
    control_number: str = ""
    allowed: Decimal | None = None
    adjustments: list[Adjustment] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)

    def add(self, seg: Segment) -> None:
        if seg.id == "CAS":
            self.adjustments.extend(adjustments(seg))
        elif seg.id == "DTM" and seg.get(1) in {"472", "150"}:
            self.service_date = self.service_date or date(seg, 2)
        elif seg.id == "REF" and seg.get(1) == "6R":
            self.control_number = bounded(seg, 2, 50)
        elif seg.id == "AMT" and seg.get(1) == "B6":
            self.allowed = optional_amount(seg, 2)
        elif seg.id == "LQ" and seg.get(1) == "HE" and seg.get(2):
            self.remarks.append(bounded(seg, 2, 30))

    def build(self) -> ServicePayment:
        svc = self.svc
        procedure = svc.parts(1)
        if len(procedure) < 2 or not procedure[1]:
            raise svc.error("SVC01 must be qualifier:code (e.g. HC:99213)", 1)
        original = svc.parts(6)
        return ServicePayment(
            qualifier=procedure[0],
            code=bounded(svc, 1, 48, procedure[1]),
            modifiers=tuple(m for m in procedure[2:6] if m),
            charge=amount(svc, 2, required=True),
            paid=amount(svc, 3, required=True),
            revenue_code=svc.get(4),
            units=optional_amount(svc, 5),
            original_code=original[1] if len(original) > 1 else "",
            line_item_control_number=self.control_number,
            service_date=self.service_date,
            allowed=self.allowed,
            adjustments=tuple(self.adjustments),
            remarks=tuple(self.remarks),
        )


@dataclass
class _Claim:
    clp: Segment
    patient_name: str = ""
    member_id: str = ""
    statement_from: dt.date | None = None
    statement_to: dt.date | None = None
    adjustments: list[Adjustment] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    lines: list[_Line] = field(default_factory=list)

    def add(self, seg: Segment) -> None:
        if self.lines:
            self.lines[-1].add(seg)
        elif seg.id == "CAS":
            self.adjustments.extend(adjustments(seg))
        elif seg.id == "NM1" and seg.get(1) == "QC":
            self.patient_name = " ".join(p for p in (seg.get(4), seg.get(3)) if p)
            self.member_id = seg.get(9)
        elif seg.id == "DTM" and seg.get(1) == "232":
            self.statement_from = date(seg, 2)
        elif seg.id == "DTM" and seg.get(1) == "233":
            self.statement_to = date(seg, 2)
        elif seg.id == "MOA":
            self.remarks.extend(r for r in seg.elements[2:7] if r)
        elif seg.id == "MIA":
            picks = (seg.get(5), *seg.elements[19:23])
            self.remarks.extend(r for r in picks if r)

    def build(self) -> ClaimPayment:
        clp = self.clp
        if not clp.get(1):
            raise clp.error("CLP01 (patient control number) is empty", 1)
        status = clp.get(2)
        if status not in CLAIM_STATUS_TEXT:
            raise clp.error(f"unknown claim status code {status!r}", 2)
        return ClaimPayment(
            patient_control_number=bounded(clp, 1, 38),
            status=status,
            status_text=CLAIM_STATUS_TEXT[status],
            charge=amount(clp, 3, required=True),
            paid=amount(clp, 4, required=True),
            patient_responsibility=amount(clp, 5),
            claim_filing_indicator=clp.get(6),
            payer_claim_control_number=bounded(clp, 7, 50),
            facility_type=clp.get(8),
            frequency=clp.get(9),
            patient_name=self.patient_name,
            member_id=self.member_id,
            statement_from=self.statement_from,
            statement_to=self.statement_to,
            adjustments=tuple(self.adjustments),
            remarks=tuple(self.remarks),
            lines=tuple(line.build() for line in self.lines),
        )


def _party(segments: list[Segment]) -> Party:
    n1 = segments[0]
    extra = tuple((s.get(1), s.get(2)) for s in segments[1:] if s.id == "REF")
    qualifier, ident = n1.get(3), n1.get(4)
    if not ident:  # the payer id is often only in REF*2U (payee: REF*TJ tax id)
        qualifier, ident = next(((q, v) for q, v in extra if q in {"2U", "TJ"}), ("", ""))
    return Party(name=n1.get(2), id_qualifier=qualifier, id=ident, additional_ids=extra)


def _provider_adjustments(plb: Segment) -> list[ProviderAdjustment]:
    found: list[ProviderAdjustment] = []
    for first in _PLB_PAIRS:
        if not plb.get(first):
            continue
        reason = plb.parts(first)
        found.append(
            ProviderAdjustment(
                provider_id=plb.get(1),
                fiscal_period_end=date(plb, 2),
                reason=reason[0],
                reference=reason[1] if len(reason) > 1 else "",
                amount=amount(plb, first + 1, required=True),
            )
        )
    if not found:
        raise plb.error("a PLB segment without any adjustment", 3)
    return found


def _balance_warnings(
    total: Decimal, claims: list[ClaimPayment], plbs: list[ProviderAdjustment]
) -> list[str]:
    warnings: list[str] = []
    expected = sum((c.paid for c in claims), _ZERO) - sum((p.amount for p in plbs), _ZERO)
    if expected != total:
        warnings.append(
            f"BPR02 total {total} does not equal the claim payments minus provider "
            f"adjustments ({expected})"
        )
    for claim in claims:
        pcn = claim.patient_control_number
        adjusted = sum((a.amount for a in claim.all_adjustments()), _ZERO)
        if claim.charge - claim.paid != adjusted:
            warnings.append(
                f"claim {pcn}: charge {claim.charge} - paid {claim.paid} does not equal its "
                f"adjustments {adjusted}"
            )
        for number, line in enumerate(claim.lines, start=1):
            if line.charge - line.paid != line.adjusted:
                warnings.append(
                    f"claim {pcn} line {number}: charge {line.charge} - paid {line.paid} does "
                    f"not equal its adjustments {line.adjusted}"
                )
        responsibility = sum((a.amount for a in claim.all_adjustments() if a.group == "PR"), _ZERO)
        if claim.patient_responsibility != responsibility and claim.lines:
            warnings.append(
                f"claim {pcn}: patient responsibility {claim.patient_responsibility} does not "
                f"equal its PR adjustments {responsibility}"
            )
    return warnings


def _mark_corrections(claims: list[ClaimPayment]) -> list[ClaimPayment]:
    reversed_pcns: set[str] = set()
    marked: list[ClaimPayment] = []
    for claim in claims:
        if claim.is_reversal:
            reversed_pcns.add(claim.patient_control_number)
            marked.append(claim)
        elif claim.patient_control_number in reversed_pcns:
            marked.append(replace(claim, is_correction=True))
        else:
            marked.append(claim)
    return marked


def remittance_from_transaction(tx: Transaction) -> Remittance:
    """One 835 transaction set as a :class:`Remittance`.

    Raises:
        X12ParseError: not an 835, a required segment or element missing or malformed.
    """
    if tx.set_id != "835":
        raise X12ParseError(
            f"transaction {tx.control_number} is a {tx.set_id}, not an 835",
            segment="ST",
            position=tx.position,
        )
    bpr: Segment | None = None
    trn: Segment | None = None
    production: dt.date | None = None
    parties: dict[str, list[Segment]] = {}
    current_party: list[Segment] | None = None
    warnings: list[str] = []
    claims: list[_Claim] = []
    plbs: list[ProviderAdjustment] = []
    for seg in tx.segments:
        sid = seg.id
        if sid == "CLP":
            claims.append(_Claim(seg))
        elif sid == "SVC" and claims:
            claims[-1].lines.append(_Line(seg))
        elif sid == "PLB":
            plbs.extend(_provider_adjustments(seg))
        elif claims and sid in _CLAIM_SEGMENTS | _LINE_SEGMENTS and not plbs:
            claims[-1].add(seg)
        elif sid == "BPR":
            bpr = seg
        elif sid == "TRN" and trn is None:
            trn = seg
        elif sid == "DTM" and seg.get(1) == "405":
            production = date(seg, 2)
        elif sid == "N1":
            role = seg.get(1)
            if role in parties:
                warnings.append(f"the {role} party loop is repeated (segment {seg.position})")
                current_party = None
            else:
                current_party = parties[role] = [seg]
        elif sid in {"N2", "N3", "N4", "REF", "PER", "RDM"} and current_party is not None:
            current_party.append(seg)
        elif sid == "LX":
            current_party = None
    if bpr is None:
        raise X12ParseError(
            f"835 transaction {tx.control_number} has no BPR segment",
            segment="BPR",
            position=tx.position,
        )
    if "PR" not in parties or "PE" not in parties:
        missing = "payer (N1*PR)" if "PR" not in parties else "payee (N1*PE)"
        raise X12ParseError(
            f"835 transaction {tx.control_number} has no {missing}",
            segment="N1",
            position=tx.position,
        )
    built = _mark_corrections([c.build() for c in claims])
    total = amount(bpr, 2, required=True)
    warnings.extend(_balance_warnings(total, built, plbs))
    return Remittance(
        control_number=tx.control_number,
        interchange_control_number=tx.interchange_control_number,
        payer=_party(parties["PR"]),
        payee=_party(parties["PE"]),
        total_paid=total,
        credit_debit=bpr.get(3),
        payment_method=bpr.get(4),
        payment_date=date(bpr, 16),
        trace_number=bounded(trn, 2, 50) if trn else "",
        trace_originator=trn.get(3) if trn else "",
        production_date=production,
        claims=tuple(built),
        provider_adjustments=tuple(plbs),
        warnings=tuple(warnings),
    )


def read_835(text: str) -> tuple[Remittance, ...]:
    """Every 835 transaction of an X12 file, all or nothing.

    Raises:
        X12ParseError: malformed X12 (see :func:`read_x12`) or a transaction that is not an
            835 or lacks what an 835 must carry; nothing is returned in that case.
    """
    return tuple(remittance_from_transaction(tx) for tx in read_x12(text).transactions)
