"""Procedure edits: E/M with a procedure, diagnosis pointers, sex- and age-specific codes.

The code lists (sex-specific procedures, preventive visit age bands, the surgery range) are
data in ``resources/procedure_rules.yaml``, code numbers only. Institutional inpatient
encounters carry no service-line pointers and are billed per DRG, so these edits skip them.

Example:
    >>> [f.edit_id for f in Editor(kb).edit(encounter).findings]  # 99213 + 10060, no 25
    ['ncci.ptp', ...]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from medcoder.edits.encounter import Encounter, EncounterSetting, ServiceLine
from medcoder.edits.engine import (
    EditCategory,
    EditContext,
    EditFinding,
    EditRule,
    Severity,
    register,
)
from medcoder.edits.ncci_edits import is_em, line_date, ncci_day, ncci_setting
from medcoder.errors import InputError

__all__ = [
    "AgeBand",
    "CodeSpan",
    "EmWithProcedureRule",
    "PointerMissingRule",
    "PointerRangeRule",
    "PreventiveAgeRule",
    "ProcedureData",
    "SexSpecificRule",
    "procedure_data",
]


@dataclass(frozen=True, slots=True)
class CodeSpan:
    """A CPT/HCPCS code or inclusive range (``54000-55899``) of codes of the same kind."""

    first: str
    last: str

    @classmethod
    def parse(cls, text: str, where: str) -> CodeSpan:
        first, _, last = text.strip().upper().partition("-")
        last = last or first
        if len(first) != 5 or len(last) != 5 or first.isdigit() != last.isdigit():
            raise InputError(f"{where}: {text!r} is not a code or a code range", field=where)
        return cls(first, last)

    def covers(self, code: str) -> bool:
        # Same kind only: "0001U" must not fall in "54000-55899" by string order.
        if len(code) != 5 or code.isdigit() != self.first.isdigit():
            return False
        if not code.isdigit() and code[0] != self.first[0]:
            return False
        return self.first <= code <= self.last


@dataclass(frozen=True, slots=True)
class AgeBand:
    """Preventive medicine E/M codes for one age band (years, ``max_age`` None: no limit)."""

    new: str
    established: str
    min_age: int
    max_age: int | None

    def fits(self, age: int) -> bool:
        return age >= self.min_age and (self.max_age is None or age <= self.max_age)

    def describe(self) -> str:
        if self.max_age == 0:
            return "younger than 1 year"
        if self.max_age is None:
            return f"aged {self.min_age} years and older"
        return f"aged {self.min_age} to {self.max_age} years"


@dataclass(frozen=True, slots=True)
class ProcedureData:
    """The data lists of ``resources/procedure_rules.yaml``."""

    sex_specific: tuple[tuple[str, tuple[CodeSpan, ...]], ...]  # (sex "M"/"F", spans)
    age_bands: tuple[AgeBand, ...]
    surgery: tuple[CodeSpan, ...]

    def sex_of(self, code: str) -> str | None:
        """``"M"`` or ``"F"`` when ``code`` is for one sex only, else None."""
        for sex, spans in self.sex_specific:
            if any(s.covers(code) for s in spans):
                return sex
        return None

    def band_of(self, code: str) -> AgeBand | None:
        return next((b for b in self.age_bands if code in (b.new, b.established)), None)

    def is_surgery(self, code: str) -> bool:
        return any(s.covers(code) for s in self.surgery)


@cache
def procedure_data() -> ProcedureData:
    """The packaged procedure edit data (read once)."""
    path = "resources/procedure_rules.yaml"
    raw: Mapping[str, Any] = yaml.safe_load(
        resources.files("medcoder.edits").joinpath(path).read_text("utf-8")
    )
    sex = tuple(
        (str(g["sex"]), tuple(CodeSpan.parse(c, f"sex_specific[{i}]") for c in g["codes"]))
        for i, g in enumerate(raw["sex_specific"])
    )
    bands = tuple(
        AgeBand(str(b["new"]), str(b["established"]), int(b["min_age"]), b["max_age"])
        for b in raw["preventive_age_bands"]
    )
    surgery = tuple(CodeSpan.parse(c, "surgery_ranges") for c in raw["surgery_ranges"])
    return ProcedureData(sex, bands, surgery)


def _professional(encounter: Encounter) -> bool:
    return encounter.setting is not EncounterSetting.INPATIENT


def _where(i: int, line: ServiceLine) -> str:
    return f"Service line {i + 1} ({line.code})"


@register
class EmWithProcedureRule(EditRule):
    """An E/M visit and a surgical procedure on the same day, no modifier 25 or 57 on the E/M.

    Pairs the NCCI PTP table bundles are left to ``ncci.ptp`` (an error there); this edit
    warns for the other surgical procedures, whose global package includes the usual
    pre-procedure evaluation.
    """

    id = "procedure.em_modifier25"
    category = EditCategory.PROCEDURE
    severity = Severity.WARNING
    reference = "NCCI Policy Manual, chapter XI (E/M on the day of a procedure); CPT modifier 25"
    description = "E/M with a procedure on the same day without modifier 25"

    def check(self, encounter: Encounter, ctx: EditContext) -> Iterable[EditFinding]:
        if not _professional(encounter):
            return []
        data = procedure_data()
        setting = ncci_setting(encounter) or "practitioner"
        day = ncci_day(ctx, encounter.dos)
        findings: list[EditFinding] = []
        for i, em in enumerate(encounter.lines):
            if not is_em(em.code) or {"25", "57"} & set(em.modifiers):
                continue
            for j, other in enumerate(encounter.lines):
                same_day = line_date(other, encounter) == line_date(em, encounter)
                if j == i or not same_day or not data.is_surgery(other.code):
                    continue
                edit = ctx.kb.ncci.ptp(em.code, other.code, setting, day)
                if edit is not None and edit.modifier_indicator != 9:
                    continue  # ncci.ptp reports it as an error
                findings.append(
                    self.finding(
                        f"E/M {em.code} is billed on the same day as procedure {other.code} "
                        "without modifier 25: payers include the visit in the procedure's "
                        "payment unless it was a significant, separately identifiable service.",
                        f"If the visit went beyond the usual evaluation before the procedure "
                        f"(documented), append modifier 25 to {em.code} (57 if it was the "
                        f"decision for major surgery); otherwise remove {em.code}.",
                        codes=(em.code, other.code),
                        line=i,
                    )
                )
                break
        return findings


@register
class PointerMissingRule(EditRule):
    """A service line that points to no diagnosis."""

    id = "procedure.pointer_missing"
    category = EditCategory.MEDICAL_NECESSITY
    reference = "CMS-1500 / 837P item 24E: diagnosis pointer required on every service line"
    description = "Service line with no diagnosis pointer"

    def check(self, encounter: Encounter, ctx: EditContext) -> Iterable[EditFinding]:
        if not _professional(encounter):
            return []
        return [
            self.finding(
                f"{_where(i, line)} has no diagnosis pointer: every service line must point to "
                "the diagnosis that supports it.",
                f"Add a diagnosis pointer to line {i + 1} (1 = the first-listed diagnosis).",
                codes=(line.code,),
                line=i,
            )
            for i, line in enumerate(encounter.lines)
            if not line.diagnosis_pointers
        ]


@register
class PointerRangeRule(EditRule):
    """A diagnosis pointer past the end of the claim's diagnosis list."""

    id = "procedure.pointer_range"
    category = EditCategory.MEDICAL_NECESSITY
    reference = "CMS-1500 / 837P item 24E: pointers refer to the diagnoses in item 21"
    description = "Diagnosis pointer out of range"

    def check(self, encounter: Encounter, ctx: EditContext) -> Iterable[EditFinding]:
        if not _professional(encounter):
            return []
        count = len(encounter.diagnoses)
        return [
            self.finding(
                f"{_where(i, line)} points to diagnosis {p}, but the claim lists {count} "
                f"diagnos{'i' if count == 1 else 'e'}s.",
                _pointer_fix(i, count),
                codes=(line.code,),
                line=i,
            )
            for i, line in enumerate(encounter.lines)
            for p in line.diagnosis_pointers
            if not 1 <= p <= count
        ]


