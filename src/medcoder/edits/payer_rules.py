"""Payer-specific rules from a YAML file a practice maintains.

One file per payer (or ``payer: "*"`` for rules of every payer)::

    payer: EXAMPLE-PAYER               # custom rules and coverage apply to this payer's claims
    disable: [procedure.em_modifier25]  # edit ids (or prefixes ending in ".") not to run
    coverage:                          # coverage policies (see medcoder.edits.coverage)
      - {id: pt-knee, procedures: ["97110"], covered: [M17.-], message: ...}
    rules:
      - id: awv-modifier               # the edit id becomes payer.awv-modifier
        kind: required_modifier        # one of the modifiers must be on the line
        codes: [G0438, G0439]
        modifiers: ["33"]
        message: This payer pays annual wellness visits only with modifier 33.
      - id: b12-units
        kind: max_units                # units per code per date of service
        codes: [J3420]
        max_units: 1
        message: This payer pays one unit of J3420 per day.
      - id: no-telehealth-g2012
        kind: not_covered              # the payer never pays these codes
        codes: [G2012]
        message: This payer does not pay virtual check-ins.

``disable`` applies to the whole run (it is an :class:`EditConfig` setting); the rules and
policies only to encounters whose ``payer`` matches. Every key is checked: a typo fails with
its field path (``'rules[1].max_unit' is not a rule key``).

Example:
    >>> config = edit_config_from_file(Path("payer.yaml"))
    >>> Editor(kb, config).edit(encounter)
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, Literal, get_args

import yaml

from medcoder.edits._data import check_keys
from medcoder.edits.coverage import CoveragePolicy, coverage_rules
from medcoder.edits.encounter import Encounter
from medcoder.edits.engine import EditCategory, EditConfig, EditContext, EditFinding, EditRule
from medcoder.edits.ncci_edits import line_date
from medcoder.errors import InputError

__all__ = [
    "CustomRule",
    "PayerRule",
    "PayerRules",
    "RuleKind",
    "edit_config_from_file",
    "load_payer_file",
    "load_payer_rules",
]

RuleKind = Literal["required_modifier", "max_units", "not_covered"]
_KINDS: tuple[str, ...] = get_args(RuleKind)
_RULE_KEYS: dict[str, tuple[str, ...]] = {
    "required_modifier": ("id", "kind", "codes", "modifiers", "message"),
    "max_units": ("id", "kind", "codes", "max_units", "message"),
    "not_covered": ("id", "kind", "codes", "message"),
}
_FILE_KEYS = ("payer", "disable", "coverage", "rules")
_ID = re.compile(r"[a-z0-9][a-z0-9_.-]*")
_CODE = re.compile(r"[0-9A-Z]{4}[0-9A-Z]")
_MODIFIER = re.compile(r"[0-9A-Z]{2}")


def _codes(value: object, where: str, shape: re.Pattern[str], what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise InputError(f"'{where}' must be a non-empty list, got {value!r}", field=where)
    out = []
    for i, item in enumerate(value):
        text = str(item).strip().upper()
        if not shape.fullmatch(text):
            raise InputError(f"'{where}[{i}]' must be {what}, got {item!r}", field=f"{where}[{i}]")
        out.append(text)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class CustomRule:
    """A simple payer rule: a required modifier, a units limit or codes never paid."""

    id: str
    kind: RuleKind
    codes: tuple[str, ...]
    message: str
    modifiers: tuple[str, ...] = ()
    max_units: int | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "rule") -> CustomRule:
        """A rule from its YAML form.

        Raises:
            InputError: unknown kind, unknown or missing key, bad code (field path given).
        """
        if not isinstance(data, Mapping):
            raise InputError(f"'{where}' must be a mapping, got {data!r}", field=where)
        kind = data.get("kind")
        if kind not in _KINDS:
            raise InputError(
                f"'{where}.kind' must be one of: {', '.join(_KINDS)}, got {kind!r}",
                field=f"{where}.kind",
            )
        check_keys(data, _RULE_KEYS[str(kind)], where, f"{kind} rule")
        rule_id = str(data["id"]).strip()
        if not _ID.fullmatch(rule_id):
            raise InputError(
                f"'{where}.id' must be lower-case letters, digits, '-', '_' or '.', "
                f"got {data['id']!r}",
                field=f"{where}.id",
            )
        message = data["message"]
        if not isinstance(message, str) or not message.strip():
            raise InputError(f"'{where}.message' must be non-empty text", field=f"{where}.message")
        units = data.get("max_units")
        if kind == "max_units" and (not isinstance(units, int) or isinstance(units, bool)
                                    or units < 1):  # fmt: skip
            raise InputError(
                f"'{where}.max_units' must be a whole number of at least 1, got {units!r}",
                field=f"{where}.max_units",
            )
        modifiers = (
            _codes(data["modifiers"], f"{where}.modifiers", _MODIFIER, "a 2-character modifier")
            if kind == "required_modifier"
            else ()
        )
        return cls(
            id=rule_id,
            kind=kind,
            codes=_codes(data["codes"], f"{where}.codes", _CODE, "a CPT/HCPCS code"),
            message=message.strip(),
            modifiers=modifiers,
            max_units=units if kind == "max_units" else None,
        )

    def to_dict(self) -> dict[str, Any]:
        """The YAML form (``from_dict(to_dict())`` gives an equal rule)."""
        out: dict[str, Any] = {"id": self.id, "kind": self.kind, "codes": list(self.codes)}
        if self.kind == "required_modifier":
            out["modifiers"] = list(self.modifiers)
        if self.kind == "max_units":
            out["max_units"] = self.max_units
        out["message"] = self.message
        return out


class PayerRule(EditRule):
    """The edit of one :class:`CustomRule` (id ``payer.<rule id>``)."""

    id: ClassVar[str] = "payer"
    category = EditCategory.PAYER
    reference = "Payer rules file of the practice"

    def __init__(self, rule: CustomRule, payer: str) -> None:
        self.rule = rule
        self.payer = payer

    def check(self, encounter: Encounter, ctx: EditContext) -> Iterable[EditFinding]:
        if self.payer != "*" and (encounter.payer or "").casefold() != self.payer.casefold():
            return []
        rule = self.rule
        findings: list[EditFinding] = []
        totals: dict[tuple[str, Any], list[int]] = defaultdict(list)
        for i, line in enumerate(encounter.lines):
            if line.code not in rule.codes:
                continue
            if rule.kind == "required_modifier" and not set(rule.modifiers) & set(line.modifiers):
                findings.append(self.finding(
                    f"{line.code} on line {i + 1} needs modifier {' or '.join(rule.modifiers)} "
                    f"for this payer: {rule.message}",
                    f"Append modifier {' or '.join(rule.modifiers)} to line {i + 1} when it "
                    "applies.",
                    codes=(line.code,), line=i,
                ))  # fmt: skip
            elif rule.kind == "not_covered":
                findings.append(self.finding(
                    f"{line.code} on line {i + 1} is not paid by this payer: {rule.message}",
                    f"Remove {line.code} or bill it to the patient as the payer's contract "
                    "allows.",
                    codes=(line.code,), line=i,
                ))  # fmt: skip
            elif rule.kind == "max_units":
                totals[(line.code, line_date(line, encounter))].append(i)
        for (code, day), lines in totals.items():
            units = sum(encounter.lines[i].units for i in lines)
            if rule.max_units is not None and units > rule.max_units:
                findings.append(self.finding(
                    f"{units} units of {code} on {day.isoformat()} exceed this payer's limit of "
                    f"{rule.max_units}: {rule.message}",
                    f"Reduce the units of {code} to {rule.max_units}.",
                    codes=(code,), line=lines[0],
                ))  # fmt: skip
        return findings


@dataclass(frozen=True, slots=True)
class PayerRules:
    """The content of a payer rules file."""

    payer: str = "*"
    disable: tuple[str, ...] = ()
    coverage: tuple[CoveragePolicy, ...] = ()
    rules: tuple[CustomRule, ...] = field(default=())

    @classmethod
    def from_dict(cls, data: Any, *, where: str = "") -> PayerRules:
        """The file's content from its decoded YAML.

        Raises:
            InputError: an unknown key anywhere, a bad value (with its field path).
        """
        if data is None:
            return cls()
        prefix = f"{where}: " if where else ""
        if not isinstance(data, Mapping):
            raise InputError(f"{prefix}a payer rules file must be a mapping", field="")
        for key in data:
            if key not in _FILE_KEYS:
                raise InputError(
                    f"'{prefix}{key}' is not a payer rules key; expected one of: "
                    f"{', '.join(_FILE_KEYS)}",
                    field=str(key),
                )
        payer = str(data.get("payer", "*")).strip() or "*"
        disable = data.get("disable", [])
        if not isinstance(disable, list) or not all(isinstance(d, str) for d in disable):
            raise InputError(f"'{prefix}disable' must be a list of edit ids", field="disable")
        policies = data.get("coverage", [])
        if not isinstance(policies, list):
            raise InputError(f"'{prefix}coverage' must be a list of policies", field="coverage")
        rules = data.get("rules", [])
        if not isinstance(rules, list):
            raise InputError(f"'{prefix}rules' must be a list of rules", field="rules")
        return cls(
            payer=payer,
            disable=tuple(d.strip() for d in disable),
            coverage=tuple(
                CoveragePolicy.from_dict(
                    {"payer": payer, **p} if isinstance(p, Mapping) else p,
                    where=f"{prefix}coverage[{i}]",
                )
                for i, p in enumerate(policies)
            ),
            rules=tuple(
                CustomRule.from_dict(r, where=f"{prefix}rules[{i}]") for i, r in enumerate(rules)
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        """The YAML form (``from_dict(to_dict())`` gives equal rules)."""
        return {
            "payer": self.payer,
            "disable": list(self.disable),
            "coverage": [p.to_dict() for p in self.coverage],
            "rules": [r.to_dict() for r in self.rules],
        }

    def edit_rules(self) -> list[EditRule]:
        """The coverage and custom rules as edit objects.

        Raises:
            InputError: two coverage policies or two rules share an id.
        """
        out = coverage_rules(self.coverage)
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise InputError(f"payer rule id {rule.id!r} is used twice", field="rules")
            seen.add(rule.id)
            cls = type(
                "PayerRule",
                (PayerRule,),
                {"id": f"payer.{rule.id}", "description": rule.message},
            )
            out.append(cls(rule, self.payer))
        return out


def load_payer_file(path: Path) -> PayerRules:
    """Read and check a payer rules YAML file.

    Raises:
        InputError: unreadable file, bad YAML, unknown key or bad value (field path given).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read payer rules file {path}: {exc}", field=str(path)) from exc
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"{path.name} is not valid YAML: {exc}", field=path.name) from exc
    return PayerRules.from_dict(raw, where=path.name)


def load_payer_rules(path: Path) -> list[EditRule]:
    """The coverage and custom edits of a payer rules file (``disable`` is not a rule: see
    :func:`edit_config_from_file`).

    Raises:
        InputError: see :func:`load_payer_file`.
    """
    return load_payer_file(path).edit_rules()


def edit_config_from_file(path: Path, base: EditConfig | None = None) -> EditConfig:
    """``base`` (default: every edit) plus the file's disabled edits and its rules.

    This is what ``medcoder check --rules payer.yaml`` uses.

    Raises:
        InputError: see :func:`load_payer_file`.
    """
    rules = load_payer_file(path)
    base = base or EditConfig()
    return replace(
        base,
        disabled=base.disabled | frozenset(rules.disable),
        extra_rules=(*base.extra_rules, *rules.edit_rules()),
    )
