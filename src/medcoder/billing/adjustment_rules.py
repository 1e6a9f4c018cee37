"""How each claim adjustment (group + CARC) is posted, and what a biller does about a denial.

The rules are data (``resources/adjustment_rules.json``): routine adjustments (CO-45 contractual,
PR-1/2/3 cost sharing, OA-23 prior payer) post silently; anything else is a denial with its
likely cause in plain words and one action. Two rules of the groups override the table: a
denial the payer puts on the patient (group PR) is billed to the patient, and a denial under
CO (contractual obligation) is never billed to the patient, it is written off instead.

Example:
    >>> rules = AdjustmentRules.default()
    >>> rules.classify("CO", "16").action
    <Action.CORRECT_AND_RESUBMIT: 'correct_and_resubmit'>
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

from medcoder.edits._data import check_keys
from medcoder.errors import InputError

__all__ = ["ACTION_TEXT", "Action", "AdjustmentKind", "AdjustmentRule", "AdjustmentRules"]

_GROUPS = ("CO", "PR", "OA", "PI", "CR")
_RULE_KEYS = ("carc", "groups", "kind", "cause", "action")
_DEFAULT_KEYS = ("kind", "cause", "action")


class AdjustmentKind(StrEnum):
    """What an adjustment is, for posting."""

    CONTRACTUAL = "contractual"  # written down per the payer contract
    PATIENT = "patient"  # deductible, coinsurance, copay: moves to the patient balance
    OTHER = "other"  # routine, neither (prior payer, correction)
    DENIAL = "denial"  # refused: goes to the denials worklist


class Action(StrEnum):
    """What the biller should do about a denial."""

    CORRECT_AND_RESUBMIT = "correct_and_resubmit"
    APPEAL = "appeal"
    WRITE_OFF = "write_off"
    BILL_PATIENT = "bill_patient"


ACTION_TEXT: dict[Action, str] = {
    Action.CORRECT_AND_RESUBMIT: "correct the claim and resubmit it as a replacement "
    "(frequency 7, with the payer's claim number)",
    Action.APPEAL: "appeal with the supporting documentation",
    Action.WRITE_OFF: "write the amount off (the patient may not be billed)",
    Action.BILL_PATIENT: "bill the patient",
}


@dataclass(frozen=True, slots=True)
class AdjustmentRule:
    """The treatment of one group + CARC."""

    kind: AdjustmentKind
    cause: str
    action: Action


def _rule(data: object, where: str, keys: tuple[str, ...]) -> AdjustmentRule:
    checked = check_keys(data, keys, where, "adjustment rule", required=_DEFAULT_KEYS)
    try:
        kind = AdjustmentKind(checked["kind"])
    except ValueError:
        raise InputError(
            f"'{where}.kind' is not a kind: {checked['kind']!r}", field=where
        ) from None
    try:
        action = Action(checked["action"])
    except ValueError:
        raise InputError(
            f"'{where}.action' is not an action: {checked['action']!r}", field=where
        ) from None
    return AdjustmentRule(kind, str(checked["cause"]), action)


class AdjustmentRules:
    """The adjustment rule table: :meth:`classify` a group + CARC."""

    def __init__(
        self,
        rules: Mapping[tuple[str, str], AdjustmentRule],
        defaults: Mapping[str, AdjustmentRule],
    ) -> None:
        self._rules = dict(rules)
        self._defaults = dict(defaults)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AdjustmentRules:
        """Build from the JSON shape of ``resources/adjustment_rules.json``.

        Raises:
            InputError: an unknown key, kind, action or group (with its field path).
        """
        top = check_keys(
            data,
            ("version", "about", "defaults", "rules"),
            "",
            "rules file",
            required=("defaults", "rules"),
        )
        defaults: dict[str, AdjustmentRule] = {}
        for group in _GROUPS:
            if group not in top["defaults"]:
                raise InputError(f"'defaults.{group}' is required", field=f"defaults.{group}")
            defaults[group] = _rule(top["defaults"][group], f"defaults.{group}", _DEFAULT_KEYS)
        rules: dict[tuple[str, str], AdjustmentRule] = {}
        for number, item in enumerate(top["rules"]):
            where = f"rules[{number}]"
            rule = _rule(item, where, _RULE_KEYS)
            groups = item.get("groups") or list(_GROUPS)
            for group in groups:
                if group not in _GROUPS:
                    raise InputError(f"'{where}.groups' has unknown group {group!r}", field=where)
                rules[(group, str(item["carc"]).upper())] = rule
        return cls(rules, defaults)

    @classmethod
    def default(cls) -> AdjustmentRules:
        """The rules packaged with medcoder."""
        return _packaged()

    def classify(self, group: str, carc: str) -> AdjustmentRule:
        """The treatment of an adjustment; groups override the action as the module says."""
        group = group.upper()
        rule = self._rules.get((group, carc.upper())) or self._defaults.get(group)
        if rule is None:
            raise InputError(f"unknown adjustment group {group!r}", field="group")
        if rule.kind is AdjustmentKind.DENIAL:
            if group == "PR" and rule.action is not Action.BILL_PATIENT:
                return AdjustmentRule(rule.kind, rule.cause, Action.BILL_PATIENT)
            if group == "CO" and rule.action is Action.BILL_PATIENT:
                return AdjustmentRule(rule.kind, rule.cause, Action.WRITE_OFF)
        return rule


@cache
def _packaged() -> AdjustmentRules:
    text = (
        resources.files("medcoder.billing")
        .joinpath("resources/adjustment_rules.json")
        .read_text(encoding="utf-8")
    )
    return AdjustmentRules.from_dict(json.loads(text))
