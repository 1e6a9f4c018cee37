"""The X12 tokenizer: separators declared in the ISA, quirky layouts, malformed input."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from medcoder.claims.readers import X12ParseError, read_835, read_x12

DATA = Path(__file__).with_name("data")
MIXED = (DATA / "era_mixed.835").read_text()


def swap_separators(text: str, element: str, component: str, segment: str, rep: str) -> str:
    return text.translate(str.maketrans({"*": element, ":": component, "~": segment, "^": rep}))


class TestSeparators:
    def test_default_separators_read(self) -> None:
        parsed = read_x12(MIXED)
        assert (parsed.separators.element, parsed.separators.component) == ("*", ":")
        assert (parsed.separators.segment, parsed.separators.repetition) == ("~", "^")
        tx = parsed.transactions[0]
        assert (tx.set_id, tx.control_number, tx.implementation) == ("835", "0001", "005010X221A1")
        assert tx.segments[0].id == "BPR"
        assert tx.interchange_control_number == "000000101"

    @pytest.mark.parametrize(
        ("element", "component", "segment", "rep"),
        [("|", ">", "\n", "!"), ("^", "\\", "'", "{"), ("\x1d", "\x1f", "\x1e", "\x1c")],
    )
    def test_any_declared_separators(
        self, element: str, component: str, segment: str, rep: str
    ) -> None:
        text = swap_separators(MIXED, element, component, segment, rep)
        remittance = read_835(text)[0]
        assert remittance.total_paid == read_835(MIXED)[0].total_paid
        assert remittance.claims[1].lines[0].modifiers == ("25",)

    def test_line_breaks_between_segments_and_lower_case(self) -> None:
        text = MIXED.replace("~", "~\r\n").lower()
        remittance = read_835(text)[0]
        assert [c.patient_control_number for c in remittance.claims] == [
            "PCN1001",
            "PCN1002",
            "PCN1003",
        ]
        assert remittance.claims[1].adjustments == ()
        assert remittance.claims[1].lines[0].adjustments[1].group == "PR"

    def test_segment_terminator_is_newline(self) -> None:
        remittance = read_835(MIXED.replace("~", "\n"))[0]
        assert len(remittance.claims) == 3

    def test_interchanges_with_different_separators_in_one_file(self) -> None:
        second = swap_separators(MIXED.replace("000000101", "000000102"), "|", ">", "\n", "!")
        first_read, second_read = read_835(MIXED + "\n" + second)
        assert first_read.total_paid == second_read.total_paid == Decimal("172.3")
        assert second_read.claims[1].lines[0].modifiers == ("25",)

    def test_two_interchanges_in_one_file(self) -> None:
        second = MIXED.replace("000000101", "000000102")
        assert [r.interchange_control_number for r in read_835(MIXED + second)] == [
            "000000101",
            "000000102",
        ]


def error_for(text: str) -> X12ParseError:
    with pytest.raises(X12ParseError) as info:
        read_835(text)
    return info.value


class TestMalformed:
    def test_truncated_file_names_the_missing_trailer(self) -> None:
        cut = MIXED[: MIXED.index("CLP*PCN1003")]
        error = error_for(cut)
        assert error.segment == "SE"
        assert "the file ends before the SE closing the ST of segment 3 (truncated)" in str(error)

    def test_truncated_inside_isa(self) -> None:
        error = error_for(MIXED[:60])
        assert (error.segment, error.position) == ("ISA", 1)
        assert "not 16" in str(error)

    def test_se_count_mismatch(self) -> None:
        error = error_for(MIXED.replace("SE*52*0001", "SE*51*0001"))
        assert error.segment == "SE"
        assert error.element == 1
        assert str(error) == (
            "segment 54 (SE) element 01: segment count 51 does not match the 52 segments of "
            "transaction 0001"
        )

    def test_se_control_number_mismatch(self) -> None:
        error = error_for(MIXED.replace("SE*52*0001", "SE*52*0002"))
        assert (error.segment, error.element) == ("SE", 2)

    def test_ge_count_mismatch(self) -> None:
        error = error_for(MIXED.replace("GE*1*101", "GE*2*101"))
        assert re.search(r"segment 55 \(GE\) element 01: GE counts 2 transactions", str(error))

    def test_iea_control_number_mismatch(self) -> None:
        error = error_for(MIXED.replace("IEA*1*000000101", "IEA*1*000000999"))
        assert (error.segment, error.element, error.position) == ("IEA", 2, 56)

    def test_wrong_separators_body_uses_other_delimiter(self) -> None:
        head, body = MIXED.split("~", 1)
        error = error_for(head + "~" + body.replace("*", "|"))
        assert error.position == 2
        assert "is not a segment (garbage or wrong separators)" in str(error)

    def test_separator_that_is_a_letter(self) -> None:
        error = error_for("ISAX00X" + MIXED[7:])
        assert (error.segment, error.position) == ("ISA", 1)
        assert "element separator" in str(error)

    def test_garbage_is_not_x12(self) -> None:
        error = error_for("%PDF-1.4 binary junk")
        assert "an X12 file starts with ISA" in str(error)

    def test_empty_file(self) -> None:
        assert "the file is empty" in str(error_for("  \n"))

    def test_garbage_after_interchange(self) -> None:
        error = error_for(MIXED + "hello world~")
        assert error.position == 57

    def test_segment_outside_transaction(self) -> None:
        error = error_for(MIXED.replace("ST*835*0001~", "N1*PR*X~ST*835*0001~"))
        assert (error.segment, error.position) == ("N1", 3)
        assert "outside a transaction" in str(error)

    def test_bad_amount_names_segment_and_element(self) -> None:
        error = error_for(MIXED.replace("CLP*PCN1002*1*300*140", "CLP*PCN1002*1*3OO*140"))
        assert (error.segment, error.element) == ("CLP", 3)
        assert "expected an amount, got '3OO'" in str(error)

    def test_bad_adjustment_group(self) -> None:
        error = error_for(MIXED.replace("CAS*CO*45*30", "CAS*XX*45*30"))
        assert (error.segment, error.element) == ("CAS", 1)


def test_st_control_number_of_wrong_length() -> None:
    text = MIXED.replace("ST*835*0001", "ST*835*0000000001").replace(
        "SE*52*0001", "SE*52*0000000001"
    )
    with pytest.raises(X12ParseError, match=r"segment 3 \(ST\) element 02: control number"):
        read_835(text)
