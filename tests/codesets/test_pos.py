"""Place of service codes."""

from __future__ import annotations

import pytest

from medcoder.codesets import KnowledgeBase
from medcoder.codesets.pos import PosSetting
from medcoder.errors import CodeFormatError


class TestLookup:
    def test_office_is_non_facility(self, kb: KnowledgeBase) -> None:
        office = kb.pos.lookup("11")
        assert office.name == "Office"
        assert office.setting is PosSetting.NON_FACILITY and not office.is_facility
        assert office.cms_description is not None and office.cms_description.startswith("OFFICE")

    def test_inpatient_hospital_is_facility(self, kb: KnowledgeBase) -> None:
        assert kb.pos.lookup("21").is_facility

    def test_single_digit_is_padded(self, kb: KnowledgeBase) -> None:
        assert kb.pos.lookup("2").name.startswith("Telehealth Provided Other than")

    def test_unassigned_code(self, kb: KnowledgeBase) -> None:
        assert not kb.pos.lookup("28").assigned

    def test_not_digits(self, kb: KnowledgeBase) -> None:
        with pytest.raises(CodeFormatError):
            kb.pos.lookup("1A")


class TestAll:
    def test_assigned_codes(self, kb: KnowledgeBase) -> None:
        codes = kb.pos.all()
        assert len(codes) == 52 and all(c.assigned for c in codes)
        assert len(kb.pos.all(assigned_only=False)) == 99

    def test_every_assigned_code_is_in_the_cms_list(self, kb: KnowledgeBase) -> None:
        assert all(c.cms_description for c in kb.pos.all())
