"""The values of E/M leveling: the visit's context in, the level with its MDM breakdown out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from medcoder.coding.result import Evidence
from medcoder.errors import InputError
from medcoder.notes.document import Document

__all__ = [
    "Basis",
    "EmFamily",
    "EmLine",
    "EmResult",
    "MdmBreakdown",
    "MdmElement",
    "MdmFinding",
    "MdmLevel",
    "VisitContext",
    "VisitType",
]


class MdmLevel(StrEnum):
    """Level of medical decision making (or of one of its three elements)."""

    STRAIGHTFORWARD = "straightforward"
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"

    @property
    def rank(self) -> int:
        """0 for straightforward up to 3 for high."""
        return _LEVEL_ORDER.index(self)

    @classmethod
    def of_rank(cls, rank: int) -> MdmLevel:
        """The level of a rank (clamped to 0-3)."""
        return _LEVEL_ORDER[max(0, min(rank, 3))]


_LEVEL_ORDER = (MdmLevel.STRAIGHTFORWARD, MdmLevel.LOW, MdmLevel.MODERATE, MdmLevel.HIGH)


class VisitType(StrEnum):
    """The kind of E/M service; it picks the code family and whether time can count."""

    OFFICE = "office"  # office / other outpatient, problem-oriented
    PREVENTIVE = "preventive"  # periodic preventive medicine visit
    INPATIENT_INITIAL = "inpatient_initial"  # initial hospital inpatient or observation care
    INPATIENT_SUBSEQUENT = "inpatient_subsequent"  # subsequent hospital inpatient/obs care
    OBSERVATION = "observation"  # observation care; coded as initial hospital care (2023+)
    DISCHARGE = "discharge"  # hospital inpatient or observation discharge day management
    EMERGENCY = "emergency"  # emergency department visit

    @classmethod
    def parse(cls, value: object, *, field: str = "visit.type") -> VisitType:
        """The visit type named by ``value`` (case-insensitive).

        Raises:
            InputError: ``value`` names no visit type.
        """
        if isinstance(value, VisitType):
            return value
        if isinstance(value, str):
            try:
                return cls(value.strip().lower())
            except ValueError:
                pass
        allowed = ", ".join(t.value for t in cls)
        raise InputError(f"{field} must be one of {allowed}; got {value!r}", field=field)


class EmFamily(StrEnum):
    """The E/M code family a result belongs to."""

    OFFICE_NEW = "office_new"  # 99202-99205
    OFFICE_ESTABLISHED = "office_established"  # 99211-99215
    PREVENTIVE_NEW = "preventive_new"  # 99381-99387
    PREVENTIVE_ESTABLISHED = "preventive_established"  # 99391-99397
    HOSPITAL_INITIAL = "hospital_initial"  # 99221-99223
    HOSPITAL_SUBSEQUENT = "hospital_subsequent"  # 99231-99233
    DISCHARGE = "discharge"  # 99238-99239
    EMERGENCY = "emergency"  # 99281-99285


class Basis(StrEnum):
    """What decided the level."""

    MDM = "mdm"  # medical decision making (two of three elements)
    TIME = "time"  # total time on the date of the encounter
    AGE = "age"  # preventive visit: age band and new/established
    NURSE = "nurse"  # 99211 / 99281: no physician or other QHP decision making documented


@dataclass(frozen=True, slots=True)
class VisitContext:
    """What is known about the encounter apart from the note words.

    Every field is optional: what is missing is read from the note (and said in the warnings).

    Attributes:
        visit_type: The kind of visit; inferred from the note and the document setting if None.
        new_patient: True for a new patient, False for an established one, None if unknown.
        patient_age: Age in years on the date of service (preventive codes need it).
        date_of_service: The date of the encounter (rule versions are checked against it).
        medicare: True when the payer is Medicare (prolonged service is G2212 / G0316, not
            99417 / 99418).
        total_minutes: Total time on the date of the encounter when the encounter input
            states it; otherwise it is read from the note.
        separately_reported: CPT codes the same provider reports for this encounter (e.g.
            93000 ECG with interpretation): the tests they interpret do not count as E/M data.
    """

    visit_type: VisitType | None = None
    new_patient: bool | None = None
    patient_age: int | None = None
    date_of_service: dt.date | None = None
    medicare: bool = False
    total_minutes: int | None = None
    separately_reported: frozenset[str] = frozenset()

    @classmethod
    def from_document(cls, document: Document, *, medicare: bool = False) -> VisitContext:
        """The context a document carries: its ``visit`` object, patient age and date.

        Example:
            >>> from medcoder.notes import read_document
            >>> doc = read_document('{"text": "x", "visit": {"type": "office", '
            ...                     '"new_patient": true}}')
            >>> VisitContext.from_document(doc).new_patient
            True
        """
        visit = document.visit
        return cls(
            visit_type=None if visit.type is None else VisitType.parse(visit.type),
            new_patient=visit.new_patient,
            patient_age=document.patient.age,
            date_of_service=document.date_of_service,
            medicare=medicare,
            total_minutes=visit.total_minutes,
        )


@dataclass(frozen=True, slots=True)
class MdmFinding:
    """One thing a coder counted for an MDM element, with the sentence that shows it.

    ``category`` is a stable machine name (``"chronic_exacerbation"``, ``"unique_test"``,
    ``"prescription_drug_management"``); ``label`` says what was found (``"diabetes"``);
    ``level`` is what the finding alone supports for its element.
    """

    category: str
    label: str
    level: MdmLevel
    evidence: Evidence

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "label": self.label,
            "level": self.level.value,
            "evidence": _evidence_dict(self.evidence),
        }


@dataclass(frozen=True, slots=True)
class MdmElement:
    """One of the three MDM elements: its level, why (``summary``) and what was counted."""

    level: MdmLevel
    summary: str
    findings: tuple[MdmFinding, ...] = ()

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        """The supporting sentences, once each, in text order."""
        unique = {(f.evidence.start, f.evidence.end): f.evidence for f in self.findings}
        return tuple(unique[key] for key in sorted(unique))

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level.value,
            "summary": self.summary,
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass(frozen=True, slots=True)
class MdmBreakdown:
    """Medical decision making: the level two of the three elements meet or exceed."""

    level: MdmLevel
    problems: MdmElement
    data: MdmElement
    risk: MdmElement

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level.value,
            "problems": self.problems.to_dict(),
            "data": self.data.to_dict(),
            "risk": self.risk.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class EmLine:
    """A billable E/M line: code, modifiers, units and medcoder's own short wording."""

    code: str
    description: str
    modifiers: tuple[str, ...] = ()
    units: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "description": self.description,
            "modifiers": list(self.modifiers),
            "units": self.units,
        }


