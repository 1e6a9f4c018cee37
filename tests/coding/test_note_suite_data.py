"""The synthetic note suite (tests/data/notes) is well formed and its gold codes are real.

A wrong gold code is worse than none, so every expected and forbidden code is checked against
the vendored FY2026 ICD-10-CM files: it must exist, expected codes must be billable (a leaf of
the hierarchy), and a 7th character must be one the Tabular List defines for that code.
"""

from __future__ import annotations

import datetime as dt
import json
import lzma
import re
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTES = ROOT / "tests" / "data" / "notes"
EXAMPLES = ROOT / "examples" / "notes"
ICD = ROOT / "data" / "icd10cm-2026-04"

KEYS = {
    "id",
    "setting",
    "date_of_service",
    "patient",
    "rules",
    "expected",
    "forbidden",
    "expected_warnings",
    "rationale",
}
SETTINGS = {"outpatient", "inpatient"}
FY2026_APRIL = (dt.date(2026, 4, 1), dt.date(2026, 9, 30))
DOTTED = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")

#: The rule names documented in tests/data/notes/README.md.
RULES = frozenset(
    """uncertain_dx_outpatient uncertain_dx_inpatient negation symptom_integral with_presumption
    first_listed principal_diagnosis family_history personal_history long_term_drug_therapy
    status_code diabetes_ckd diabetes_neuropathy diabetes_foot_ulcer hypertension_heart_disease
    hypertension_ckd hypertension_heart_ckd heart_failure_type_acuity
    heart_failure_unspecified_query ckd_stage afib_type acute_mi_timing copd_exacerbation
    asthma_severity pneumonia_organism uti_organism sepsis severe_sepsis_shock
    injury_7th_character aftercare_injury sequela laterality laterality_unspecified_query
    fracture_defaults excludes1 obesity_bmi tobacco depression gerd osa bph_luts hyperlipidemia
    hypothyroidism preventive_visit""".split()
)

#: "Use additional code" pairings the suite must honour: if a note expects a code starting with
#: the key, it also expects a code starting with one of the values.
ADDITIONAL = {
    "E11.22": ("N18.",),
    "I12.": ("N18.",),
    "I13.": ("N18.",),
    "I11.0": ("I50.",),
    "I13.0": ("I50.",),
    "I13.2": ("I50.",),
    "E11.621": ("L97.4", "L97.5"),
    "N18.6": ("Z99.2",),
    "N39.0": ("B95.", "B96.", "B97."),
    "Z68.": ("E66.",),
}


def _undot(code: str) -> str:
    return code.replace(".", "")


@cache
def _codes() -> tuple[frozenset[str], frozenset[str]]:
    """(all codes, billable leaves) of the FY2026 code list, undotted.

    The list holds chapters (digits), blocks (``A00-A09``), categories and codes, including
    every 7-character code; a code is a leaf when no other code extends it. Sorted, the codes
    extending X form the run that follows X, so a leaf is a code its successor does not extend.
    """
    with lzma.open(ICD / "code-list-April-2026.txt.xz", "rt", encoding="utf-8") as f:
        rows = {line.strip() for line in f}
    codes = sorted(r for r in rows if r and "-" not in r and not r.isdigit())
    leaves = {
        code
        for code, successor in zip(codes, [*codes[1:], ""], strict=True)
        if not successor.startswith(code)
    }
    return frozenset(codes), frozenset(leaves)


@cache
def _seventh_characters() -> dict[str, frozenset[str]]:
    """Tabular diag name (dotted) -> the 7th characters it allows (inherited from ancestors)."""
    allowed: dict[str, frozenset[str]] = {}

    def walk(element: ET.Element, inherited: frozenset[str]) -> None:
        for diag in element.findall("diag"):
            own = diag.find("sevenChrDef")
            chars = inherited
            if own is not None:
                chars = frozenset(e.get("char", "") for e in own.findall("extension"))
            allowed[diag.findtext("name", "")] = chars
            walk(diag, chars)

    with lzma.open(ICD / "icd10cm-tabular-April-1-2026.xml.xz") as f:
        root = ET.parse(f).getroot()
    for chapter in root.findall("chapter"):
        for section in chapter.findall("section"):
            walk(section, frozenset())
    return allowed


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _note_paths() -> list[Path]:
    return sorted(NOTES.glob("*.json"))


def _all_codes(note: dict[str, Any]) -> list[str]:
    return [*note["expected"], *note["forbidden"]]


NOTE_IDS = [p.stem for p in _note_paths()]


@pytest.fixture(params=NOTE_IDS)
def note(request: pytest.FixtureRequest) -> dict[str, Any]:
    return _load(NOTES / f"{request.param}.json")


class TestSuiteShape:
    def test_at_least_thirty_notes_each_with_text_and_json(self) -> None:
        texts = {p.stem for p in NOTES.glob("*.txt")}
        assert len(NOTE_IDS) >= 30
        assert texts == set(NOTE_IDS)

    def test_both_settings_and_some_queries_are_covered(self) -> None:
        notes = [_load(p) for p in _note_paths()]
        assert {n["setting"] for n in notes} == SETTINGS
        warnings = {w for n in notes for w in n["expected_warnings"]}
        assert {"heart failure type", "laterality"} <= warnings

    def test_every_documented_rule_is_exercised(self) -> None:
        used = {rule for p in _note_paths() for rule in _load(p)["rules"]}
        assert used == RULES


