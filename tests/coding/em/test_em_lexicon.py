"""The E/M lexicon is data: packaged, validated, round-tripped and replaceable."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from medcoder.coding.em import EmLexicon, VisitContext, VisitType, level_visit, load_lexicon
from medcoder.errors import InputError
from medcoder.notes import parse_note, read_document


class TestPackagedLexicon:
    def test_loads_with_every_kind(self) -> None:
        lexicon = load_lexicon()
        kinds = {condition.kind for condition in lexicon.conditions}
        assert kinds == {"chronic", "acute", "minor", "uncertain", "systemic", "injury", "threat"}
        assert "metformin" in lexicon.prescription_drugs
        assert "acetaminophen" in lexicon.otc_drugs
        assert not lexicon.prescription_drugs & lexicon.otc_drugs

    def test_labels_are_unique_per_kind_of_entry(self) -> None:
        lexicon = load_lexicon()
        tests = [test.label for test in lexicon.tests]
        assert len(tests) == len(set(tests))

    def test_round_trip(self) -> None:
        lexicon = load_lexicon()
        assert EmLexicon.from_dict(lexicon.to_dict()) == lexicon


def _data(**changes: Any) -> dict[str, Any]:
    data = load_lexicon().to_dict()
    data.update(changes)
    return data


class TestValidation:
    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"extra": 1}, "em_lexicon: unknown keys ['extra']"),
            ({"tests": {}}, "em_lexicon.tests must be a list"),
            (
                {"conditions": [{"label": "x", "kind": "odd", "pattern": "x"}]},
                "em_lexicon.conditions[0].kind must be one of chronic, acute",
            ),
            (
                {"conditions": [{"label": "x", "kind": "acute", "pattern": "("}]},
                "em_lexicon.conditions[0].pattern is not a valid regular expression",
            ),
            (
                {"tests": [{"label": "x", "pattern": "x", "loinc": "1"}]},
                "em_lexicon.tests[0]: unknown keys ['loinc']",
            ),
            ({"otc_drugs": ["Tylenol"]}, "em_lexicon.otc_drugs[0] must be one lower-case word"),
        ],
    )
    def test_bad_data_names_the_field(self, changes: dict[str, Any], message: str) -> None:
        with pytest.raises(InputError, match=re.escape(message)):
            EmLexicon.from_dict(_data(**changes))


class TestCustomLexicon:
    def test_a_practice_can_add_a_drug(self) -> None:
        note = parse_note(read_document("A/P: Hypertension, stable. Continue zestoretic daily."))
        context = VisitContext(visit_type=VisitType.OFFICE, new_patient=False)
        assert level_visit(note, context).mdm.risk.level.value == "straightforward"
        packaged = load_lexicon()
        lexicon = dataclasses.replace(
            packaged, prescription_drugs=packaged.prescription_drugs | {"zestoretic"}
        )
        result = level_visit(note, context, lexicon=lexicon)
        assert (result.mdm.risk.level.value, result.code) == ("moderate", "99213")
