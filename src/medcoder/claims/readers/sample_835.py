"""Write a made-up 835 that pays, partly pays or denies given claims (benchmarks, demos, tests).

The payer allows 80% of each line's charge (CO-45 writes the rest down); a partly paid claim
leaves 20% of the allowed amount to the patient (deductible PR-1 on the first line,
coinsurance PR-2 on the others); a denied claim is CO-16 with remark M51; a reversed claim
(status 22) negates the paid one. The file is balanced (BPR02 = the sum of CLP04) and valid
for pyx12.

Example:
    >>> line = SampleLine("99213", Decimal("150"), "PCN1-1")
    >>> text = write_sample_835([SampleClaim("PCN1", (line,), "partly_paid")])
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

__all__ = ["SampleClaim", "SampleLine", "write_sample_835"]

_CENT = Decimal("0.01")
Outcome = Literal["paid", "partly_paid", "denied", "reversed"]


@dataclass(frozen=True, slots=True)
class SampleLine:
    """A billed line: procedure code, charge, line item control number (REF*6R)."""

    code: str
    charge: Decimal
    control_number: str
    modifiers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SampleClaim:
    """A billed claim and what the made-up payer does with it."""

    patient_control_number: str
    lines: tuple[SampleLine, ...]
    outcome: Outcome = "paid"


def _money(value: Decimal) -> str:
    return format(value.quantize(_CENT), "f")


def _claim(claim: SampleClaim, day: str) -> tuple[list[str], Decimal]:
    reversed_ = claim.outcome == "reversed"
    sign = Decimal(-1) if reversed_ else Decimal(1)
    charge = sum((line.charge for line in claim.lines), Decimal("0"))
    body: list[str] = []
    paid_total = responsibility_total = Decimal("0")
    for number, line in enumerate(claim.lines):
        procedure = ":".join(("HC", line.code, *line.modifiers))
        allowed = (line.charge * Decimal("0.8")).quantize(_CENT, ROUND_HALF_UP)
        if claim.outcome == "denied":
            paid, adjustments = Decimal("0"), [("CO", "16", line.charge)]
        elif claim.outcome == "partly_paid":
            paid = (allowed * Decimal("0.8")).quantize(_CENT, ROUND_HALF_UP)
            responsibility_total += allowed - paid
            share = "1" if number == 0 else "2"  # deductible on the first line, then coinsurance
            adjustments = [("CO", "45", line.charge - allowed), ("PR", share, allowed - paid)]
        else:
            paid, adjustments = allowed, [("CO", "45", line.charge - allowed)]
        paid_total += paid
        body += [
            f"SVC*{procedure}*{_money(sign * line.charge)}*{_money(sign * paid)}**"
            + ("-1" if reversed_ else "1"),
            f"DTM*472*{day}",
            *(
                f"CAS*{group}*{reason}*{_money(sign * value)}"
                for group, reason, value in adjustments
            ),
            f"REF*6R*{line.control_number}",
        ]
        if claim.outcome == "denied":
            body.append("LQ*HE*M51")
    status = {"denied": "4", "reversed": "22"}.get(claim.outcome, "1")
    head = [
        f"CLP*{claim.patient_control_number}*{status}*{_money(sign * charge)}*"
        f"{_money(sign * paid_total)}*{_money(sign * responsibility_total)}*12*"
        f"ICN{claim.patient_control_number}*11*1",
        "NM1*QC*1*SAMPLE*PATIENT****MI*MEMBER01",
    ]
    return head + body, sign * paid_total


def write_sample_835(
    claims: Sequence[SampleClaim],
    *,
    trace_number: str = "EFT0000001",
    payer_name: str = "EXAMPLE HEALTH PLAN",
    payer_id: str = "60054",
    payee_name: str = "EXAMPLE FAMILY MEDICINE",
    payee_npi: str = "1234567893",
    paid_on: dt.date = dt.date(2026, 5, 2),
    control_number: int = 1,
) -> str:
    """An 835 interchange with one transaction paying ``claims`` as the module says."""
    day = paid_on.strftime("%Y%m%d")
    body: list[str] = []
    total = Decimal("0")
    for number, claim in enumerate(claims, start=1):
        if number == 1 or number % 1000 == 1:
            body.append(f"LX*{number}")
        segments, paid = _claim(claim, day)
        body += segments
        total += paid
    header = [
        f"BPR*I*{_money(total)}*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*"
        f"98765*{day}",
        f"TRN*1*{trace_number}*1512345678",
        f"DTM*405*{day}",
        f"N1*PR*{payer_name}",
        "N3*1 PAYER PLAZA",
        "N4*SPRINGFIELD*IL*62701",
        f"REF*2U*{payer_id}",
        "PER*BL*PROVIDER SERVICES*TE*8005551212",
        f"N1*PE*{payee_name}*XX*{payee_npi}",
    ]
    content = header + body
    isa = (
        f"ISA*00*          *00*          *ZZ*{payer_id:<15}*ZZ*{'PRACTICE':<15}*"
        f"{paid_on.strftime('%y%m%d')}*1200*^*00501*{control_number:09d}*0*P*:"
    )
    segments = [
        isa,
        f"GS*HP*{payer_id}*PRACTICE*{day}*1200*{control_number}*X*005010X221A1",
        "ST*835*0001",
        *content,
        f"SE*{len(content) + 2}*0001",
        f"GE*1*{control_number}",
        f"IEA*1*{control_number:09d}",
    ]
    return "~\n".join(segments) + "~\n"