class TestNoteRecord:
    def test_keys_and_types(self, note: dict[str, Any]) -> None:
        assert set(note) == KEYS
        assert note["setting"] in SETTINGS
        assert isinstance(note["rationale"], str) and len(note["rationale"]) > 80
        for key in ("rules", "expected", "forbidden", "expected_warnings"):
            assert isinstance(note[key], list)
            assert all(isinstance(item, str) and item for item in note[key])
        assert note["expected"], "a note without expected codes tests nothing"

    def test_id_matches_file_and_setting_prefix(self, note: dict[str, Any]) -> None:
        assert (NOTES / f"{note['id']}.json").is_file()
        assert note["id"][:2] == {"outpatient": "op", "inpatient": "ip"}[note["setting"]]

    def test_date_of_service_in_fy2026_april_release(self, note: dict[str, Any]) -> None:
        date = dt.date.fromisoformat(note["date_of_service"])
        assert FY2026_APRIL[0] <= date <= FY2026_APRIL[1]

    def test_patient(self, note: dict[str, Any]) -> None:
        patient = note["patient"]
        assert set(patient) == {"age", "sex"}
        assert isinstance(patient["age"], int) and 0 <= patient["age"] <= 110
        assert patient["sex"] in {"M", "F"}

    def test_rules_are_documented(self, note: dict[str, Any]) -> None:
        assert note["rules"] and set(note["rules"]) <= RULES

    def test_codes_are_dotted_unique_and_disjoint(self, note: dict[str, Any]) -> None:
        codes = _all_codes(note)
        assert all(DOTTED.match(code) for code in codes), codes
        assert len(codes) == len(set(codes))
        assert not set(note["expected"]) & set(note["forbidden"])

    def test_note_text_is_a_short_clinical_note(self, note: dict[str, Any]) -> None:
        text = (NOTES / f"{note['id']}.txt").read_text(encoding="utf-8")
        lines = text.splitlines()
        assert 5 <= len(lines) <= 25
        assert "Assessment" in text or "diagnos" in text.lower()


class TestGoldCodes:
    def test_expected_codes_are_billable_fy2026_codes(self, note: dict[str, Any]) -> None:
        _, leaves = _codes()
        not_billable = [c for c in note["expected"] if _undot(c) not in leaves]
        assert not not_billable

    def test_forbidden_codes_exist_in_fy2026(self, note: dict[str, Any]) -> None:
        codes, _ = _codes()
        unknown = [c for c in note["forbidden"] if _undot(c) not in codes]
        assert not unknown

    def test_seventh_character_is_defined_by_the_tabular(self, note: dict[str, Any]) -> None:
        allowed = _seventh_characters()
        for code in _all_codes(note):
            if len(_undot(code)) != 7:
                continue
            base = code[:-1].rstrip("X").rstrip(".")
            assert base in allowed, code
            assert code[-1] in allowed[base], code

    def test_use_additional_code_instructions_are_honoured(self, note: dict[str, Any]) -> None:
        expected = note["expected"]
        for trigger, partners in ADDITIONAL.items():
            if any(code.startswith(trigger) for code in expected):
                assert any(c.startswith(partners) for c in expected if c != trigger), trigger

    def test_sequencing_constraints(self, note: dict[str, Any]) -> None:
        expected = note["expected"]
        first = expected[0]
        # Never first: septic shock/severe sepsis (I.C.1.d.2), BMI (I.C.21.c.3), organism
        # codes B95-B97 (supplementary to the infection they identify).
        assert not first.startswith(("R65.2", "Z68.", "B95.", "B96.", "B97.")), first
        for code in expected:
            if code.startswith(("Z00.0", "Z08")):
                assert code == first
        if "Z00.01" in expected:
            assert any(not code.startswith("Z") for code in expected), "abnormal finding missing"


class TestLeafCheck:
    """The leaf test itself distinguishes categories, padded 7th-character codes and ranges."""

    @pytest.mark.parametrize("code", ["I10", "E11.22", "S52.531D", "T07.XXXA", "Z68.27"])
    def test_billable(self, code: str) -> None:
        assert _undot(code) in _codes()[1]

    @pytest.mark.parametrize("code", ["E11.2", "S52.531", "T07", "Z98.89", "I48.1"])
    def test_not_billable(self, code: str) -> None:
        codes, leaves = _codes()
        assert _undot(code) in codes and _undot(code) not in leaves


class TestDemoNotes:
    NAMES = (
        "soap_progress_note",
        "discharge_summary",
        "injury_visit",
        "preventive_visit",
        "office_procedure_visit",
    )

    @pytest.mark.parametrize("name", NAMES)
    def test_envelope_matches_text(self, name: str) -> None:
        envelope = _load(EXAMPLES / f"{name}.json")
        assert set(envelope) == {"text", "setting", "date_of_service", "patient"}
        assert envelope["text"] == (EXAMPLES / f"{name}.txt").read_text(encoding="utf-8")
        assert envelope["setting"] in SETTINGS
        date = dt.date.fromisoformat(envelope["date_of_service"])
        assert FY2026_APRIL[0] <= date <= FY2026_APRIL[1]
        assert set(envelope["patient"]) == {"age", "sex"}

    def test_only_the_demo_notes(self) -> None:
        assert {p.stem for p in EXAMPLES.glob("*.json")} == set(self.NAMES)
