"""Sample 835 and 837P files written by others (the X12 guides' examples) read without error."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from medcoder.claims.readers import read_835, read_x12

SAMPLES = Path(__file__).parents[1] / "data" / "x12" / "badx12"
REMITTANCES = sorted(SAMPLES.glob("X221-*.edi"))
CLAIM_FILES = sorted(SAMPLES.glob("X222-*.edi"))


def _segment_ids(text: str) -> list[str]:
    terminator = text[105]  # the character after ISA16 ends every segment
    element = text[3]
    return [s.strip().split(element, 1)[0] for s in text.split(terminator) if s.strip()]


def test_the_samples_are_there() -> None:
    assert len(REMITTANCES) == 7
    assert len(CLAIM_FILES) == 16


@pytest.mark.parametrize("path", REMITTANCES, ids=lambda p: p.stem)
def test_835_samples_read_whole_and_balance(path: Path) -> None:
    text = path.read_text()
    remittances = read_835(text)
    ids = _segment_ids(text)
    assert len(remittances) == ids.count("ST")
    assert sum(len(r.claims) for r in remittances) == ids.count("CLP")
    assert sum(len(c.lines) for r in remittances for c in r.claims) == ids.count("SVC")
    for remittance in remittances:
        assert remittance.warnings == ()
        assert remittance.payer.name
        paid = sum((c.paid for c in remittance.claims), Decimal(0))
        provider_adjustments = sum(
            (a.amount for a in remittance.provider_adjustments), Decimal(0)
        )
        # BPR02 is what the claims paid less the provider-level (PLB) adjustments.
        assert remittance.total_paid == paid - provider_adjustments


@pytest.mark.parametrize("path", CLAIM_FILES, ids=lambda p: p.stem)
def test_837p_samples_tokenize_with_their_envelopes(path: Path) -> None:
    text = path.read_text()
    x12 = read_x12(text)
    ids = _segment_ids(text)
    assert len(x12.transactions) == ids.count("ST")
    for transaction in x12.transactions:
        assert transaction.set_id == "837"
        assert transaction.implementation == "005010X222A1"
        segments = [s.id for s in transaction.segments]
        assert "CLM" in segments and "NM1" in segments
    assert sum(
        [s.id for s in t.segments].count("CLM") for t in x12.transactions
    ) == ids.count("CLM")
