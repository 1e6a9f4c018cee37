"""NCCI procedure-to-procedure edits, MUEs, add-on codes and the quarter in force."""

from __future__ import annotations

import datetime as dt

import pytest

from medcoder.codesets import KnowledgeBase
from medcoder.errors import CodeFormatError, InputError, NoReleaseError


class TestPtp:
    def test_either_order_tells_column_one(self, kb: KnowledgeBase) -> None:
        for a, b in (("11055", "11720"), ("11720", "11055")):
            edit = kb.ncci.ptp(a, b)
            assert edit is not None
            assert (edit.column1, edit.column2) == ("11055", "11720")
            assert edit.modifier_indicator == 1 and edit.modifier_allowed
            assert edit.rationale == "Mutually exclusive procedures"

    def test_indicator_zero_never_bypassed(self, kb: KnowledgeBase) -> None:
        edit = kb.ncci.ptp("0469T", "99213")
        assert edit is not None and edit.column1 == "99213"
        assert edit.modifier_indicator == 0 and not edit.modifier_allowed

    def test_outpatient_hospital_setting(self, kb: KnowledgeBase) -> None:
        edit = kb.ncci.ptp("11055", "11720", setting="outpatient_hospital")
        assert edit is not None and edit.setting == "outpatient_hospital"

    def test_no_edit(self, kb: KnowledgeBase) -> None:
        assert kb.ncci.ptp("99213", "J1885") is None

    def test_dme_has_no_ptp_edits(self, kb: KnowledgeBase) -> None:
        with pytest.raises(InputError) as info:
            kb.ncci.ptp("11055", "11720", setting="dme")
        assert info.value.field == "setting"

    def test_bad_code(self, kb: KnowledgeBase) -> None:
        with pytest.raises(CodeFormatError):
            kb.ncci.ptp("1105", "11720")

    def test_row_counts(self, kb: KnowledgeBase) -> None:
        counts = dict(
            kb.con.execute("SELECT setting, count(*) FROM ncci_ptp GROUP BY setting").fetchall()
        )
        assert counts == {"practitioner": 1669820, "outpatient_hospital": 1335857}


class TestMue:
    def test_ketorolac_practitioner(self, kb: KnowledgeBase) -> None:
        mue = kb.ncci.mue("J1885")
        assert mue is not None
        assert (mue.units, mue.mai, mue.rationale) == (8, 3, "Prescribing Information")

    def test_ceftriaxone_by_setting(self, kb: KnowledgeBase) -> None:
        hospital = kb.ncci.mue("J0696", "outpatient_hospital")
        dme = kb.ncci.mue("J0696", "dme")
        assert hospital is not None and hospital.units == 16
        assert dme is not None and (dme.units, dme.rationale) == (0, "CMS Policy")

    def test_absolute_date_of_service_edit(self, kb: KnowledgeBase) -> None:
        mue = kb.ncci.mue("11055")
        assert mue is not None and (mue.units, mue.mai) == (1, 2)

    def test_no_mue(self, kb: KnowledgeBase) -> None:
        assert kb.ncci.mue("G0999") is None


class TestAddon:
    def test_critical_care_additional_30_minutes(self, kb: KnowledgeBase) -> None:
        primaries = kb.ncci.addon_primaries("99292")
        assert [(p.primary_code, p.edit_type) for p in primaries] == [("99291", 1)]

    def test_several_primaries(self, kb: KnowledgeBase) -> None:
        codes = [p.primary_code for p in kb.ncci.addon_primaries("22614")]
        assert codes == ["22600", "22610", "22612", "22630", "22633"]

    def test_not_an_addon(self, kb: KnowledgeBase) -> None:
        assert kb.ncci.addon_primaries("99213") == ()
        assert not kb.ncci.is_addon("99213") and kb.ncci.is_addon("11045")


class TestRelease:
    def test_quarter_in_force(self, kb: KnowledgeBase) -> None:
        release = kb.ncci.release_for(dt.date(2024, 8, 15))
        assert release.id == "ncci-2024q3" and release.nominal_end == dt.date(2024, 9, 30)
        assert not kb.ncci.is_stale(dt.date(2024, 9, 30))
        assert kb.ncci.staleness_warning(dt.date(2024, 9, 30)) is None

    def test_after_the_newest_quarter(self, kb: KnowledgeBase) -> None:
        day = dt.date(2026, 3, 1)
        assert kb.ncci.is_stale(day)
        warning = kb.ncci.staleness_warning(day)
        assert warning is not None and "NCCI 2024 Q3" in warning
        edit = kb.ncci.ptp("11055", "11720", day=day)
        assert edit is not None and edit.stale

    def test_before_the_oldest_quarter(self, kb: KnowledgeBase) -> None:
        with pytest.raises(NoReleaseError):
            kb.ncci.mue("J1885", day=dt.date(2024, 6, 30))
