"""999 and 277CA acknowledgements."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from medcoder.claims.readers import (
    ClaimAcknowledgement,
    FunctionalGroupAck,
    X12ParseError,
    read_277ca,
    read_999,
    read_acknowledgements,
)

DATA = Path(__file__).with_name("data")


class Test999:
    ack = read_999((DATA / "ack_partial.999").read_text())[0]

    def test_group_verdict(self) -> None:
        assert (self.ack.functional_id, self.ack.group_control_number) == ("HC", "101")
        assert self.ack.status == "P"
        assert (self.ack.included, self.ack.received, self.ack.accepted) == (2, 2, 1)

    def test_accepted_and_rejected_transactions(self) -> None:
        ok, bad = self.ack.transactions
        assert (ok.control_number, ok.accepted, ok.errors) == ("0001", True, ())
        assert (bad.control_number, bad.status, bad.accepted) == ("0002", "R", False)
        (segment,) = bad.errors
        assert (segment.segment_id, segment.position, segment.code) == ("NM1", 18, "8")
        assert segment.text == "segment has data element errors"
        assert segment.context == ("CLM01:PCN1002",)
        (element,) = segment.elements
        assert (element.position, element.element_reference, element.code) == ("9", "67", "7")
        assert (element.text, element.bad_value) == ("invalid code value", "MEM@02")

    def test_ik5_without_ak2_is_rejected(self) -> None:
        text = (DATA / "ack_partial.999").read_text().replace("AK2*837*0001*005010X222A1~", "")
        text = text.replace("SE*11*", "SE*10*")
        with pytest.raises(X12ParseError, match=r"\(IK5\): IK5 without an AK2"):
            read_999(text)


class Test277CA:
    ack = read_277ca((DATA / "claimack.277").read_text())[0]

    def test_header(self) -> None:
        assert (self.ack.reference, self.ack.payer_name, self.ack.payer_id) == (
            "277CA0001",
            "ACME HEALTH PLAN",
            "ACME01",
        )

    def test_claim_accepted(self) -> None:
        claim = self.ack.claims[0]
        assert (claim.patient_control_number, claim.payer_claim_control_number) == (
            "PCN1001",
            "ACME1001",
        )
        assert claim.accepted is True
        assert [(s.category, s.status, s.entity) for s in claim.statuses] == [("A2", "20", "PR")]
        assert claim.charge == Decimal("150")

    def test_claim_rejected_with_line_status(self) -> None:
        claim = self.ack.claims[1]
        assert claim.patient_control_number == "PCN1002"
        assert claim.accepted is False
        assert [s.category for s in claim.statuses] == ["A7", "A7"]
        assert claim.statuses[0].category_text == "rejected for invalid information"
        (line,) = claim.lines
        assert (line.code, line.line_item_control_number) == ("36415", "PCN1002-2")
        assert line.statuses[0].status == "453"


def test_acknowledgements_dispatch_by_transaction_type() -> None:
    (first,) = read_acknowledgements((DATA / "ack_partial.999").read_text())
    (second,) = read_acknowledgements((DATA / "claimack.277").read_text())
    assert isinstance(first, FunctionalGroupAck)
    assert isinstance(second, ClaimAcknowledgement)
    with pytest.raises(X12ParseError, match="is a 835, not a 999 or 277"):
        read_acknowledgements((DATA / "era_mixed.835").read_text())


def test_999_without_ak9_is_rejected() -> None:
    text = (DATA / "ack_partial.999").read_text().replace("AK9*P*2*2*1~", "")
    text = text.replace("SE*11*", "SE*10*")
    with pytest.raises(X12ParseError, match=r"\(AK9\): 999 transaction 0001 lacks its AK9"):
        read_999(text)