@dataclass(frozen=True, slots=True)
class EmResult:
    """The E/M level of a visit.

    Attributes:
        code: The E/M code for the visit: the problem-oriented code (with modifier 25 when
            ``needs_modifier_25``), else the preventive code.
        family: The code family of ``code``.
        basis: What decided ``code`` (MDM, time, age band for preventive, nurse visit).
        mdm: The MDM level with each element's level and supporting sentences.
        time_minutes: Total time on the date of the encounter, when documented.
        add_on_codes: Prolonged-service add-on lines (99417/G2212, 99418/G0316).
        preventive_code: The preventive medicine code, for a preventive visit.
        preventive_diagnosis: The Z00.0x / Z00.1x encounter diagnosis of a preventive visit.
        needs_modifier_25: A problem-oriented E/M is reported with a preventive visit (or
            another service) the same day: ``code`` takes modifier 25.
        new_patient: Whether the patient was taken as new (None where the family does not
            tell new from established: hospital and ED codes).
        visit_type: The visit type used.
        rationale: One line a coder can check.
        warnings: What was assumed or is missing.
        time_evidence: The sentence documenting the time.
        billable: False when no E/M is to be billed (a Medicare Annual Wellness Visit with no
            separate problem-oriented service): ``lines`` is then empty and ``code`` only says
            what the MDM alone would support.
    """

    code: str
    family: EmFamily
    basis: Basis
    mdm: MdmBreakdown
    time_minutes: int | None
    add_on_codes: tuple[EmLine, ...]
    preventive_code: str | None
    needs_modifier_25: bool
    new_patient: bool | None
    visit_type: VisitType
    rationale: str
    description: str
    warnings: tuple[str, ...] = ()
    preventive_diagnosis: str | None = None
    preventive_description: str = ""
    time_evidence: Evidence | None = None
    billable: bool = True

    @property
    def lines(self) -> tuple[EmLine, ...]:
        """Every E/M line to bill, in claim order: preventive, problem-oriented, add-ons."""
        if not self.billable:
            return ()
        lines: list[EmLine] = []
        if self.preventive_code is not None and self.preventive_code != self.code:
            lines.append(EmLine(self.preventive_code, self.preventive_description))
        modifiers = ("25",) if self.needs_modifier_25 else ()
        lines.append(EmLine(self.code, self.description, modifiers))
        lines.extend(self.add_on_codes)
        return tuple(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (enums as their values, evidence as offsets and text)."""
        return {
            "code": self.code,
            "description": self.description,
            "family": self.family.value,
            "basis": self.basis.value,
            "visit_type": self.visit_type.value,
            "new_patient": self.new_patient,
            "mdm": self.mdm.to_dict(),
            "time_minutes": self.time_minutes,
            "time_evidence": None
            if self.time_evidence is None
            else _evidence_dict(self.time_evidence),
            "add_on_codes": [line.to_dict() for line in self.add_on_codes],
            "preventive_code": self.preventive_code,
            "preventive_diagnosis": self.preventive_diagnosis,
            "needs_modifier_25": self.needs_modifier_25,
            "billable": self.billable,
            "lines": [line.to_dict() for line in self.lines],
            "rationale": self.rationale,
            "warnings": list(self.warnings),
        }


def _evidence_dict(evidence: Evidence) -> dict[str, Any]:
    return {
        "start": evidence.start,
        "end": evidence.end,
        "text": evidence.text,
        "section": evidence.section,
    }
