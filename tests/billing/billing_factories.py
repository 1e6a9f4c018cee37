"""Billed claims matching the hand-made 835s of tests/remit/data (shared by billing tests)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from medcoder.billing import BilledClaim, BilledLine

REMIT_DATA = Path(__file__).resolve().parents[1] / "remit" / "data"


def read_sample(name: str) -> str:
    return (REMIT_DATA / name).read_text()


def billed_claims(
    encounter_ids: dict[str, str] | None = None,
    patient_ids: dict[str, str] | None = None,
    charge_posted: bool = False,
) -> dict[str, BilledClaim]:
    """PCN1001 (99213 150), PCN1002 (99214-25 200 + 36415 100), PCN1003 (99203 250)."""
    enc = encounter_ids or {p: f"enc-{p}" for p in ("PCN1001", "PCN1002", "PCN1003")}
    pat = patient_ids or {p: f"pat-{p}" for p in ("PCN1001", "PCN1002", "PCN1003")}
    lines = {
        "PCN1001": (BilledLine("PCN1001-1", "99213", Decimal("150.00")),),
        "PCN1002": (
            BilledLine("PCN1002-1", "99214", Decimal("200.00")),
            BilledLine("PCN1002-2", "36415", Decimal("100.00")),
        ),
        "PCN1003": (BilledLine("PCN1003-1", "99203", Decimal("250.00")),),
    }
    return {
        pcn: BilledClaim(
            claim_id=pcn,
            encounter_id=enc[pcn],
            patient_id=pat[pcn],
            charge=sum((line.charge for line in claim_lines), Decimal("0.00")),
            lines=claim_lines,
            charge_posted=charge_posted,
        )
        for pcn, claim_lines in lines.items()
    }
