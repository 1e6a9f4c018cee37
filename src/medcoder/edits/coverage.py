"""Coverage (medical necessity) rules a practice maintains as data.

A policy says which ICD-10-CM diagnoses a payer accepts as the reason for a procedure: a
service line for one of its procedure codes whose pointed diagnoses include none of the
covered codes is an error (the payer denies it as not medically necessary). CMS NCD/LCD
lists are not available offline in machine-readable form, so policies come from a YAML or
CSV file the practice keeps; ``resources/coverage_example.yaml`` shows the format (it is an
example, not a CMS policy).

YAML::

    policies:
      - id: b12-injection               # the edit id becomes coverage.b12-injection
        payer: "*"                      # a payer id from the encounter, or "*" for every payer
        procedures: [J3420]
        covered: [D51.-, E53.8, K90.0-K90.9]   # codes, codes with subdivisions, ranges
        message: Vitamin B12 injections are covered for B12 deficiency and malabsorption.
        source: Practice policy 2026-01  # optional

CSV: a header ``id,payer,procedures,covered,message[,source]``, lists separated by spaces.

Example:
    >>> rules = load_coverage(Path("policies.yaml"))
    >>> Editor(kb, EditConfig(extra_rules=tuple(rules))).edit(encounter)
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, ClassVar

import yaml

from medcoder.codesets.icd10cm.models import CodeRange
from medcoder.edits._data import check_keys
from medcoder.edits.encounter import Encounter
from medcoder.edits.engine import EditCategory, EditContext, EditFinding, EditRule, Severity
from medcoder.errors import InputError

__all__ = [
    "CoveragePolicy",
    "CoverageRule",
    "coverage_rules",
    "example_policy_file",
    "load_coverage",
    "load_policies",
    "parse_policies",
]

_ICD = re.compile(r"[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?")
_PROCEDURE = re.compile(r"[0-9A-Z]{4}[0-9A-Z]")
_ID = re.compile(r"[a-z0-9][a-z0-9_.-]*")
_KEYS = ("id", "payer", "procedures", "covered", "message", "source")
_REQUIRED = ("id", "procedures", "covered", "message")


def _strings(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise InputError(f"'{where}' must be a non-empty list of codes, got {value!r}", field=where)
    return tuple(v.strip().upper() for v in value)


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"'{where}' must be non-empty text, got {value!r}", field=where)
    return value.strip()


def parse_range(text: str, where: str) -> CodeRange:
    """``E11.-`` / ``E11`` (the code and its subdivisions), ``I10-I16``, ``N18.30-N18.32``.

    Raises:
        InputError: not an ICD-10-CM code or range (``where`` names the field).
    """
    spec = text.strip().upper()
    if spec.endswith("-"):  # "E11.-": the category and everything under it
        spec = spec[:-1].rstrip(".")
    first, _, last = spec.partition("-")
    last = last or first
    if not (_ICD.fullmatch(first) and _ICD.fullmatch(last)):
        raise InputError(
            f"'{where}' must be an ICD-10-CM code or range (E11.-, I10-I16, N18.30-N18.32), "
            f"got {text!r}",
            field=where,
        )
    if first.replace(".", "") > last.replace(".", "")[: len(first.replace(".", ""))]:
        raise InputError(f"'{where}' range {text!r} ends before it starts", field=where)
    return CodeRange(first, last)


@dataclass(frozen=True, slots=True)
class CoveragePolicy:
    """Procedure codes and the ICD-10-CM codes a payer covers them for."""

    id: str
    payer: str
    procedures: tuple[str, ...]
    covered: tuple[CodeRange, ...]
    message: str
    source: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "policy") -> CoveragePolicy:
        """A policy from its YAML/JSON form.

        Raises:
            InputError: an unknown or missing key, a bad code or range (with its field path).
        """
        check_keys(data, _KEYS, where, "policy", required=_REQUIRED)
        policy_id = _text(data["id"], f"{where}.id")
        if not _ID.fullmatch(policy_id):
            raise InputError(
                f"'{where}.id' must be lower-case letters, digits, '-', '_' or '.', "
                f"got {policy_id!r}",
                field=f"{where}.id",
            )
        procedures = _strings(data["procedures"], f"{where}.procedures")
        for i, code in enumerate(procedures):
            if not _PROCEDURE.fullmatch(code):
                raise InputError(
                    f"'{where}.procedures[{i}]' must be a CPT/HCPCS code, got {code!r}",
                    field=f"{where}.procedures[{i}]",
                )
        covered = _strings(data["covered"], f"{where}.covered")
        return cls(
            id=policy_id,
            payer=_text(data.get("payer", "*"), f"{where}.payer"),
            procedures=procedures,
            covered=tuple(parse_range(c, f"{where}.covered[{i}]") for i, c in enumerate(covered)),
            message=_text(data["message"], f"{where}.message"),
            source=str(data.get("source", "") or "").strip(),
        )

    def to_dict(self) -> dict[str, Any]:
        """The YAML/JSON form (``from_dict(to_dict())`` gives an equal policy)."""
        out: dict[str, Any] = {
            "id": self.id,
            "payer": self.payer,
            "procedures": list(self.procedures),
            "covered": [str(r) for r in self.covered],
            "message": self.message,
        }
        if self.source:
            out["source"] = self.source
        return out

    def applies_to(self, payer: str | None) -> bool:
        """True for every payer when the policy's payer is ``*``, else for that payer only."""
        return self.payer == "*" or (payer or "").casefold() == self.payer.casefold()

    def covers(self, diagnosis: str) -> bool:
        return any(r.covers(diagnosis) for r in self.covered)


