"""The words E/M leveling reads, as data: conditions, tests and drugs.

The packaged lexicon is ``resources/em_lexicon.json``; a practice may pass its own
:class:`EmLexicon` (e.g. with more drug names). Unknown keys, unknown condition kinds and
patterns that do not compile are rejected with the path of the bad field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from medcoder.errors import InputError

__all__ = ["CONDITION_KINDS", "Condition", "EmLexicon", "TestName", "load_lexicon"]

#: Condition kinds: the problem category a condition has before qualifiers are read.
CONDITION_KINDS = ("chronic", "acute", "minor", "uncertain", "systemic", "injury", "threat")
_KEYS = ("description", "version", "conditions", "tests", "prescription_drugs", "otc_drugs")


@dataclass(frozen=True, slots=True)
class Condition:
    """A condition word: its canonical label, kind and regular expression."""

    label: str
    kind: str
    pattern: str


@dataclass(frozen=True, slots=True)
class TestName:
    """A unique test (a panel is one test): its canonical label and regular expression."""

    __test__ = False  # not a pytest test class, whatever its name says

    label: str
    pattern: str


@dataclass(frozen=True, slots=True)
class EmLexicon:
    """Conditions, tests and drug names for the three MDM elements."""

    conditions: tuple[Condition, ...]
    tests: tuple[TestName, ...]
    prescription_drugs: frozenset[str]
    otc_drugs: frozenset[str]
    version: int = 1
    description: str = ""
    _conditions: _Scanner = field(init=False, repr=False, compare=False)
    _tests: _Scanner = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_conditions", _Scanner.of(self.conditions))
        object.__setattr__(self, "_tests", _Scanner.of(self.tests))

    def find_conditions(
        self, text: str, start: int = 0, end: int | None = None
    ) -> list[tuple[Condition, re.Match[str]]]:
        """The conditions named in ``text[start:end]``, leftmost first (at one position,
        the first listed condition that matches wins)."""
        found = self._conditions.find(text, start, len(text) if end is None else end)
        return [(self.conditions[index], match) for index, match in found]

    def find_tests(
        self, text: str, start: int = 0, end: int | None = None
    ) -> list[tuple[TestName, re.Match[str]]]:
        """The tests named in ``text[start:end]``, leftmost first."""
        found = self._tests.find(text, start, len(text) if end is None else end)
        return [(self.tests[index], match) for index, match in found]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "em_lexicon") -> EmLexicon:
        """Validate and build a lexicon.

        Raises:
            InputError: an unknown key, a missing field, an unknown condition kind, a pattern
                that is not a valid regular expression, a drug name that is not lower case.
        """
        _only(data, _KEYS, where)
        conditions = tuple(
            _condition(item, f"{where}.conditions[{index}]")
            for index, item in enumerate(_list(data, "conditions", where))
        )
        tests = tuple(
            _test(item, f"{where}.tests[{index}]")
            for index, item in enumerate(_list(data, "tests", where))
        )
        return cls(
            conditions=conditions,
            tests=tests,
            prescription_drugs=_drugs(data, "prescription_drugs", where),
            otc_drugs=_drugs(data, "otc_drugs", where),
            version=int(data.get("version", 1)),
            description=str(data.get("description", "")),
        )

    def to_dict(self) -> dict[str, Any]:
        """The lexicon as ``from_dict`` reads it (drug names sorted)."""
        return {
            "description": self.description,
            "version": self.version,
            "conditions": [
                {"label": c.label, "kind": c.kind, "pattern": c.pattern} for c in self.conditions
            ],
            "tests": [{"label": t.label, "pattern": t.pattern} for t in self.tests],
            "prescription_drugs": sorted(self.prescription_drugs),
            "otc_drugs": sorted(self.otc_drugs),
        }


@dataclass(frozen=True, slots=True)
class _Scanner:
    """One expression for many entries, then the entry that matched.

    Named groups make a large alternation about twice slower in ``re``: the combined
    expression is plain (one word boundary, a letter lookahead) and finds where an entry
    matches; the entries' own expressions then tell which one, in listed order.
    """

    combined: re.Pattern[str]
    singles: tuple[re.Pattern[str], ...]

    @classmethod
    def of(cls, entries: Sequence[Condition | TestName]) -> _Scanner:
        alternatives = "|".join(f"(?:{entry.pattern})" for entry in entries)
        return cls(
            re.compile(rf"\b(?=[A-Za-z])(?:{alternatives})\b", re.IGNORECASE),
            tuple(re.compile(rf"(?:{entry.pattern})\b", re.IGNORECASE) for entry in entries),
        )

    def find(self, text: str, start: int, end: int) -> list[tuple[int, re.Match[str]]]:
        found: list[tuple[int, re.Match[str]]] = []
        for match in self.combined.finditer(text, start, end):
            for index, single in enumerate(self.singles):
                hit = single.match(text, match.start(), end)
                if hit is not None and hit.end() == match.end():
                    found.append((index, hit))
                    break
        return found


@lru_cache(maxsize=1)
def load_lexicon() -> EmLexicon:
    """The packaged lexicon (read once)."""
    text = resources.files("medcoder.coding.em").joinpath("resources/em_lexicon.json")
    return EmLexicon.from_dict(json.loads(text.read_text(encoding="utf-8")))


def _condition(item: object, where: str) -> Condition:
    data = _mapping(item, where)
    _only(data, ("label", "kind", "pattern"), where)
    kind = _text(data, "kind", where)
    if kind not in CONDITION_KINDS:
        raise InputError(
            f"{where}.kind must be one of {', '.join(CONDITION_KINDS)}; got {kind!r}",
            field=f"{where}.kind",
        )
    return Condition(_text(data, "label", where), kind, _pattern(data, where))


def _test(item: object, where: str) -> TestName:
    data = _mapping(item, where)
    _only(data, ("label", "pattern"), where)
    return TestName(_text(data, "label", where), _pattern(data, where))


def _pattern(data: Mapping[str, Any], where: str) -> str:
    pattern = _text(data, "pattern", where)
    try:
        re.compile(pattern)
    except re.error as exc:
        raise InputError(
            f"{where}.pattern is not a valid regular expression: {exc}", field=f"{where}.pattern"
        ) from exc
    return pattern


def _drugs(data: Mapping[str, Any], key: str, where: str) -> frozenset[str]:
    names = _list(data, key, where)
    for index, name in enumerate(names):
        if not isinstance(name, str) or not name or name != name.lower() or " " in name:
            raise InputError(
                f"{where}.{key}[{index}] must be one lower-case word, got {name!r}",
                field=f"{where}.{key}[{index}]",
            )
    return frozenset(names)


def _mapping(item: object, where: str) -> Mapping[str, Any]:
    if not isinstance(item, Mapping):
        raise InputError(f"{where} must be an object", field=where)
    return item


def _list(data: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list):
        raise InputError(f"{where}.{key} must be a list", field=f"{where}.{key}")
    return value


def _text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise InputError(f"{where}.{key} must be a non-empty string", field=f"{where}.{key}")
    return value


def _only(data: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise InputError(
            f"{where}: unknown keys {unknown}; expected some of: {', '.join(allowed)}",
            field=f"{where}.{unknown[0]}",
        )