def _pointer_fix(i: int, count: int) -> str:
    if count == 0:
        return "Add the diagnoses the service lines point to."
    span = "diagnosis 1" if count == 1 else f"a diagnosis between 1 and {count}"
    return f"Point line {i + 1} to {span}, or add the missing diagnosis."


@register
class SexSpecificRule(EditRule):
    """A procedure for one sex only billed for a patient of the other sex."""

    id = "procedure.sex"
    category = EditCategory.PROCEDURE
    reference = "medcoder procedure_rules.yaml (CPT male/female genital sections, HCPCS)"
    description = "Sex-specific procedure does not match the patient's sex"

    def check(self, encounter: Encounter, ctx: EditContext) -> Iterable[EditFinding]:
        sex = encounter.patient.sex.value
        if sex not in ("M", "F"):
            return []
        data = procedure_data()
        words = {"M": "male", "F": "female"}
        return [
            self.finding(
                f"Procedure {line.code} is for {words[needed]} patients, but the patient's "
                f"sex is {sex}.",
                "Check the procedure code and the patient's sex; when the service is right "
                "for this patient (e.g. a transgender patient), append modifier KX.",
                codes=(line.code,),
                line=i,
            )
            for i, line in enumerate(encounter.lines)
            if (needed := data.sex_of(line.code)) not in (None, sex) and "KX" not in line.modifiers
        ]


@register
class PreventiveAgeRule(EditRule):
    """A preventive medicine visit code whose age band does not fit the patient's age."""

    id = "procedure.preventive_age"
    category = EditCategory.PROCEDURE
    reference = "CPT preventive medicine services 99381-99397 (age bands)"
    description = "Preventive E/M code does not fit the patient's age"

    def check(self, encounter: Encounter, ctx: EditContext) -> Iterable[EditFinding]:
        return list(self._findings(encounter))

    def _findings(self, encounter: Encounter) -> Iterator[EditFinding]:
        data = procedure_data()
        age = encounter.patient.age
        for i, line in enumerate(encounter.lines):
            band = data.band_of(line.code)
            if band is None or band.fits(age):
                continue
            right = next(b for b in data.age_bands if b.fits(age))
            better = right.new if line.code == band.new else right.established
            yield self.finding(
                f"Preventive visit {line.code} is for patients {band.describe()}, but the "
                f"patient is {age} years old.",
                f"Use {better} (patients {right.describe()}), or correct the patient's age.",
                codes=(line.code,),
                line=i,
            )
