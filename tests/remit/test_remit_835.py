"""The 835 reader on hand-made remittances that pyx12 validates clean."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
import pyx12.params
import pyx12.x12n_document

from medcoder.claims.readers import Adjustment, X12ParseError, read_835
from medcoder.claims.readers.sample_835 import SampleClaim, SampleLine, write_sample_835

DATA = Path(__file__).with_name("data")
SAMPLES = sorted(DATA.glob("*.*"))


def read(name: str) -> str:
    return (DATA / name).read_text()


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_samples_are_valid_for_pyx12(path: Path) -> None:
    """Differential: the samples are real X12 by an independent validator's judgement."""
    out = io.StringIO()
    ok = pyx12.x12n_document.x12n_document(
        param=pyx12.params.params(), src_file=str(path), fd_997=out, fd_html=None
    )
    assert ok, out.getvalue()


class TestMixedRemittance:
    remittance = read_835(read("era_mixed.835"))[0]

    def test_header(self) -> None:
        r = self.remittance
        assert (r.payer.name, r.payer.id_qualifier, r.payer.id) == (
            "ACME HEALTH PLAN",
            "2U",
            "ACME01",
        )
        assert (r.payee.name, r.payee.id_qualifier, r.payee.id) == (
            "RIVERSIDE FAMILY PRACTICE",
            "XX",
            "1234567893",
        )
        assert r.total_paid == Decimal("172.30")
        assert (r.credit_debit, r.payment_method) == ("C", "ACH")
        assert r.payment_date == dt.date(2026, 5, 2)
        assert (r.trace_number, r.trace_originator) == ("EFT0001234", "1512345678")
        assert r.production_date == dt.date(2026, 5, 1)
        assert r.warnings == ()

    def test_paid_claim(self) -> None:
        claim = self.remittance.claims[0]
        assert claim.patient_control_number == "PCN1001"
        assert (claim.status, claim.status_text) == ("1", "processed as primary")
        assert (claim.charge, claim.paid, claim.patient_responsibility) == (
            Decimal("150"),
            Decimal("120"),
            Decimal("0"),
        )
        assert (claim.claim_filing_indicator, claim.payer_claim_control_number) == (
            "12",
            "ACME1001",
        )
        assert (claim.facility_type, claim.frequency) == ("11", "1")
        assert claim.patient_name == "JANE DOE"
        assert claim.statement_from == dt.date(2026, 4, 15)
        line = claim.lines[0]
        assert (line.qualifier, line.code, line.modifiers) == ("HC", "99213", ())
        assert line.line_item_control_number == "PCN1001-1"
        assert line.allowed == Decimal("120")
        assert line.service_date == dt.date(2026, 4, 15)
        assert line.adjustments == (Adjustment("CO", "45", Decimal("30")),)

    def test_partly_paid_claim_with_deductible_and_coinsurance(self) -> None:
        claim = self.remittance.claims[1]
        assert claim.patient_responsibility == Decimal("60")
        first, second = claim.lines
        assert first.modifiers == ("25",)
        assert first.adjustments == (
            Adjustment("CO", "45", Decimal("25")),
            Adjustment("PR", "2", Decimal("35")),
        )
        assert second.paid == Decimal("0")
        assert second.adjustments == (
            Adjustment("PR", "1", Decimal("25")),
            Adjustment("CO", "45", Decimal("75")),
        )
        assert second.line_item_control_number == "PCN1002-2"

    def test_denied_claim_with_remarks(self) -> None:
        claim = self.remittance.claims[2]
        assert (claim.status, claim.status_text) == ("4", "denied")
        assert claim.remarks == ("MA130",)
        assert claim.lines[0].adjustments == (Adjustment("CO", "16", Decimal("250")),)
        assert claim.lines[0].remarks == ("M51", "N290")

    def test_provider_adjustment(self) -> None:
        (plb,) = self.remittance.provider_adjustments
        assert (plb.provider_id, plb.reason, plb.reference, plb.amount) == (
            "1234567893",
            "WO",
            "ACME0999",
            Decimal("87.7"),
        )
        assert plb.fiscal_period_end == dt.date(2026, 12, 31)


class TestReversalAndCorrection:
    def test_reversal_then_correction(self) -> None:
        remittance = read_835(read("era_reversal.835"))[0]
        reversal, correction = remittance.claims
        assert reversal.is_reversal and not reversal.is_correction
        assert (reversal.charge, reversal.paid) == (Decimal("-150"), Decimal("-120"))
        assert reversal.lines[0].adjustments[0].amount == Decimal("-30")
        assert correction.is_correction and not correction.is_reversal
        assert correction.paid == Decimal("130")
        assert correction.payer_claim_control_number == "ACME1001B"
        assert remittance.total_paid == Decimal("10")
        assert remittance.warnings == ()


class TestBalancing:
    def test_unbalanced_total_and_claim_are_warnings(self) -> None:
        text = (
            read("era_mixed.835")
            .replace("BPR*I*172.3*", "BPR*I*180*")
            .replace("CAS*CO*45*30", "CAS*CO*45*20")
        )
        warnings = read_835(text)[0].warnings
        assert warnings[0] == (
            "BPR02 total 180 does not equal the claim payments minus provider adjustments (172.3)"
        )
        assert "claim PCN1001: charge 150 - paid 120 does not equal its adjustments 20" in warnings
        assert (
            "claim PCN1001 line 1: charge 150 - paid 120 does not equal its adjustments 20"
            in warnings
        )

    def test_repeated_payer_loop_is_read_with_a_warning(self) -> None:
        text = (
            read("era_mixed.835")
            .replace("N1*PE*", "N1*PR*ACME HEALTH PLAN*XV*ACME01~N1*PE*")
            .replace("SE*52*", "SE*53*")
        )
        remittance = read_835(text)[0]
        assert remittance.payer.name == "ACME HEALTH PLAN"
        assert remittance.payee.id == "1234567893"
        assert any("the PR party loop is repeated" in w for w in remittance.warnings)


