"""Coverage policies and payer rules loaded from YAML/CSV, run on encounters."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from medcoder.codesets import KnowledgeBase
from medcoder.edits import (
    EditCategory,
    EditConfig,
    Editor,
    Encounter,
    Severity,
    parse_encounter,
)
from medcoder.edits.coverage import (
    CoveragePolicy,
    example_policy_file,
    load_coverage,
    load_policies,
    parse_range,
)
from medcoder.edits.payer_rules import (
    CustomRule,
    PayerRules,
    edit_config_from_file,
    load_payer_file,
    load_payer_rules,
)
from medcoder.errors import InputError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "policies"


def encounter(
    *lines: dict[str, Any], dx: tuple[str, ...] = ("D51.0",), payer: str | None = None
) -> Encounter:
    return parse_encounter(
        {
            "date_of_service": "2026-05-01",
            "payer": payer,
            "patient": {"age": 70, "sex": "F"},
            "diagnoses": [{"code": c} for c in dx],
            "lines": [{"diagnosis_pointers": [1], **line} for line in lines],
        }
    )


def ids(kb: KnowledgeBase, enc: Encounter, config: EditConfig) -> list[str]:
    return [f.edit_id for f in Editor(kb, config).edit(enc).findings]


class TestRanges:
    @pytest.mark.parametrize(
        ("spec", "inside", "outside"),
        [
            ("E11.-", "E11.65", "E10.9"),
            ("E08-E13", "E13.9", "E14"),
            ("I10-I16", "I16.9", "I20.9"),
            ("N18.30-N18.32", "N1831", "N18.4"),
            ("E53.8", "E53.8", "E53.9"),
        ],
    )
    def test_covers(self, spec: str, inside: str, outside: str) -> None:
        r = parse_range(spec, "covered[0]")
        assert r.covers(inside) and not r.covers(outside)

    @pytest.mark.parametrize(
        ("spec", "message"),
        [
            (
                "E11.x9!",
                "'covered[0]' must be an ICD-10-CM code or range (E11.-, I10-I16, "
                "N18.30-N18.32), got 'E11.x9!'",
            ),
            ("I16-I10", "'covered[0]' range 'I16-I10' ends before it starts"),
        ],
    )
    def test_bad_range(self, spec: str, message: str) -> None:
        with pytest.raises(InputError, match=re.escape(message)):
            parse_range(spec, "covered[0]")


class TestExamplePolicy:
    def test_example_is_marked_and_uses_real_codes(self, kb: KnowledgeBase) -> None:
        text = example_policy_file().read_text("utf-8")
        assert "NOT a CMS National or Local Coverage Determination" in text
        policies = load_policies(example_policy_file())
        assert [p.id for p in policies] == [
            "example-b12-injection",
            "example-hba1c",
            "example-vitamin-d",
            "example-payer-therapy",
        ]
        for policy in policies:
            for r in policy.covered:
                assert kb.icd10cm.exists(r.first) and kb.icd10cm.exists(r.last), r
        assert kb.hcpcs.validate("J3420").valid

    def test_line_without_covered_diagnosis_is_an_error(self, kb: KnowledgeBase) -> None:
        rules = load_coverage(example_policy_file())
        assert [r.id for r in rules][:2] == [
            "coverage.example-b12-injection",
            "coverage.example-hba1c",
        ]
        enc = encounter({"code": "J3420"}, dx=("I10",))
        result = Editor(kb, EditConfig(extra_rules=tuple(rules))).edit(enc)
        [f] = [f for f in result.findings if f.edit_id.startswith("coverage.")]
        assert (f.edit_id, f.category, f.severity, f.line) == (
            "coverage.example-b12-injection",
            EditCategory.MEDICAL_NECESSITY,
            Severity.ERROR,
            0,
        )
        assert f.message == (
            "J3420 on line 1 is not covered for the diagnoses it points to (I10) under coverage "
            "policy example-b12-injection: Example policy: vitamin B12 injections are covered "
            "for B12 deficiency and malabsorption only."
        )
        assert f.fix == (
            "Point line 1 to a documented diagnosis the policy covers (D51, E53.8, K90.0-K90.9, "
            "K91.2); if none applies, the payer will deny the line as not medically necessary "
            "(for Medicare, have the patient sign an ABN and append GA)."
        )
        assert f.reference == "medcoder example policy (not a CMS NCD/LCD)"

    @pytest.mark.parametrize(
        ("code", "dx", "payer", "fires"),
        [
            ("J3420", ("D51.0",), None, False),
            ("J3420", ("I10", "K90.0"), None, True),
            ("83036", ("E11.9",), None, False),
            ("83036", ("Z13.1",), None, True),
            ("82306", ("N18.31",), None, False),
            ("82306", ("N18.9",), None, True),
            ("97110", ("I10",), None, False),
            ("97110", ("I10",), "EXAMPLE-PAYER", True),
            ("97110", ("M17.11",), "example-payer", False),
        ],
    )
    def test_cases(
        self, kb: KnowledgeBase, code: str, dx: tuple[str, ...], payer: str | None, fires: bool
    ) -> None:
        config = EditConfig(extra_rules=tuple(load_coverage(example_policy_file())))
        found = [
            i
            for i in ids(kb, encounter({"code": code}, dx=dx, payer=payer), config)
            if i.startswith("coverage.")
        ]
        assert bool(found) is fires

    def test_csv_policies(self, tmp_path: Path) -> None:
        path = tmp_path / "policies.csv"
        path.write_text(
            "id,payer,procedures,covered,message\n"
            'b12,*,J3420,"D51.- E53.8",B12 for deficiency only\n',
            encoding="utf-8",
        )
        [policy] = load_policies(path)
        assert policy.to_dict() == {
            "id": "b12",
            "payer": "*",
            "procedures": ["J3420"],
            "covered": ["D51", "E53.8"],
            "message": "B12 for deficiency only",
        }
        assert CoveragePolicy.from_dict(policy.to_dict()) == policy


class TestPolicyErrors:
    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (
                {
                    "policies": [
                        {
                            "id": "a",
                            "procedures": ["J3420"],
                            "covered": ["D51.-"],
                            "message": "m",
                            "covers": [],
                        }
                    ]
                },
                "'p.yaml: policies[0].covers' is not a policy key; expected one of: id, payer, "
                "procedures, covered, message, source",
            ),
            (
                {"policies": [{"id": "a", "procedures": ["J3420"], "message": "m"}]},
                "'p.yaml: policies[0].covered' is required",
            ),
            (
                {
                    "policies": [
                        {"id": "a", "procedures": ["J34"], "covered": ["D51.-"], "message": "m"}
                    ]
                },
                "'p.yaml: policies[0].procedures[0]' must be a CPT/HCPCS code, got 'J34'",
            ),
            ({"policy": []}, "'p.yaml: policy' is not a coverage file key; expected: policies"),
        ],
    )
    def test_field_paths(self, tmp_path: Path, data: object, message: str) -> None:
        path = tmp_path / "p.yaml"
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
        with pytest.raises(InputError, match=re.escape(message)):
            load_coverage(path)


class TestPayerRules:
    def test_example_payer_file(self, kb: KnowledgeBase) -> None:
        rules = load_payer_file(EXAMPLES / "example_payer.yaml")
        assert rules.payer == "EXAMPLE-PAYER"
        assert rules.disable == ("procedure.em_modifier25",)
        assert PayerRules.from_dict(rules.to_dict()) == rules
        assert [r.id for r in load_payer_rules(EXAMPLES / "example_payer.yaml")] == [
            "coverage.example-payer-b12",
            "payer.awv-modifier-33",
            "payer.b12-one-unit",
            "payer.no-virtual-check-in",
        ]

    def test_rules_fire_for_the_payer_only(self, kb: KnowledgeBase) -> None:
        config = edit_config_from_file(EXAMPLES / "example_payer.yaml")
        assert "procedure.em_modifier25" in config.disabled
        enc = encounter(
            {"code": "G0439"},
            {"code": "J3420", "units": 2},
            {"code": "G2012"},
            dx=("D51.0",),
            payer="EXAMPLE-PAYER",
        )
        findings = {
            f.edit_id: f
            for f in Editor(kb, config).edit(enc).findings
            if f.category is EditCategory.PAYER
        }
        assert sorted(findings) == [
            "payer.awv-modifier-33",
            "payer.b12-one-unit",
            "payer.no-virtual-check-in",
        ]
        assert findings["payer.awv-modifier-33"].message == (
            "G0439 on line 1 needs modifier 33 for this payer: EXAMPLE-PAYER pays annual "
            "wellness visits as preventive services only with modifier 33."
        )
        assert findings["payer.b12-one-unit"].message == (
            "2 units of J3420 on 2026-05-01 exceed this payer's limit of 1: EXAMPLE-PAYER pays "
            "one unit of J3420 per day."
        )
        assert findings["payer.no-virtual-check-in"].fix == (
            "Remove G2012 or bill it to the patient as the payer's contract allows."
        )
        other = encounter({"code": "G0439"}, {"code": "G2012"}, payer="OTHER")
        assert not [i for i in ids(kb, other, config) if i.startswith("payer.")]
        ok = encounter({"code": "G0439", "modifiers": ["33"]}, payer="EXAMPLE-PAYER")
        assert not [i for i in ids(kb, ok, config) if i.startswith("payer.")]

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (
                {"payers": "X"},
                "'x.yaml: payers' is not a payer rules key; expected one of: "
                "payer, disable, coverage, rules",
            ),
            (
                {
                    "rules": [
                        {
                            "id": "a",
                            "kind": "max_units",
                            "codes": ["J3420"],
                            "max_unit": 2,
                            "message": "m",
                        }
                    ]
                },
                "'x.yaml: rules[0].max_unit' is not a max_units rule key; expected one of: id, "
                "kind, codes, max_units, message",
            ),
            (
                {"rules": [{"id": "a", "kind": "max", "codes": ["J3420"], "message": "m"}]},
                "'x.yaml: rules[0].kind' must be one of: required_modifier, max_units, "
                "not_covered, got 'max'",
            ),
            (
                {
                    "rules": [
                        {
                            "id": "a",
                            "kind": "max_units",
                            "codes": ["J3420"],
                            "max_units": 0,
                            "message": "m",
                        }
                    ]
                },
                "'x.yaml: rules[0].max_units' must be a whole number of at least 1, got 0",
            ),
            (
                {
                    "rules": [
                        {
                            "id": "a",
                            "kind": "required_modifier",
                            "codes": ["G0439"],
                            "modifiers": ["333"],
                            "message": "m",
                        }
                    ]
                },
                "'x.yaml: rules[0].modifiers[0]' must be a 2-character modifier, got '333'",
            ),
            (
                {
                    "coverage": [
                        {
                            "id": "b",
                            "procedures": ["J3420"],
                            "covered": ["D51.-"],
                            "message": "m",
                            "payers": "*",
                        }
                    ]
                },
                "'x.yaml: coverage[0].payers' is not a policy key",
            ),
        ],
    )
    def test_field_paths(self, tmp_path: Path, data: object, message: str) -> None:
        path = tmp_path / "x.yaml"
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
        with pytest.raises(InputError, match=re.escape(message)):
            load_payer_rules(path)

    def test_custom_rule_round_trip(self) -> None:
        data = {
            "id": "a",
            "kind": "required_modifier",
            "codes": ["G0439"],
            "modifiers": ["33"],
            "message": "m",
        }
        assert CustomRule.from_dict(data).to_dict() == data
