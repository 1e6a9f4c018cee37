"""Rule data: the packaged JSON loads, round-trips, and typos in it are rejected."""

from __future__ import annotations

import re

import pytest

from medcoder.errors import InputError
from medcoder.notes import (
    Assertion,
    ContextEngine,
    ContextRule,
    Direction,
    Document,
    SectionFinder,
    SectionKind,
    SectionRule,
    parse_note,
)
from medcoder.notes.rules import load_context_rules, load_section_rules


class TestPackagedRules:
    def test_every_section_kind_has_headings(self) -> None:
        kinds = {rule.kind for rule in load_section_rules()}
        assert kinds == set(SectionKind) - {SectionKind.UNLABELED}

    def test_round_trip(self) -> None:
        for section_rule in load_section_rules():
            assert SectionRule.from_dict(section_rule.to_dict()) == section_rule
        for context_rule in load_context_rules():
            assert ContextRule.from_dict(context_rule.to_dict()) == context_rule

    def test_every_category_has_forward_cues(self) -> None:
        forward = {r.category for r in load_context_rules() if r.direction is Direction.FORWARD}
        assert forward == set(Assertion) - {Assertion.PRESENT}


class TestFromDict:
    def test_unknown_key(self) -> None:
        message = (
            "rule: unknown key 'directon'; expected one of: literal, category, direction, "
            "pattern, max_scope"
        )
        with pytest.raises(InputError, match=re.escape(message)):
            ContextRule.from_dict({"literal": "no", "directon": "forward"})

    def test_bad_direction(self) -> None:
        message = (
            "rule.direction must be one of: forward, backward, bidirectional, terminate, "
            "pseudo; got 'sideways'"
        )
        with pytest.raises(InputError, match=re.escape(message)):
            ContextRule.from_dict({"literal": "no", "direction": "sideways", "category": "negated"})

    def test_cue_needs_a_category(self) -> None:
        message = "rule.category is required for a forward cue"
        with pytest.raises(InputError, match=re.escape(message)):
            ContextRule.from_dict({"literal": "no", "direction": "forward"})

    def test_unknown_section_kind(self) -> None:
        with pytest.raises(InputError, match=re.escape("section.kind must be one of: unlabeled")):
            SectionRule.from_dict({"kind": "vitals", "headings": ["vitals"]})


class TestCustomRules:
    def test_engine_with_own_rules(self) -> None:
        engine = ContextEngine([ContextRule("nil", Assertion.NEGATED, Direction.FORWARD)])
        note = parse_note(Document("Nil haemoptysis. No fever."))
        results = engine.assert_spans(note, [(4, 15), (20, 25)])
        assert [r.status for r in results] == [Assertion.NEGATED, Assertion.PRESENT]

    def test_finder_with_own_rules(self) -> None:
        finder = SectionFinder([SectionRule(SectionKind.PLAN, ("management",))])
        note = parse_note(Document("Asthma.\nManagement: inhaler."), sections=finder)
        assert [s.kind for s in note.sections] == [SectionKind.UNLABELED, SectionKind.PLAN]