class CoverageRule(EditRule):
    """The edit of one :class:`CoveragePolicy` (id ``coverage.<policy id>``)."""

    id: ClassVar[str] = "coverage"
    category = EditCategory.MEDICAL_NECESSITY
    severity = Severity.ERROR
    reference = "Coverage policy file of the practice (payer NCD/LCD or medical policy)"

    def __init__(self, policy: CoveragePolicy) -> None:
        self.policy = policy

    def check(self, encounter: Encounter, ctx: EditContext) -> Iterable[EditFinding]:
        policy = self.policy
        if not policy.applies_to(encounter.payer):
            return []
        findings: list[EditFinding] = []
        for i, line in enumerate(encounter.lines):
            if line.code not in policy.procedures:
                continue
            pointed = [
                encounter.diagnoses[p - 1].code
                for p in line.diagnosis_pointers
                if 1 <= p <= len(encounter.diagnoses)
            ]
            if not pointed or any(policy.covers(d) for d in pointed):
                continue  # no pointer at all is the pointer edit's finding
            shown = ", ".join(str(r) for r in policy.covered[:6])
            more = f" and {len(policy.covered) - 6} more" if len(policy.covered) > 6 else ""
            findings.append(
                self.finding(
                    f"{line.code} on line {i + 1} is not covered for the diagnoses it points to "
                    f"({', '.join(pointed)}) under coverage policy {policy.id}: "
                    f"{policy.message}",
                    f"Point line {i + 1} to a documented diagnosis the policy covers "
                    f"({shown}{more}); if none applies, the payer will deny the line as not "
                    "medically necessary (for Medicare, have the patient sign an ABN and "
                    "append GA).",
                    codes=(line.code, *pointed),
                    line=i,
                )
            )
        return findings


def coverage_rules(policies: Sequence[CoveragePolicy]) -> list[EditRule]:
    """One rule per policy, each with its own id ``coverage.<policy id>``.

    Raises:
        InputError: two policies share an id.
    """
    rules: list[EditRule] = []
    seen: set[str] = set()
    for policy in policies:
        if policy.id in seen:
            raise InputError(f"coverage policy id {policy.id!r} is used twice", field="id")
        seen.add(policy.id)
        cls = type(
            "CoverageRule",
            (CoverageRule,),
            {
                "id": f"coverage.{policy.id}",
                "description": f"Coverage policy {policy.id}",
                "reference": policy.source or CoverageRule.reference,
            },
        )
        rules.append(cls(policy))
    return rules


def parse_policies(data: Any, *, where: str = "policies") -> tuple[CoveragePolicy, ...]:
    """Policies from a decoded YAML list (``where`` prefixes the field paths of errors).

    Raises:
        InputError: the value is not a list, or a policy is invalid.
    """
    if not isinstance(data, list):
        raise InputError(f"'{where}' must be a list of policies, got {data!r}", field=where)
    return tuple(CoveragePolicy.from_dict(d, where=f"{where}[{i}]") for i, d in enumerate(data))


def _read(source: Path | Traversable) -> str:
    try:
        return source.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read coverage file {source}: {exc}", field=str(source)) from exc


def load_policies(path: Path | Traversable) -> tuple[CoveragePolicy, ...]:
    """The policies of a ``.yaml``/``.yml`` or ``.csv`` file.

    Raises:
        InputError: unreadable file, bad YAML/CSV, unknown key, bad code (field path given).
    """
    text = _read(path)
    if path.name.lower().endswith(".csv"):
        reader = csv.DictReader(io.StringIO(text))
        rows = [{k: v for k, v in row.items() if v not in (None, "")} for row in reader]
        return parse_policies(rows, where=f"{path.name}: rows")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"{path.name} is not valid YAML: {exc}", field=path.name) from exc
    if isinstance(raw, Mapping):
        extra = set(raw) - {"policies"}
        if extra:
            key = sorted(map(str, extra))[0]
            raise InputError(
                f"'{path.name}: {key}' is not a coverage file key; expected: policies", field=key
            )
        raw = raw.get("policies")
    return parse_policies(raw, where=f"{path.name}: policies")


def load_coverage(path: Path | Traversable) -> list[EditRule]:
    """Coverage edits from a practice's YAML or CSV policy file, ready for ``EditConfig``.

    Raises:
        InputError: see :func:`load_policies`; two policies with the same id.
    """
    return coverage_rules(load_policies(path))


def example_policy_file() -> Traversable:
    """The packaged example policy file (``resources/coverage_example.yaml``)."""
    return resources.files("medcoder.edits").joinpath("resources", "coverage_example.yaml")
