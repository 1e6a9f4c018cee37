"""Service coding on synthetic notes, one file per family (tests/data/service_notes/*.json).

Each case gives the note, the assigned diagnoses (code + the words of the note that support
it, so pointers are decided by proximity exactly as in real use) and the exact lines expected:
code, units, modifiers and diagnosis pointers, in claim order.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from medcoder.codesets import KnowledgeBase
from medcoder.coding.result import CodeSuggestion, Evidence
from medcoder.coding.services import ServiceCoder, ServiceContext
from medcoder.notes import parse_note, read_document

CASES = Path(__file__).parents[2] / "data" / "service_notes"


def _case(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CASES / f"{name}.json").read_text("utf-8"))
    return data


def _diagnoses(text: str, pairs: list[list[str]]) -> list[CodeSuggestion]:
    out = []
    for code, words in pairs:
        start = text.index(words)
        evidence = Evidence(start, start + len(words), words)
        out.append(CodeSuggestion(code, words, 0.9, "test", (evidence,)))
    return out


def code_case(kb: KnowledgeBase, name: str) -> tuple[dict[str, Any], Any]:
    case = _case(name)
    note = parse_note(read_document(case["text"]))
    day = case.get("date_of_service")
    context = ServiceContext(
        medicare=case.get("medicare"),
        date_of_service=dt.date.fromisoformat(day) if day else None,
        age=case.get("age"),
    )
    result = ServiceCoder(kb).code(note, _diagnoses(case["text"], case["diagnoses"]), context)
    return case, result


@pytest.mark.parametrize("name", sorted(p.stem for p in CASES.glob("*.json")))
def test_service_lines(kb: KnowledgeBase, name: str) -> None:
    case, result = code_case(kb, name)
    got = [
        {
            "code": line.code,
            "units": line.units,
            "modifiers": list(line.modifiers),
            "pointers": list(line.diagnosis_pointers),
        }
        for line in result.lines
    ]
    assert got == case["expect"], result.warnings
    assert [d.code for d in result.added_diagnoses] == case.get("added", [])
    for expected in case.get("warnings_contain", []):
        assert any(expected in w for w in result.warnings), result.warnings


class TestEvidenceAndWording:
    def test_every_line_has_evidence_in_the_note_and_a_rationale(self, kb: KnowledgeBase) -> None:
        case, result = code_case(kb, "joint_injections")
        for line in result.lines:
            assert line.evidence and line.rationale
            for ev in line.evidence:
                assert case["text"][ev.start : ev.end] == ev.text

    def test_cpt_lines_carry_medcoder_wording_and_hcpcs_lines_the_official_one(
        self, kb: KnowledgeBase
    ) -> None:
        _, result = code_case(kb, "injection_ketorolac_im")
        by_code = {line.code: line for line in result.lines}
        assert by_code["J1885"].system.value == "HCPCS"
        assert by_code["J1885"].description == "Injection, ketorolac tromethamine, per 15 mg"
        assert by_code["96372"].system.value == "CPT"
        assert by_code["96372"].description == "Drug injection into muscle or under the skin"

    def test_units_rationale_names_the_billing_unit(self, kb: KnowledgeBase) -> None:
        _, result = code_case(kb, "injection_ketorolac_im")
        assert "per 15 mg: 4 unit(s)" in result.lines[0].rationale


class TestWarnings:
    def test_a_drug_in_the_plan_without_saying_it_was_given_is_not_billed(
        self, kb: KnowledgeBase
    ) -> None:
        note = parse_note(read_document("Plan: Toradol 60 mg IM."))
        result = ServiceCoder(kb).code(note)
        assert result.lines == ()
        assert any("named in the plan" in w for w in result.warnings)

    def test_a_vaccine_without_its_product_is_a_warning_not_a_guess(
        self, kb: KnowledgeBase
    ) -> None:
        note = parse_note(read_document("Procedure: Pneumonia vaccine given IM today."))
        result = ServiceCoder(kb).code(note)
        assert result.lines == ()
        assert any("without its product" in w for w in result.warnings)

    def test_a_drug_without_a_dose_asks_for_one(self, kb: KnowledgeBase) -> None:
        note = parse_note(read_document("Procedure: Toradol IM given."))
        result = ServiceCoder(kb).code(note)
        assert [line.code for line in result.lines] == []
        assert any("without a documented dose" in w for w in result.warnings)

    def test_a_bundled_pair_without_distinct_sites_drops_the_column_two_code(
        self, kb: KnowledgeBase
    ) -> None:
        note = parse_note(read_document("Results: Spirometry pre and post bronchodilator done."))
        result = ServiceCoder(kb).code(note)
        assert [line.code for line in result.lines] == ["94060"]