class TestRejected:
    def test_999_is_not_an_835(self) -> None:
        with pytest.raises(X12ParseError, match=r"transaction 0001 is a 999, not an 835"):
            read_835(read("ack_partial.999"))

    def test_missing_payee(self) -> None:
        text = read("era_mixed.835").replace("N1*PE*", "N1*ZZ*").replace("REF*TJ*", "REF*ZZ*")
        with pytest.raises(X12ParseError, match=r"has no payee \(N1\*PE\)"):
            read_835(text)

    def test_unknown_claim_status(self) -> None:
        text = read("era_mixed.835").replace("CLP*PCN1001*1*", "CLP*PCN1001*9*")
        with pytest.raises(X12ParseError, match=r"\(CLP\) element 02: unknown claim status"):
            read_835(text)


class TestSample835:
    CLAIMS = [
        SampleClaim(
            f"PCN{n}",
            (
                SampleLine("99213", Decimal("133.33"), f"PCN{n}-1", ("25",)),
                SampleLine("36415", Decimal("17.00"), f"PCN{n}-2"),
            ),
            outcome,
        )
        for n, outcome in enumerate(("paid", "partly_paid", "denied", "reversed"))
    ]

    def test_reads_back_balanced(self) -> None:
        (remittance,) = read_835(write_sample_835(self.CLAIMS))
        assert remittance.warnings == ()
        paid, partly, denied, reversal = remittance.claims
        assert paid.paid == Decimal("120.26")  # 80% of 133.33 (106.66) + 80% of 17.00 (13.60)
        assert partly.patient_responsibility == Decimal("24.05")
        assert [a.reason for a in partly.all_adjustments() if a.group == "PR"] == ["1", "2"]
        assert denied.status == "4" and denied.lines[0].remarks == ("M51",)
        assert reversal.is_reversal and reversal.paid == -paid.paid
        assert reversal.lines[0].adjustments[0].amount == Decimal("-26.67")
        assert remittance.total_paid == partly.paid

    def test_valid_for_pyx12(self, tmp_path: Path) -> None:
        path = tmp_path / "sample.835"
        path.write_text(write_sample_835(self.CLAIMS))
        out = io.StringIO()
        ok = pyx12.x12n_document.x12n_document(
            param=pyx12.params.params(), src_file=str(path), fd_997=out, fd_html=None
        )
        assert ok, out.getvalue()


def test_bad_date_names_segment_and_element() -> None:
    text = read("era_mixed.835").replace("DTM*472*20260415", "DTM*472*20261345")
    with pytest.raises(X12ParseError, match=r"\(DTM\) element 02: expected a date CCYYMMDD"):
        read_835(text)


class TestInstitutionalRemittance:
    """Claim-level adjustments, MIA/MOA remarks, revenue-code lines, PLB pairs, CRLF layout."""

    remittance = read_835(read("era_institutional.835"))[0]

    def test_balanced_and_header(self) -> None:
        r = self.remittance
        assert r.warnings == ()
        assert (r.payment_method, r.total_paid, r.trace_number) == (
            "CHK",
            Decimal("18890.09"),
            "CHK55501",
        )
        assert (r.payer.id, r.payee.id) == ("00452", "1234567893")

    def test_inpatient_claim_adjusted_at_claim_level(self) -> None:
        claim = self.remittance.claims[0]
        assert (claim.claim_filing_indicator, claim.facility_type) == ("MA", "11")
        assert claim.lines == ()
        assert claim.adjustments == (
            Adjustment("CO", "45", Decimal("5749.65")),
            Adjustment("PR", "1", Decimal("1000")),
        )
        assert claim.remarks == ("MA01",)
        assert claim.patient_name == "ANA RIVERA"  # the patient, not the corrected name (NM1*74)
        assert (claim.statement_from, claim.statement_to) == (
            dt.date(2026, 5, 1),
            dt.date(2026, 5, 5),
        )

    def test_outpatient_lines_with_revenue_codes(self) -> None:
        claim = self.remittance.claims[1]
        assert claim.remarks == ("MA01", "MA18")
        first, second = claim.lines
        assert (first.qualifier, first.code) == ("NU", "0450")
        assert (second.code, second.modifiers, second.original_code) == ("0300", ("91",), "0301")
        assert (second.revenue_code, second.units) == ("300", Decimal("2"))

    def test_provider_adjustment_pairs(self) -> None:
        assert [
            (p.reason, p.reference, p.amount) for p in self.remittance.provider_adjustments
        ] == [
            ("L6", "INTEREST", Decimal("-15.00")),
            ("WO", "26155000000007", Decimal("0")),
        ]


def test_an_element_longer_than_the_guide_allows_is_rejected() -> None:
    text = read("era_mixed.835").replace("REF*6R*PCN1001-1", "REF*6R*" + "X" * 51)
    with pytest.raises(X12ParseError, match=r"\(REF\) element 02: 51 characters, at most 50"):
        read_835(text)
    long_pcn = read("era_mixed.835").replace("CLP*PCN1001*", "CLP*" + "P" * 39 + "*")
    with pytest.raises(X12ParseError, match=r"\(CLP\) element 01: 39 characters, at most 38"):
        read_835(long_pcn)
