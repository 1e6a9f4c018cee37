"""NCCI PTP, MUE and add-on edits on encounters, against real rows of the 2024 Q3 tables."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from medcoder.codesets import KnowledgeBase
from medcoder.edits import (
    EditCategory,
    EditContext,
    EditFinding,
    Encounter,
    Severity,
    parse_encounter,
)
from medcoder.edits.encounter import ServiceLine
from medcoder.edits.engine import EditRule
from medcoder.edits.ncci_edits import (
    NCCI_MODIFIERS,
    AddonRule,
    MueRule,
    PtpRule,
    bypass_modifier,
    is_em,
)

DOS = "2026-05-01"
STALE = (
    " Stale NCCI tables: date of service 2026-05-01 is after the end of NCCI 2024 Q3 "
    "(2024-09-30), the newest NCCI quarter loaded; edits may have changed since: load a newer "
    "quarter of the CMS NCCI files before relying on it."
)


def encounter(*lines: dict[str, Any], setting: str = "outpatient") -> Encounter:
    return parse_encounter(
        {
            "date_of_service": DOS,
            "setting": setting,
            "patient": {"age": 60, "sex": "F"},
            "diagnoses": [{"code": "L84"}],
            "lines": [{"diagnosis_pointers": [1], **line} for line in lines],
        }
    )


def run(rule: EditRule, kb: KnowledgeBase, enc: Encounter) -> list[EditFinding]:
    return list(rule.check(enc, EditContext(kb=kb, view=kb.for_date(enc.dos))))


class TestPtp:
    def test_indicator_1_pair_without_modifier_is_an_error(self, kb: KnowledgeBase) -> None:
        # Practitioner PTP row: 11055,11720,1,Mutually exclusive procedures
        [f] = run(PtpRule(), kb, encounter({"code": "11720"}, {"code": "11055"}))
        assert (f.edit_id, f.category, f.severity) == (
            "ncci.ptp",
            EditCategory.NCCI,
            Severity.ERROR,
        )
        assert f.line == 0 and f.codes == ("11055", "11720")
        assert f.message == (
            "NCCI PTP edit: 11720 (column 2) is not paid with 11055 (column 1) on the same day "
            "(Mutually exclusive procedures); modifier indicator 1: an NCCI-associated modifier "
            "allows both when they were distinct." + STALE
        )
        assert f.fix == (
            "If the services were distinct (different session, site or structure), append 59 "
            "or the more specific XE/XS/XP/XU (or anatomic modifiers such as RT/LT) to 11720 "
            "and document why; otherwise remove 11720."
        )

    @pytest.mark.parametrize(
        ("mods1", "mods2"), [((), ("59",)), ((), ("XS",)), (("XU",), ()), (("RT",), ("LT",))]
    )
    def test_allowed_modifier_passes(
        self, kb: KnowledgeBase, mods1: tuple[str, ...], mods2: tuple[str, ...]
    ) -> None:
        enc = encounter({"code": "11055", "modifiers": list(mods1)},
                        {"code": "11720", "modifiers": list(mods2)})  # fmt: skip
        assert run(PtpRule(), kb, enc) == []

    @pytest.mark.parametrize(("mods1", "mods2"), [(("RT",), ("RT",)), ((), ("25",)), ((), ("76",))])
    def test_modifier_that_does_not_bypass(
        self, kb: KnowledgeBase, mods1: tuple[str, ...], mods2: tuple[str, ...]
    ) -> None:
        enc = encounter({"code": "11055", "modifiers": list(mods1)},
                        {"code": "11720", "modifiers": list(mods2)})  # fmt: skip
        assert [f.codes for f in run(PtpRule(), kb, enc)] == [("11055", "11720")]

    def test_indicator_0_pair_is_an_error_even_with_59(self, kb: KnowledgeBase) -> None:
        # Practitioner PTP row: 99213,36591,0,CPT Manual or CMS manual coding instruction
        enc = encounter(
            {"code": "99213", "modifiers": ["25"]}, {"code": "36591", "modifiers": ["59"]}
        )
        [f] = run(PtpRule(), kb, enc)
        assert f.line == 1
        assert f.message == (
            "NCCI PTP edit: 36591 (column 2) is not paid with 99213 (column 1) on the same day "
            "(CPT Manual or CMS manual coding instruction); modifier indicator 0: no modifier "
            "allows both codes." + STALE
        )
        assert f.fix == (
            "Remove 36591: only 99213 is payable, and a modifier will not bypass this edit."
        )

    def test_em_with_minor_procedure_needs_25_on_the_em(self, kb: KnowledgeBase) -> None:
        # Practitioner PTP row: 11055,99213,1 (the E/M is column 2)
        [f] = run(PtpRule(), kb, encounter({"code": "99213"}, {"code": "11055"}))
        assert f.codes == ("11055", "99213") and f.line == 0
        assert f.fix.startswith(
            "If the visit was a significant, separately identifiable E/M service, append "
            "modifier 25 to 99213"
        )
        with25 = encounter({"code": "99213", "modifiers": ["25"]}, {"code": "11055"})
        assert run(PtpRule(), kb, with25) == []
        # 59 is never used on an E/M: it does not bypass the edit there.
        with59 = encounter({"code": "99213", "modifiers": ["59"]}, {"code": "11055"})
        assert len(run(PtpRule(), kb, with59)) == 1

    def test_outpatient_hospital_uses_its_own_table(self, kb: KnowledgeBase) -> None:
        # The outpatient hospital table has 11055,11720 but no E/M-with-procedure rows.
        assert run(PtpRule(), kb, encounter({"code": "99213"}, {"code": "11055"},
                                            setting="outpatient_hospital")) == []  # fmt: skip
        assert len(run(PtpRule(), kb, encounter({"code": "11055"}, {"code": "11720"},
                                                setting="outpatient_hospital"))) == 1  # fmt: skip

    def test_different_dates_and_inpatient_do_not_pair(self, kb: KnowledgeBase) -> None:
        apart = encounter({"code": "11055"}, {"code": "11720", "date_of_service": "2026-05-02"})
        assert run(PtpRule(), kb, apart) == []
        inpatient = encounter({"code": "11055"}, {"code": "11720"}, setting="inpatient")
        assert run(PtpRule(), kb, inpatient) == []

    def test_bypass_modifier_names_the_modifier(self, kb: KnowledgeBase) -> None:
        edit = kb.ncci.ptp("11720", "11055")
        assert edit is not None
        assert (
            bypass_modifier(
                edit, ServiceLine(code="11055"), ServiceLine(code="11720", modifiers=["XS"])
            )
            == "XS"
        )
        assert (
            bypass_modifier(
                edit, ServiceLine(code="11055", modifiers=["RT"]), ServiceLine(code="11720")
            )
            == "RT"
        )

    def test_modifier_list_and_em_ranges(self) -> None:
        assert {"59", "XE", "XS", "XP", "XU", "25", "57", "24", "58", "78", "79", "27", "91",
                "LT", "RT", "E1", "E4", "FA", "F9", "TA", "T9", "LC", "LD", "LM", "RC",
                "RI"} < NCCI_MODIFIERS  # fmt: skip
        # anatomic 31 (E1-E4, FA/F1-F9, TA/T1-T9, LC LD LM RC RI, LT RT) + 5 + 3 + 3 + 2
        assert len(NCCI_MODIFIERS) == 44 and "76" not in NCCI_MODIFIERS
        assert [is_em(c) for c in ("99202", "99215", "99216", "99285", "99397", "G0438")] == [
            True, True, False, True, True, False]  # fmt: skip


class TestMue:
    def test_mai_2_totals_the_day(self, kb: KnowledgeBase) -> None:
        # Practitioner MUE row: 11720,1,2,Anatomic Consideration
        [f] = run(
            MueRule(), kb, encounter({"code": "11720"}, {"code": "11720", "modifiers": ["59"]})
        )
        assert (f.edit_id, f.category, f.line) == ("ncci.mue", EditCategory.MUE, 0)
        assert f.message == (
            "MUE: 2 units of 11720 on 2026-05-01 exceed the limit of 1 (MAI 2, date of service "
            "edit, absolute: policy limit, no appeal by units; Anatomic Consideration)." + STALE
        )
        assert f.fix == (
            "Reduce the units of 11720 to 1: units over an MAI 2 limit are not payable and the "
            "limit cannot be bypassed or appealed."
        )

    def test_mai_3_is_appealable(self, kb: KnowledgeBase) -> None:
        # Practitioner MUE row: 20610,2,3,Clinical: Data
        assert run(MueRule(), kb, encounter({"code": "20610", "units": 2})) == []
        [f] = run(MueRule(), kb, encounter({"code": "20610", "units": 3}))
        assert "(MAI 3, date of service edit, clinical: may be exceeded on appeal" in f.message
        assert f.fix.endswith("be ready to appeal with documentation that the extra units were "
                              "medically necessary.")  # fmt: skip

    def test_mai_1_limits_each_line(self, kb: KnowledgeBase) -> None:
        # Practitioner MUE row: J3471,999,1,Code Descriptor / CPT Instruction
        two_lines = encounter({"code": "J3471", "units": 600}, {"code": "J3471", "units": 600})
        assert run(MueRule(), kb, two_lines) == []
        [f] = run(MueRule(), kb, encounter({"code": "J3471", "units": 1000}))
        assert f.message.startswith(
            "MUE: 1000 units of J3471 on one line exceed the limit of 999 (MAI 1, line edit"
        )


class TestAddon:
    def test_addon_without_primary_is_an_error(self, kb: KnowledgeBase) -> None:
        # Add-on row: 17000,17003,1
        [f] = run(AddonRule(), kb, encounter({"code": "17003"}))
        assert (f.edit_id, f.category, f.severity) == (
            "ncci.addon",
            EditCategory.ADDON,
            Severity.ERROR,
        )
        assert f.message == (
            "Add-on code 17003 is billed on 2026-05-01 without a primary procedure: it is only "
            "paid with 17000 on the same day." + STALE
        )
        assert run(AddonRule(), kb, encounter({"code": "17000"}, {"code": "17003"})) == []

    def test_addon_with_several_primaries(self, kb: KnowledgeBase) -> None:
        # Add-on rows: 99205,99417,1 and 99215,99417,1
        [f] = run(AddonRule(), kb, encounter({"code": "99213"}, {"code": "99417"}))
        assert "only paid with 99205, 99215 on the same day" in f.message
        assert run(AddonRule(), kb, encounter({"code": "99215"}, {"code": "99417"})) == []

    def test_contractor_defined_primary_is_information(self, kb: KnowledgeBase) -> None:
        # Add-on row: CCCCC,20985,2
        [f] = run(AddonRule(), kb, encounter({"code": "20985"}))
        assert f.severity is Severity.INFO
        assert f.message.startswith(
            "Add-on code 20985 is only paid with a primary procedure; its primary codes are "
            "defined by each Medicare contractor."
        )


def test_stale_tables_reach_the_result(kb: KnowledgeBase) -> None:
    from medcoder.edits import EditConfig, Editor

    editor = Editor(kb, EditConfig(extra_rules=()))
    result = editor.edit(encounter({"code": "11055"}, {"code": "11720"}))
    assert any(w.startswith("ncci: 2026-05-01 is past the period") for w in result.warnings)
    assert [f.edit_id for f in result.findings if f.category is EditCategory.NCCI] == ["ncci.ptp"]
    assert result.date_of_service == dt.date(2026, 5, 1)
