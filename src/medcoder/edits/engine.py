"""The edit engine: small rule objects run on a coded encounter.

Each edit is an :class:`EditRule` subclass with an ``id`` (namespaced, e.g.
``icd10cm.excludes1``), a category, a severity, a reference (guideline section or source
table) and ``check(encounter, ctx)`` that yields :class:`EditFinding` values with a message a
biller understands and the fix it suggests. Rules register themselves with :func:`register`;
an :class:`Editor` runs every registered rule except those a configuration turns off, plus
payer-specific rules built from data.

Example:
    >>> editor = Editor(kb)
    >>> result = editor.edit(parse_encounter(json.loads(path.read_text())))
    >>> [f.edit_id for f in result.errors]
    ['icd10cm.excludes1']
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar

from medcoder.edits.encounter import Encounter

if TYPE_CHECKING:
    from medcoder.codesets.kb import DatedView, KnowledgeBase

__all__ = [
    "EditCategory",
    "EditConfig",
    "EditContext",
    "EditFinding",
    "EditResult",
    "EditRule",
    "Editor",
    "Severity",
    "register",
    "registered_rules",
]


class Severity(StrEnum):
    ERROR = "error"  # the claim will be denied or rejected: fix before submitting
    WARNING = "warning"  # likely denial or audit risk: review
    INFO = "info"  # worth knowing


class EditCategory(StrEnum):
    ICD10CM = "icd10cm"  # code set validity and ICD-10-CM conventions
    MCE = "mce"  # Medicare Code Editor (age, sex, newborn, maternity, ...)
    NCCI = "ncci"  # procedure-to-procedure edits
    MUE = "mue"  # medically unlikely edits (units)
    ADDON = "addon"  # add-on code without its primary
    PROCEDURE = "procedure"  # E/M and procedure rules, modifiers
    MEDICAL_NECESSITY = "medical_necessity"  # diagnosis pointers and coverage policies
    PAYER = "payer"  # payer-specific rules from a practice's file


@dataclass(frozen=True, slots=True)
class EditFinding:
    """One problem an edit found.

    ``line`` is the 0-based service line it concerns (None for claim-level findings) and
    ``codes`` the codes involved, so a worklist can highlight them.
    """

    edit_id: str
    category: EditCategory
    severity: Severity
    message: str
    fix: str
    reference: str
    codes: tuple[str, ...] = ()
    line: int | None = None


@dataclass(frozen=True, slots=True)
class EditResult:
    """Every finding for one encounter, plus warnings about the tables used (stale NCCI)."""

    encounter_id: str
    date_of_service: dt.date
    findings: tuple[EditFinding, ...]
    warnings: tuple[str, ...] = ()
    rules_run: tuple[str, ...] = ()

    @property
    def errors(self) -> tuple[EditFinding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def passed(self) -> bool:
        """True when no error-severity edit fired (warnings do not block a claim)."""
        return not self.errors


@dataclass(frozen=True)
class EditContext:
    """What a rule may consult: the knowledge base and the releases in force on the date."""

    kb: KnowledgeBase
    view: DatedView

    @property
    def date_of_service(self) -> dt.date:
        return self.view.date_of_service


class EditRule(ABC):
    """Base class of every edit. Subclasses set the class attributes and ``check``."""

    id: ClassVar[str]
    category: ClassVar[EditCategory]
    severity: ClassVar[Severity] = Severity.ERROR
    reference: ClassVar[str] = ""
    description: ClassVar[str] = ""

    @abstractmethod
    def check(self, encounter: Encounter, ctx: EditContext) -> Iterable[EditFinding]:
        """Findings for ``encounter`` (none when it passes)."""

    def finding(
        self,
        message: str,
        fix: str,
        *,
        codes: Sequence[str] = (),
        line: int | None = None,
        severity: Severity | None = None,
    ) -> EditFinding:
        """A finding of this rule (its id, category, severity and reference filled in)."""
        return EditFinding(
            edit_id=self.id,
            category=self.category,
            severity=severity or self.severity,
            message=message,
            fix=fix,
            reference=self.reference,
            codes=tuple(codes),
            line=line,
        )


_REGISTRY: dict[str, type[EditRule]] = {}


def register(rule: type[EditRule]) -> type[EditRule]:
    """Class decorator: make ``rule`` part of every :class:`Editor` by default."""
    if rule.id in _REGISTRY and _REGISTRY[rule.id] is not rule:
        raise ValueError(f"edit id {rule.id!r} is registered twice")
    _REGISTRY[rule.id] = rule
    return rule


def registered_rules() -> dict[str, type[EditRule]]:
    """Every registered edit by id (importing the rule modules registers them)."""
    _load_rule_modules()
    return dict(sorted(_REGISTRY.items()))


#: Modules holding registered rules; imported on first use so each stays independent.
RULE_MODULES: tuple[str, ...] = (
    "medcoder.edits.icd10cm_edits",
    "medcoder.edits.mce_edits",
    "medcoder.edits.ncci_edits",
    "medcoder.edits.procedure_edits",
)


def _load_rule_modules() -> None:
    import importlib

    for name in RULE_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


@dataclass(frozen=True)
class EditConfig:
    """Which edits run.

    Attributes:
        disabled: edit ids (or id prefixes ending in ``.``, e.g. ``"ncci."``) not to run.
        extra_rules: additional rule objects, e.g. payer rules loaded from a practice file.
    """

    disabled: frozenset[str] = frozenset()
    extra_rules: tuple[EditRule, ...] = field(default=())

    def enabled(self, edit_id: str) -> bool:
        return not any(
            edit_id == d or (d.endswith(".") and edit_id.startswith(d)) for d in self.disabled
        )


class Editor:
    """Runs the edits on encounters with one knowledge base."""

    def __init__(self, kb: KnowledgeBase, config: EditConfig | None = None) -> None:
        self.kb = kb
        self.config = config or EditConfig()
        self.rules: tuple[EditRule, ...] = tuple(
            [cls() for rid, cls in registered_rules().items() if self.config.enabled(rid)]
            + [r for r in self.config.extra_rules if self.config.enabled(r.id)]
        )

    def edit(self, encounter: Encounter) -> EditResult:
        """Every finding for ``encounter``, errors first.

        Raises:
            NoReleaseError: no ICD-10-CM release covers the date of service.
        """
        view = self.kb.for_date(encounter.dos)
        ctx = EditContext(kb=self.kb, view=view)
        findings: list[EditFinding] = []
        for rule in self.rules:
            # A rule may report several edits (the MCE does): each finding id can be disabled.
            findings.extend(f for f in rule.check(encounter, ctx) if self.config.enabled(f.edit_id))
        order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
        findings.sort(key=lambda f: (order[f.severity], f.line if f.line is not None else -1))
        return EditResult(
            encounter_id=encounter.id,
            date_of_service=encounter.dos,
            findings=tuple(findings),
            warnings=view.warnings,
            rules_run=tuple(r.id for r in self.rules),
        )

    def __iter__(self) -> Iterator[EditRule]:
        return iter(self.rules)
