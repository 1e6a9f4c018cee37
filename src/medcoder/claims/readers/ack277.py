"""Read 277CA claim acknowledgements (005010X214): was each claim accepted into adjudication,
with its STC status category codes, matched by patient control number (TRN*2) and the payer's
claim control number (REF*1K).

Example:
    >>> ack = read_277ca(text)[0]
    >>> [(c.patient_control_number, c.accepted) for c in ack.claims]
    [('PCN1001', True), ('PCN1002', False)]
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from medcoder.claims.readers.errors import X12ParseError
from medcoder.claims.readers.tokenizer import Segment, Transaction, read_x12
from medcoder.claims.readers.values import date, optional_amount

__all__ = [
    "CATEGORY_TEXT",
    "ClaimAcknowledgement",
    "ClaimStatus",
    "LineStatus",
    "StatusCode",
    "claim_ack_from_transaction",
    "read_277ca",
]

# Health care claim status category codes (STC01-1), in medcoder's words.
CATEGORY_TEXT: dict[str, str] = {
    "A0": "forwarded to another entity",
    "A1": "received",
    "A2": "accepted into adjudication",
    "A3": "returned as unprocessable",
    "A4": "not found",
    "A5": "split claim",
    "A6": "rejected for missing information",
    "A7": "rejected for invalid information",
    "A8": "rejected for a relational field in error",
    "E0": "response not possible: error in the submitted request",
    "E1": "response not possible: system status",
    "E2": "information holder not responding",
    "E3": "correction required: relational fields in error",
    "E4": "trading partner agreement missing",
}
ACCEPTED_CATEGORIES = frozenset({"A0", "A1", "A2", "A5"})
REJECTED_CATEGORIES = frozenset({"A3", "A4", "A6", "A7", "A8", "E0", "E3", "E4"})
_PATIENT_LEVEL = "PT"


@dataclass(frozen=True, slots=True)
class StatusCode:
    """One STC composite: category (A1, A7...), status code, entity, and the verdict."""

    category: str
    category_text: str
    status: str
    entity: str
    accepted: bool | None


@dataclass(frozen=True, slots=True)
class LineStatus:
    """Loop 2220D: the status of one service line."""

    code: str
    charge: Decimal | None
    line_item_control_number: str
    statuses: tuple[StatusCode, ...]


@dataclass(frozen=True, slots=True)
class ClaimStatus:
    """Loop 2200D: the status of one claim."""

    patient_control_number: str
    payer_claim_control_number: str
    clearinghouse_trace: str
    patient_name: str
    member_id: str
    charge: Decimal | None
    status_date: dt.date | None
    action: str
    statuses: tuple[StatusCode, ...]
    accepted: bool | None
    lines: tuple[LineStatus, ...]


@dataclass(frozen=True, slots=True)
class ClaimAcknowledgement:
    """One 277CA transaction."""

    control_number: str
    reference: str
    created: dt.date | None
    payer_name: str
    payer_id: str
    claims: tuple[ClaimStatus, ...]


def _statuses(stc: Segment) -> list[StatusCode]:
    found: list[StatusCode] = []
    for number in (1, 10, 11):
        parts = stc.parts(number)
        if not parts or not parts[0]:
            continue
        category = parts[0]
        verdict: bool | None = None
        if category in ACCEPTED_CATEGORIES:
            verdict = True
        elif category in REJECTED_CATEGORIES:
            verdict = False
        found.append(
            StatusCode(
                category=category,
                category_text=CATEGORY_TEXT.get(category, "other status category"),
                status=parts[1] if len(parts) > 1 else "",
                entity=parts[2] if len(parts) > 2 else "",
                accepted=verdict,
            )
        )
    if not found:
        raise stc.error("STC01 has no status category code", 1)
    return found


def _verdict(statuses: list[StatusCode]) -> bool | None:
    if any(s.accepted is False for s in statuses):
        return False
    return True if any(s.accepted for s in statuses) else None


@dataclass
class _Line:
    svc: Segment
    statuses: list[StatusCode] = field(default_factory=list)
    control_number: str = ""

    def build(self) -> LineStatus:
        procedure = self.svc.parts(1)
        return LineStatus(
            code=procedure[1] if len(procedure) > 1 else "",
            charge=optional_amount(self.svc, 2),
            line_item_control_number=self.control_number,
            statuses=tuple(self.statuses),
        )


@dataclass
class _Claim:
    hl: Segment
    pcn: str = ""
    icn: str = ""
    trace: str = ""
    name: str = ""
    member_id: str = ""
    stc: Segment | None = None
    statuses: list[StatusCode] = field(default_factory=list)
    lines: list[_Line] = field(default_factory=list)

    def add(self, seg: Segment) -> None:
        line = self.lines[-1] if self.lines else None
        if seg.id == "SVC":
            self.lines.append(_Line(seg))
        elif seg.id == "STC" and line is not None:
            line.statuses.extend(_statuses(seg))
        elif seg.id == "STC":
            self.stc = self.stc or seg
            self.statuses.extend(_statuses(seg))
        elif seg.id == "REF" and line is not None and seg.get(1) == "FJ":
            line.control_number = seg.get(2)
        elif seg.id == "TRN" and seg.get(1) == "2":
            self.pcn = seg.get(2)
        elif seg.id == "REF" and seg.get(1) == "1K":
            self.icn = seg.get(2)
        elif seg.id == "REF" and seg.get(1) == "D9":
            self.trace = seg.get(2)
        elif seg.id == "NM1" and seg.get(1) in {"QC", "IL"}:
            self.name = " ".join(p for p in (seg.get(4), seg.get(3)) if p)
            self.member_id = seg.get(9)

    def build(self) -> ClaimStatus:
        if not self.pcn:
            raise self.hl.error("the claim (HL level PT) has no TRN*2 patient control number")
        if self.stc is None:
            raise self.hl.error("the claim (HL level PT) has no STC status")
        return ClaimStatus(
            patient_control_number=self.pcn,
            payer_claim_control_number=self.icn,
            clearinghouse_trace=self.trace,
            patient_name=self.name,
            member_id=self.member_id,
            charge=optional_amount(self.stc, 4),
            status_date=date(self.stc, 2),
            action=self.stc.get(3),
            statuses=tuple(self.statuses),
            accepted=_verdict(self.statuses),
            lines=tuple(line.build() for line in self.lines),
        )


def claim_ack_from_transaction(tx: Transaction) -> ClaimAcknowledgement:
    """One 277 transaction as a :class:`ClaimAcknowledgement`.

    Raises:
        X12ParseError: not a 277, or a claim without its patient control number or status.
    """
    if tx.set_id != "277":
        raise X12ParseError(
            f"transaction {tx.control_number} is a {tx.set_id}, not a 277",
            segment="ST",
            position=tx.position,
        )
    bht: Segment | None = None
    payer_name = payer_id = ""
    level = ""
    claims: list[_Claim] = []
    for seg in tx.segments:
        if seg.id == "BHT":
            bht = seg
        elif seg.id == "HL":
            level = seg.get(3)
            if level == _PATIENT_LEVEL:
                claims.append(_Claim(seg))
        elif level == _PATIENT_LEVEL:
            claims[-1].add(seg)
        elif seg.id == "NM1" and seg.get(1) == "PR" and level == "20":
            payer_name, payer_id = seg.get(3), seg.get(9)
    if bht is None:
        raise X12ParseError(
            f"277 transaction {tx.control_number} has no BHT segment",
            segment="BHT",
            position=tx.position,
        )
    return ClaimAcknowledgement(
        control_number=tx.control_number,
        reference=bht.get(3),
        created=date(bht, 4),
        payer_name=payer_name,
        payer_id=payer_id,
        claims=tuple(c.build() for c in claims),
    )


def read_277ca(text: str) -> tuple[ClaimAcknowledgement, ...]:
    """Every 277 transaction of an X12 file, all or nothing.

    Raises:
        X12ParseError: malformed X12 or a transaction that is not a well-formed 277CA.
    """
    return tuple(claim_ack_from_transaction(tx) for tx in read_x12(text).transactions)
