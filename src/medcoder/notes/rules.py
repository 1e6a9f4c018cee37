"""Rule data for sections and ConText assertion, packaged as JSON in ``notes/resources``.

Each rule class has ``from_dict`` (unknown keys are rejected, so a typo in the data fails
loudly) and ``to_dict`` (the round trip gives back the same mapping).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from typing import TypeVar

from medcoder.errors import InputError
from medcoder.notes.model import Assertion, SectionKind

__all__ = [
    "ContextRule",
    "Direction",
    "SectionRule",
    "load_context_rules",
    "load_section_rules",
]

_E = TypeVar("_E", bound=StrEnum)


class Direction(StrEnum):
    """Which way a ConText cue reaches, or what else a rule does."""

    FORWARD = "forward"  # "no fever": the mention follows the cue
    BACKWARD = "backward"  # "pneumonia was ruled out": the mention precedes it
    BIDIRECTIONAL = "bidirectional"  # "pneumonia vs atelectasis"
    TERMINATE = "terminate"  # "but", "which": ends the scope of earlier / later cues
    PSEUDO = "pseudo"  # "no increase", "gram negative": looks like a cue, is not one


@dataclass(frozen=True, slots=True)
class SectionRule:
    """The headings of one section kind.

    ``headings`` match case-insensitively, ``abbreviations`` exactly as written (``HPI``),
    ``letters`` are SOAP letters (``S``) that count only with a colon. A heading counts at
    the start of a line, followed by a colon or alone on its line (abbreviations and letters:
    only with the colon).
    """

    kind: SectionKind
    headings: tuple[str, ...]
    abbreviations: tuple[str, ...] = ()
    letters: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, object], *, where: str = "section") -> SectionRule:
        """Build a rule from its JSON mapping.

        Raises:
            InputError: An unknown key, an unknown section kind or a non-list of strings.
        """
        _check_keys(data, ("kind", "headings", "abbreviations", "letters"), ("kind",), where)
        return cls(
            kind=_enum(SectionKind, data["kind"], f"{where}.kind"),
            headings=_strings(data.get("headings", []), f"{where}.headings"),
            abbreviations=_strings(data.get("abbreviations", []), f"{where}.abbreviations"),
            letters=_strings(data.get("letters", []), f"{where}.letters"),
        )

    def to_dict(self) -> dict[str, object]:
        """The JSON mapping of the rule (empty lists are left out)."""
        out: dict[str, object] = {"kind": self.kind.value, "headings": list(self.headings)}
        if self.abbreviations:
            out["abbreviations"] = list(self.abbreviations)
        if self.letters:
            out["letters"] = list(self.letters)
        return out


@dataclass(frozen=True, slots=True)
class ContextRule:
    """One ConText cue.

    Attributes:
        literal: The cue words, matched case-insensitively on word boundaries with flexible
            whitespace; the name of the rule when ``pattern`` is given.
        category: The assertion the cue gives; for TERMINATE the category whose scope it ends
            (None: every category); unused for PSEUDO.
        direction: See :class:`Direction`.
        pattern: A regular expression used instead of the literal (``r/o``, ``s/p``).
        max_scope: The most words between the cue and the mention; None: up to the end of
            the sentence or a termination.
    """

    literal: str
    category: Assertion | None
    direction: Direction
    pattern: str | None = None
    max_scope: int | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, object], *, where: str = "rule") -> ContextRule:
        """Build a rule from its JSON mapping.

        Raises:
            InputError: An unknown key, a bad category or direction, a cue without category.
        """
        keys = ("literal", "category", "direction", "pattern", "max_scope")
        _check_keys(data, keys, ("literal", "direction"), where)
        direction = _enum(Direction, data["direction"], f"{where}.direction")
        raw_category = data.get("category")
        category = (
            None if raw_category is None else _enum(Assertion, raw_category, f"{where}.category")
        )
        if category is None and direction not in (Direction.TERMINATE, Direction.PSEUDO):
            raise InputError(f"{where}.category is required for a {direction} cue", field=where)
        literal, pattern, scope = data["literal"], data.get("pattern"), data.get("max_scope")
        if not isinstance(literal, str) or not literal.strip():
            raise InputError(f"{where}.literal must be a non-empty string", field=where)
        if pattern is not None and not isinstance(pattern, str):
            raise InputError(f"{where}.pattern must be a string", field=f"{where}.pattern")
        if scope is not None and (isinstance(scope, bool) or not isinstance(scope, int)):
            raise InputError(f"{where}.max_scope must be an integer", field=f"{where}.max_scope")
        return cls(literal, category, direction, pattern, scope)

    def to_dict(self) -> dict[str, object]:
        """The JSON mapping of the rule (unset optional fields are left out)."""
        out: dict[str, object] = {"literal": self.literal, "direction": self.direction.value}
        if self.category is not None:
            out["category"] = self.category.value
        if self.pattern is not None:
            out["pattern"] = self.pattern
        if self.max_scope is not None:
            out["max_scope"] = self.max_scope
        return out


def load_section_rules() -> tuple[SectionRule, ...]:
    """The packaged US note headings (``resources/sections.json``)."""
    data = _load("sections.json", "section_rules")
    return tuple(SectionRule.from_dict(d, where=f"section_rules[{i}]") for i, d in enumerate(data))


def load_context_rules() -> tuple[ContextRule, ...]:
    """The packaged ConText cues (``resources/context_rules.json``)."""
    data = _load("context_rules.json", "context_rules")
    return tuple(ContextRule.from_dict(d, where=f"context_rules[{i}]") for i, d in enumerate(data))


def _load(name: str, key: str) -> list[Mapping[str, object]]:
    text = resources.files("medcoder.notes").joinpath("resources").joinpath(name).read_text("utf-8")
    data = json.loads(text)
    _check_keys(data, (key, "description"), (key,), name)
    rules = data[key]
    if not isinstance(rules, list) or not all(isinstance(r, Mapping) for r in rules):
        raise InputError(f"{name}: {key} must be a list of objects", field=key)
    return rules


def _check_keys(data: object, allowed: Sequence[str], required: Sequence[str], where: str) -> None:
    if not isinstance(data, Mapping):
        raise InputError(f"{where} must be an object", field=where)
    for key in data:
        if key not in allowed:
            raise InputError(
                f"{where}: unknown key {key!r}; expected one of: {', '.join(allowed)}",
                field=f"{where}.{key}",
            )
    for key in required:
        if key not in data:
            raise InputError(f"{where}: missing key {key!r}", field=f"{where}.{key}")


def _enum(cls: type[_E], value: object, where: str) -> _E:
    if isinstance(value, str) and value in cls._value2member_map_:
        return cls(value)
    allowed = ", ".join(m.value for m in cls)
    raise InputError(f"{where} must be one of: {allowed}; got {value!r}", field=where)


def _strings(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise InputError(f"{where} must be a list of non-empty strings", field=where)
    return tuple(value)
