"""The synthetic E/M note suite (tests/data/em_notes): exact code, MDM elements, evidence.

Each note ``<id>.txt`` has a sidecar ``<id>.json`` with the encounter context and the gold
result a coder would give (with a one-line ``why``). Evidence is checked to the sentence: the
set of sentences each MDM element cites, each pointing at the right offsets of the note text.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from medcoder.coding.em import EmResult, VisitContext, VisitType, level_visit
from medcoder.notes import parse_note, read_document

NOTES = Path(__file__).resolve().parents[2] / "data" / "em_notes"
CASES = sorted(path.stem for path in NOTES.glob("*.txt"))
# Discharge day management is leveled by time alone: its gold has no MDM levels.
MDM_CASES = [
    stem for stem in CASES if "mdm" in json.loads((NOTES / f"{stem}.json").read_text())["expected"]
]


def _load(stem: str) -> tuple[str, dict[str, Any], EmResult]:
    text = (NOTES / f"{stem}.txt").read_text()
    gold = json.loads((NOTES / f"{stem}.json").read_text())
    raw = gold["context"]
    context = VisitContext(
        visit_type=VisitType(raw["visit_type"]),
        new_patient=raw["new_patient"],
        patient_age=raw["patient_age"],
        date_of_service=dt.date.fromisoformat(raw["date_of_service"]),
        medicare=raw["medicare"],
    )
    return text, gold["expected"], level_visit(parse_note(read_document(text)), context)


class TestSuiteCoverage:
    def test_every_note_has_gold(self) -> None:
        assert sorted(p.stem for p in NOTES.glob("*.json")) == CASES

    def test_every_family_and_level_is_covered(self) -> None:
        codes: set[str] = set()
        for stem in CASES:
            gold = json.loads((NOTES / f"{stem}.json").read_text())["expected"]
            codes.update(line[0] for line in gold["lines"])
        wanted = {
            *("99202", "99203", "99204", "99205", "99211", "99212", "99213", "99214", "99215"),
            *("99383", "99386", "99392", "99397", "99417", "G2212"),
            *("99223", "99232", "99233", "99238", "99239"),
            *("99282", "99283", "99284", "99285"),
        }
        assert wanted <= codes


@pytest.mark.parametrize("stem", CASES)
class TestEmNoteSuite:
    def test_code_and_lines(self, stem: str) -> None:
        _, expected, result = _load(stem)
        assert result.code == expected["code"], result.rationale
        assert result.basis.value == expected["basis"], result.rationale
        lines = [[line.code, list(line.modifiers), line.units] for line in result.lines]
        assert lines == expected["lines"], result.rationale
        assert result.preventive_code == expected["preventive_code"]
        assert result.needs_modifier_25 is expected["needs_modifier_25"]
        assert result.preventive_diagnosis == expected["preventive_diagnosis"]
        assert result.time_minutes == expected["time_minutes"]
        assert result.new_patient == expected["new_patient"]
        assert result.code in result.rationale

    def test_evidence_points_at_the_right_sentences(self, stem: str) -> None:
        text, expected, result = _load(stem)
        for element, sentences in expected["evidence"].items():
            evidence = getattr(result.mdm, element).evidence
            assert [e.text for e in evidence] == sentences, element
            for item in evidence:
                assert text[item.start : item.end] == item.text


@pytest.mark.parametrize("stem", MDM_CASES)
class TestEmNoteSuiteMdm:
    def test_mdm_elements(self, stem: str) -> None:
        _, expected, result = _load(stem)
        got = {
            "mdm": result.mdm.level.value,
            "problems": result.mdm.problems.level.value,
            "data": result.mdm.data.level.value,
            "risk": result.mdm.risk.level.value,
        }
        want = {key: expected[key] for key in got}
        assert got == want, result.mdm.to_dict()
