"""CARC, RARC and claim adjustment group codes, with their dates."""

from __future__ import annotations

import datetime as dt

import pytest

from medcoder.codesets import KnowledgeBase
from medcoder.errors import CodeFormatError, UnknownCodeError


class TestCarc:
    def test_45_fee_schedule(self, kb: KnowledgeBase) -> None:
        carc = kb.adjustments.carc("45")
        assert carc.description.startswith("Charge exceeds fee schedule/maximum allowable")
        assert carc.start_date == dt.date(1995, 1, 1)
        assert carc.last_modified == dt.date(2017, 7, 1)
        assert carc.end_date is None and carc.active
        assert carc.usage is not None and "Group Codes PR or CO" in carc.usage

    def test_deactivated_code_by_date(self, kb: KnowledgeBase) -> None:
        assert kb.adjustments.carc("15").end_date == dt.date(2018, 5, 1)
        assert kb.adjustments.carc("15", dt.date(2018, 5, 1)).active
        assert not kb.adjustments.carc("15", dt.date(2019, 1, 1)).active
        assert not kb.adjustments.carc("15").active

    def test_before_start_is_inactive(self, kb: KnowledgeBase) -> None:
        assert not kb.adjustments.carc("45", dt.date(1994, 12, 31)).active

    def test_2026_cms_code_has_no_dates(self, kb: KnowledgeBase) -> None:
        carc = kb.adjustments.carc("307")
        assert carc.start_date is None and "Maximum Fair Price" in carc.description
        assert kb.adjustments.carc("307", dt.date(2026, 1, 1)).active is None

    def test_unknown(self, kb: KnowledgeBase) -> None:
        with pytest.raises(UnknownCodeError):
            kb.adjustments.carc("999")

    def test_malformed(self, kb: KnowledgeBase) -> None:
        with pytest.raises(CodeFormatError):
            kb.adjustments.carc("4-5")


class TestRarc:
    def test_n130_with_dates(self, kb: KnowledgeBase) -> None:
        rarc = kb.adjustments.rarc("n130", dt.date(2024, 1, 1))
        assert rarc.description.startswith("Consult plan benefit documents/guidelines")
        assert rarc.start_date == dt.date(2002, 10, 31)
        assert rarc.last_modified == dt.date(2009, 11, 1)
        assert rarc.active and rarc.checked_on == dt.date(2024, 1, 1)

    def test_n130_not_yet_active_in_2001(self, kb: KnowledgeBase) -> None:
        assert not kb.adjustments.rarc("N130", dt.date(2001, 1, 1)).active

    def test_carc_code_is_not_a_rarc(self, kb: KnowledgeBase) -> None:
        with pytest.raises(UnknownCodeError):
            kb.adjustments.rarc("45")


class TestGroup:
    def test_contractual_obligation(self, kb: KnowledgeBase) -> None:
        group = kb.adjustments.group("CO")
        assert group.name == "Contractual Obligations"
        assert group.description is not None and "write-off" in group.description

    def test_patient_responsibility(self, kb: KnowledgeBase) -> None:
        assert kb.adjustments.group("pr").name == "Patient Responsibility"

    def test_unknown_group(self, kb: KnowledgeBase) -> None:
        with pytest.raises(UnknownCodeError):
            kb.adjustments.group("XX")
