"""HCPCS Level II: codes, modifiers, search and the dose a drug code bills per unit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from medcoder.codesets import KnowledgeBase
from medcoder.codesets.hcpcs import BillingUnit, parse_billing_unit
from medcoder.errors import CodeFormatError, UnknownCodeError


class TestLookup:
    def test_ketorolac(self, kb: KnowledgeBase) -> None:
        code = kb.hcpcs.lookup("J1885")
        assert code.short_description == "Ketorolac tromethamine inj"
        assert code.long_description == "Injection, ketorolac tromethamine, per 15 mg"
        assert code.coverage == "D" and code.betos == "O1E"

    def test_annual_wellness_visit(self, kb: KnowledgeBase) -> None:
        code = kb.hcpcs.lookup("g0438")
        assert code.long_description.startswith("Annual wellness visit; includes a personalized")
        assert code.date_added == dt.date(2011, 1, 1)
        assert code.billing_unit is None

    def test_unknown_code_suggests_neighbours(self, kb: KnowledgeBase) -> None:
        with pytest.raises(UnknownCodeError) as info:
            kb.hcpcs.lookup("J1884")
        assert "J1885" in info.value.suggestions

    def test_cpt_shape_is_not_hcpcs(self, kb: KnowledgeBase) -> None:
        with pytest.raises(CodeFormatError):
            kb.hcpcs.lookup("99213")


class TestBillingUnit:
    def test_ceftriaxone_per_250_mg(self, kb: KnowledgeBase) -> None:
        assert kb.hcpcs.billing_unit("J0696") == BillingUnit(Decimal(250), "mg", "per 250 mg")

    def test_ketorolac_per_15_mg(self, kb: KnowledgeBase) -> None:
        unit = kb.hcpcs.billing_unit("J1885")
        assert unit is not None and (unit.quantity, unit.unit) == (Decimal(15), "mg")

    def test_dose_clause_without_per(self, kb: KnowledgeBase) -> None:
        unit = kb.hcpcs.billing_unit("J9271")  # "Injection, pembrolizumab, 1 mg"
        assert unit is not None and (unit.quantity, unit.unit) == (Decimal(1), "mg")

    def test_up_to_and_microgram(self, kb: KnowledgeBase) -> None:
        b12 = kb.hcpcs.billing_unit("J3420")  # "... cyanocobalamin, up to 1000 mcg"
        assert b12 == BillingUnit(Decimal(1000), "mcg", "up to 1000 mcg", up_to=True)
        darbepoetin = kb.hcpcs.billing_unit("J0881")  # "... 1 microgram (non-esrd use)"
        assert darbepoetin is not None and darbepoetin.unit == "mcg"

    def test_saline_cc_is_ml(self, kb: KnowledgeBase) -> None:
        unit = kb.hcpcs.billing_unit("J7050")  # "Infusion, normal saline solution, 250 cc"
        assert unit is not None and (unit.quantity, unit.unit) == (Decimal(250), "mL")

    def test_per_iu_inside_a_clause(self) -> None:
        unit = parse_billing_unit("Factor viii (antihemophilic factor, human) per i.u.")
        assert unit is not None and (unit.quantity, unit.unit) == (Decimal(1), "IU")

    def test_thousands_separator_is_not_a_clause(self, kb: KnowledgeBase) -> None:
        # J0561: "Injection, penicillin g benzathine, 100,000 units"
        unit = kb.hcpcs.billing_unit("J0561")
        assert unit is not None and (unit.quantity, unit.unit) == (Decimal(100000), "units")

    def test_combination_product_has_no_single_dose(self) -> None:
        text = "Injection, betamethasone acetate 3 mg and betamethasone sodium phosphate 3 mg"
        assert parse_billing_unit(text) is None

    def test_most_j_codes_state_a_dose(self, kb: KnowledgeBase) -> None:
        rows = kb.con.execute(
            "SELECT long_description FROM hcpcs_code WHERE code LIKE 'J%'"
        ).fetchall()
        parsed = sum(parse_billing_unit(d) is not None for (d,) in rows)
        assert len(rows) > 1100 and parsed / len(rows) > 0.9


class TestValidateAndSearch:
    def test_valid_in_2026_q1(self, kb: KnowledgeBase) -> None:
        result = kb.hcpcs.validate("J1885", dt.date(2026, 2, 1))
        assert result.valid and not result.stale and result.release_id == "hcpcs-2026q1"

    def test_stale_after_the_quarter(self, kb: KnowledgeBase) -> None:
        assert kb.hcpcs.validate("J1885", dt.date(2026, 4, 1)).stale

    def test_invalid_code(self, kb: KnowledgeBase) -> None:
        result = kb.hcpcs.validate("G0999", dt.date(2026, 2, 1))
        assert not result.valid and result.suggestions

    def test_search_ketorolac(self, kb: KnowledgeBase) -> None:
        assert kb.hcpcs.search("ketorolac tromethamine")[0].code == "J1885"


class TestModifiers:
    def test_left_side(self, kb: KnowledgeBase) -> None:
        lt = kb.hcpcs.modifier("LT")
        assert lt.level == "HCPCS" and lt.short_description == "Left side"
        assert lt.category == "Anatomic Side of Body" and lt.ncci_ptp

    def test_cpt_modifiers_25_and_59_in_medcoder_wording(self, kb: KnowledgeBase) -> None:
        assert kb.hcpcs.modifier("25").level == "CPT"
        assert kb.hcpcs.modifier("59").description == "Distinct procedural service"
        assert kb.hcpcs.modifier("59").ncci_ptp

    def test_x_modifier_is_ncci_associated(self, kb: KnowledgeBase) -> None:
        assert kb.hcpcs.modifier("xu").ncci_ptp

    def test_not_ncci_associated(self, kb: KnowledgeBase) -> None:
        assert not kb.hcpcs.modifier("GT").ncci_ptp

    def test_all_modifiers(self, kb: KnowledgeBase) -> None:
        codes = [m.code for m in kb.hcpcs.modifiers()]
        assert len(codes) > 400 and codes == sorted(codes) and "KX" in codes

    def test_unknown_modifier(self, kb: KnowledgeBase) -> None:
        with pytest.raises(UnknownCodeError):
            kb.hcpcs.modifier("ZZ")
