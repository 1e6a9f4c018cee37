"""ICD-10-CM edits: code validity and the conventions of the Tabular List and the guidelines.

Each edit reads the knowledge base for the date of service (``ctx.kb.icd10cm``) and the
diagnoses in claim order. Sequencing lists that come from the guidelines rather than from the
Tabular List (Z codes that may only be first-listed, codes that are only secondary, the body
system of each symptom block) are data in ``resources/icd10cm_sequencing.json``, each with
its source.

A diagnosis that is not a valid code is reported once, by ``icd10cm.code_invalid``; the other
edits skip it rather than pile up findings about a code that has to change anyway.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from medcoder.codesets.icd10cm.models import CodeInfo, CodeRange, NoteKind, parse_code_ranges
from medcoder.codesets.icd10cm.tabular import Icd10cm
from medcoder.edits.encounter import Encounter
from medcoder.edits.engine import (
    EditCategory,
    EditContext,
    EditFinding,
    EditRule,
    Severity,
    register,
)
from medcoder.errors import CodeError

__all__ = [
    "CodeGroup",
    "CodeValidity",
    "DuplicateCode",
    "Excludes1Pair",
    "ExternalCauseFirstListed",
    "FirstListedOnlyZCode",
    "ManifestationFirstListed",
    "SecondaryOnlyCodeFirst",
    "SymptomGroup",
    "SymptomWithDefinitive",
    "UseAdditionalMissing",
    "first_listed_only_codes",
    "secondary_only_codes",
    "symptom_groups",
]

_GUIDELINES = "ICD-10-CM Official Guidelines for Coding and Reporting FY2026"
_MAX_LISTED = 8  # completions named in a fix; the rest are in `medcoder validate`


# -- data ----------------------------------------------------------------------------------------
def _ranges(text: str) -> tuple[CodeRange, ...]:
    found = parse_code_ranges(f"({text})")
    if not found:
        raise ValueError(f"not a code or range in icd10cm_sequencing.json: {text!r}")
    return found


@dataclass(frozen=True, slots=True)
class CodeGroup:
    """Codes a sequencing rule applies to (``Z00.-`` except ``Z00.6``), with its source."""

    codes: tuple[CodeRange, ...]
    excepted: tuple[CodeRange, ...]
    label: str
    source: str

    def matches(self, code: str) -> bool:
        return any(r.covers(code) for r in self.codes) and not any(
            r.covers(code) for r in self.excepted
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str) -> CodeGroup:
        unknown = set(data) - {"codes", "except", "label", "source"}
        if unknown:
            raise ValueError(f"unknown keys in icd10cm_sequencing.json: {sorted(unknown)}")
        return cls(
            codes=_ranges(data["codes"]),
            excepted=tuple(r for text in data.get("except", ()) for r in _ranges(text)),
            label=data["label"],
            source=data.get("source", source),
        )


@dataclass(frozen=True, slots=True)
class SymptomGroup:
    """A block of Chapter 18 symptoms and the chapters of the same body system."""

    symptoms: CodeRange
    system: str
    definitive: tuple[CodeRange, ...]


@cache
def _data() -> dict[str, Any]:
    raw = resources.files("medcoder.edits").joinpath("resources/icd10cm_sequencing.json")
    data: dict[str, Any] = json.loads(raw.read_text(encoding="utf-8"))
    return data


@cache
def first_listed_only_codes() -> tuple[CodeGroup, ...]:
    """Z codes that may only be first-listed (guideline I.C.21.c.16)."""
    part = _data()["first_listed_only"]
    return tuple(CodeGroup.from_dict(e, part["source"]) for e in part["entries"])


@cache
def secondary_only_codes() -> tuple[CodeGroup, ...]:
    """Codes that only add detail to another diagnosis (BMI, organisms, drug therapy...)."""
    part = _data()["secondary_only"]
    return tuple(CodeGroup.from_dict(e, part["source"]) for e in part["entries"])


@cache
def symptom_groups() -> tuple[SymptomGroup, ...]:
    """Symptom blocks of Chapter 18 with the chapters of their body system."""
    return tuple(
        SymptomGroup(
            symptoms=_ranges(e["symptoms"])[0],
            system=e["system"],
            definitive=tuple(r for text in e["definitive"] for r in _ranges(text)),
        )
        for e in _data()["symptom_body_systems"]["entries"]
    )


# -- helpers -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Dx:
    position: int  # 1-based, as a biller counts diagnoses on a claim
    code: str  # dotted when the code has the shape of a code
    info: CodeInfo | None  # None when the code is not valid on the date of service


def _dotted(code: str) -> str:
    try:
        return Icd10cm.format(code)
    except CodeError:
        return code


def _diagnoses(encounter: Encounter, ctx: EditContext) -> list[_Dx]:
    out: list[_Dx] = []
    for i, dx in enumerate(encounter.diagnoses, 1):
        code = _dotted(dx.code)
        info: CodeInfo | None
        try:
            info = ctx.kb.icd10cm.lookup(code, ctx.date_of_service)
        except CodeError:
            info = None
        if info is not None and not info.billable:
            info = None
        out.append(_Dx(i, code, info))
    return out


def _named(dx: _Dx) -> str:
    return f"{dx.code} ({dx.info.title})" if dx.info else dx.code


def _listed(codes: Sequence[str]) -> str:
    more = f" and {len(codes) - _MAX_LISTED} more" if len(codes) > _MAX_LISTED else ""
    return ", ".join(codes[:_MAX_LISTED]) + more


def _is_code_level(ref_code: str) -> bool:
    """True for a category or subcategory (``E11``, ``E11.2``), False for a chapter or block."""
    return not ref_code.isdigit() and "-" not in ref_code


# -- edits ---------------------------------------------------------------------------------------
@register
class CodeValidity(EditRule):
    """A diagnosis code that cannot be reported on the date of service."""

    id = "icd10cm.code_invalid"
    category = EditCategory.ICD10CM
    severity = Severity.ERROR
    reference = f"{_GUIDELINES}, I.A.3-I.A.5 and I.B.2 (complete codes, placeholder X, 7th)"
    description = "Unknown code, heading, missing 7th character or placeholder, invalid on the date"

    def check(self, encounter: Encounter, ctx: EditContext) -> Iterator[EditFinding]:
        for i, dx in enumerate(encounter.diagnoses, 1):
            try:
                result = ctx.kb.icd10cm.validate(dx.code, ctx.date_of_service)
            except CodeError as exc:
                yield self.finding(
                    f"Diagnosis {i}: {exc}",
                    "Enter the ICD-10-CM code as printed in the Tabular List, e.g. E11.9",
                    codes=(dx.code,),
                )
                continue
            if result.valid:
                continue
            fix = (
                f"Report a complete code instead: {_listed(result.completions)}"
                if result.completions
                else "Look the condition up in the Alphabetic Index and report the code it gives"
            )
            yield self.finding(f"Diagnosis {i}: {result.message}", fix, codes=(result.code,))


@register
class DuplicateCode(EditRule):
    """The same diagnosis code reported more than once."""

    id = "icd10cm.duplicate"
    category = EditCategory.ICD10CM
    severity = Severity.ERROR
    reference = f"{_GUIDELINES}, I.B.12 (reporting the same diagnosis code more than once)"
    description = "Each unique ICD-10-CM code is reported only once per encounter"

    def check(self, encounter: Encounter, ctx: EditContext) -> Iterator[EditFinding]:
        seen: dict[str, list[int]] = {}
        for i, dx in enumerate(encounter.diagnoses, 1):
            seen.setdefault(_dotted(dx.code).replace(".", ""), []).append(i)
        for plain, positions in seen.items():
            if len(positions) < 2:
                continue
            code = _dotted(plain)
            where = ", ".join(map(str, positions[:-1])) + f" and {positions[-1]}"
            yield self.finding(
                f"{code} is listed {len(positions)} times (diagnoses {where}); each code is "
                "reported only once per encounter",
                f"Remove the repeated {code} and point service lines to the first one",
                codes=(code,),
            )


@register
class Excludes1Pair(EditRule):
    """Two codes on the claim that an Excludes1 note says are never reported together."""

    id = "icd10cm.excludes1"
    category = EditCategory.ICD10CM
    severity = Severity.ERROR
    reference = f"{_GUIDELINES}, I.A.12.a (Excludes1)"
    description = "A code and a code its Excludes1 note names, on the same claim"

    def check(self, encounter: Encounter, ctx: EditContext) -> Iterator[EditFinding]:
        dxs = [d for d in _diagnoses(encounter, ctx) if d.info is not None]
        for i, first in enumerate(dxs):
            for second in dxs[i + 1 :]:
                if first.code == second.code:
                    continue  # the duplicate edit reports it
                hit = _excluding_note(first, second) or _excluding_note(second, first)
                if hit is None:
                    continue
                note_text, source = hit
                yield self.finding(
                    f"{_named(first)} and {_named(second)} cannot be reported together: the "
                    f"Excludes1 note at {source} reads '{note_text}'",
                    "Keep the code the documentation supports and remove the other; if the "
                    "provider documents that the two conditions are unrelated, keep both "
                    "(guideline I.A.12.a exception)",
                    codes=(first.code, second.code),
                )


def _excluding_note(owner: _Dx, other: _Dx) -> tuple[str, str] | None:
    """The Excludes1 note of ``owner`` that names ``other``: (text, where it is written)."""
    assert owner.info is not None
    for note in owner.info.notes_of(NoteKind.EXCLUDES1):
        if any(r.covers(other.code) for r in note.refs):
            return note.text, note.source_code
    return None


def _is_manifestation(info: CodeInfo) -> bool:
    """A code with a "code first" note whose title (or its category's) says it is a
    manifestation: "in diseases classified elsewhere" (guideline I.A.13)."""
    if not info.notes_of(NoteKind.CODE_FIRST):
        return False
    titles = [info.title] + [a.title for a in info.ancestors if _is_code_level(a.code)]
    return any("classified elsewhere" in t.lower() and " in " in t.lower() for t in titles)


@register
class ManifestationFirstListed(EditRule):
    """A manifestation code listed first, before the underlying condition."""

    id = "icd10cm.manifestation_first"
    category = EditCategory.ICD10CM
    severity = Severity.ERROR
    reference = f"{_GUIDELINES}, I.A.13 (etiology/manifestation convention, 'code first')"
    description = "A manifestation ('in diseases classified elsewhere') is never first-listed"

    def check(self, encounter: Encounter, ctx: EditContext) -> Iterator[EditFinding]:
        dxs = _diagnoses(encounter, ctx)
        if not dxs or dxs[0].info is None or not _is_manifestation(dxs[0].info):
            return
        first = dxs[0]
        assert first.info is not None
        notes = first.info.notes_of(NoteKind.CODE_FIRST)
        refs = [r for n in notes for r in n.refs]
        present = [d.code for d in dxs[1:] if any(r.covers(d.code) for r in refs)]
        if present:
            fix = f"List {present[0]} first and {first.code} after it"
        else:
            named = ", ".join(str(r) for r in refs[:_MAX_LISTED])
            fix = "Code the underlying condition first" + (f", e.g. {named}" if named else "")
        yield self.finding(
            f"{_named(first)} is a manifestation code and cannot be first-listed: its "
            f"Tabular note says 'code first {_clause(notes[0].text)}'",
            fix,
            codes=(first.code,),
        )


def _clause(text: str) -> str:
    """A note header without its trailing list marker: 'the condition, such as:' -> 'the
    condition'."""
    return text.rstrip(": ").removesuffix(", such as").removesuffix(" such as")


_OPTIONAL = ("if applicable", "where applicable", "if known", "if present")


@register
class UseAdditionalMissing(EditRule):
    """A 'use additional code to identify' note whose code is not on the claim."""

    id = "icd10cm.use_additional_missing"
    category = EditCategory.ICD10CM
    severity = Severity.WARNING
    reference = f"{_GUIDELINES}, I.A.13 and I.B.7 ('use additional code', multiple coding)"
    description = "A code whose 'use additional code to identify' note names codes not reported"

    def check(self, encounter: Encounter, ctx: EditContext) -> Iterator[EditFinding]:
        dxs = [d for d in _diagnoses(encounter, ctx) if d.info is not None]
        codes = [d.code for d in dxs]
        for dx in dxs:
            assert dx.info is not None
            for note in dx.info.notes_of(NoteKind.USE_ADDITIONAL):
                text = note.text.lower()
                # Only self-contained instructions written at the code's own category:
                # chapter-wide notes ("resistance to antimicrobial drugs") apply only when
                # documented, and optional ones say so.
                if (
                    not note.refs
                    or "to identify" not in text
                    or any(o in text for o in _OPTIONAL)
                    or not _is_code_level(note.source_code)
                ):
                    continue
                if any(r.covers(c) for r in note.refs for c in codes if c != dx.code):
                    continue
                named = ", ".join(str(r) for r in note.refs)
                yield self.finding(
                    f"{_named(dx)} has the note 'use additional {note.text}' but no code from "
                    f"{named} is on the claim",
                    f"Add the code from {named} that the documentation supports, or query "
                    "the provider",
                    codes=(dx.code,),
                )


@register
class ExternalCauseFirstListed(EditRule):
    """An external cause code (V00-Y99) listed first."""

    id = "icd10cm.external_cause_first"
    category = EditCategory.ICD10CM
    severity = Severity.ERROR
    reference = f"{_GUIDELINES}, I.C.20 (external cause codes are never first-listed)"
    description = "V, W, X and Y codes describe how an injury happened, never the reason for care"

    _RANGE = CodeRange("V00", "Y99")

    def check(self, encounter: Encounter, ctx: EditContext) -> Iterator[EditFinding]:
        if not encounter.diagnoses:
            return
        code = _dotted(encounter.diagnoses[0].code)
        if self._RANGE.covers(code):
            yield self.finding(
                f"{code} is an external cause code and cannot be the first-listed diagnosis",
                "List the injury or condition treated first and report the external cause "
                "code after it",
                codes=(code,),
            )


@register
class FirstListedOnlyZCode(EditRule):
    """A Z code that may only be first-listed, reported as a secondary diagnosis."""

    id = "icd10cm.first_listed_only"
    category = EditCategory.ICD10CM
    severity = Severity.WARNING  # the guideline allows exceptions (combined records)
    reference = f"{_GUIDELINES}, I.C.21.c.16 (Z codes that may only be principal/first-listed)"
    description = "Encounter Z codes (examinations, supervision of pregnancy, ...) listed secondary"

    def check(self, encounter: Encounter, ctx: EditContext) -> Iterator[EditFinding]:
        for i, dx in enumerate(encounter.diagnoses[1:], 2):
            code = _dotted(dx.code)
            group = next((g for g in first_listed_only_codes() if g.matches(code)), None)
            if group is None:
                continue
            yield self.finding(
                f"Diagnosis {i}: {code} ({group.label}) may only be the first-listed diagnosis",
                f"List {code} first, or remove it (a secondary position is allowed only when "
                "records of several encounters on one day are combined, or another Z code "
                "also meets the definition of principal diagnosis)",
                codes=(code,),
            )


@register
class SecondaryOnlyCodeFirst(EditRule):
    """A code that only adds detail (BMI, organism, drug therapy, ...) listed first."""

    id = "icd10cm.secondary_only_first"
    category = EditCategory.ICD10CM
    severity = Severity.ERROR
    reference = f"{_GUIDELINES}, I.B.14, I.C.21.c.3 and Tabular List instructions"
    description = "Supplementary codes (Z68, B95-B97, Z79, Z3A, ...) listed first"

    def check(self, encounter: Encounter, ctx: EditContext) -> Iterator[EditFinding]:
        if not encounter.diagnoses:
            return
        code = _dotted(encounter.diagnoses[0].code)
        group = next((g for g in secondary_only_codes() if g.matches(code)), None)
        if group is None:
            return
        yield self.finding(
            f"{code} ({group.label}) is only reported as an additional code, never "
            f"first-listed ({group.source})",
            f"List the condition {code} adds detail to first",
            codes=(code,),
        )


@register
class SymptomWithDefinitive(EditRule):
    """A symptom code reported with a definitive diagnosis of the same body system."""

    id = "icd10cm.symptom_with_definitive"
    category = EditCategory.ICD10CM
    severity = Severity.WARNING
    reference = f"{_GUIDELINES}, I.B.4-I.B.5 (signs and symptoms)"
    description = "Symptoms routinely part of a confirmed diagnosis are not coded separately"

    def check(self, encounter: Encounter, ctx: EditContext) -> Iterable[EditFinding]:
        dxs = [d for d in _diagnoses(encounter, ctx) if d.info is not None]
        for dx in dxs:
            group = next((g for g in symptom_groups() if g.symptoms.covers(dx.code)), None)
            if group is None:
                continue
            definitive = [d for d in dxs if any(r.covers(d.code) for r in group.definitive)]
            if not definitive:
                continue
            other = definitive[0]
            yield self.finding(
                f"{_named(dx)} is a symptom of the {group.system} coded with {_named(other)}, "
                "a definitive diagnosis of the same system",
                f"Remove {dx.code} if it is routinely part of {other.code}; keep it only when "
                "the provider documents it as not related",
                codes=(dx.code, other.code),
            )
