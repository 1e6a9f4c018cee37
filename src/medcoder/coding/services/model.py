"""What service coding returns: billable service lines with their support.

A line is one CPT / HCPCS Level II (or, for inpatient stays, ICD-10-PCS) code with the
modifiers, units and diagnosis pointers a claim line needs, the words of the note that
support it and a one-line rationale a coder can check.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from enum import StrEnum

from medcoder.codesets.ncci import Setting
from medcoder.coding.result import CodeSuggestion, Evidence

__all__ = [
    "CodedService",
    "LineSystem",
    "ServiceContext",
    "ServiceKind",
    "ServicesResult",
]


class LineSystem(StrEnum):
    """The code system of a line."""

    CPT = "CPT"
    HCPCS = "HCPCS"
    PCS = "PCS"


class ServiceKind(StrEnum):
    """The family a line belongs to (decides modifiers and diagnosis pointers)."""

    EM = "em"
    DRUG = "drug"
    ADMINISTRATION = "administration"
    VACCINE = "vaccine"
    VACCINE_ADMIN = "vaccine_admin"
    TEST = "test"
    PROCEDURE = "procedure"
    PREVENTIVE = "preventive"
    INPATIENT_PROCEDURE = "inpatient_procedure"


@dataclass(frozen=True, slots=True)
class CodedService:
    """One service line.

    Attributes:
        code: CPT or HCPCS Level II code (ICD-10-PCS for ``system`` PCS).
        system: Which code system ``code`` is in.
        description: medcoder's own short wording for CPT codes (or the licensed text when
            the user imported a CPT file); the official descriptor for HCPCS codes.
        kind: The service family.
        modifiers: Claim-line modifiers, at most four, pricing modifiers first.
        units: Billed units (drug units are the documented dose over the code's billing unit,
            rounded up).
        diagnosis_pointers: 1-based positions in the assigned diagnoses, most relevant first.
        evidence: The words of the note that document the service.
        rationale: One line: how the code, its units and modifiers were found.
        score: Confidence; at least 0.5 means the line is proposed for billing.
        site: The anatomic site as written (``right knee``), used for distinct-site modifiers.
    """

    code: str
    system: LineSystem
    description: str
    kind: ServiceKind
    units: int = 1
    modifiers: tuple[str, ...] = ()
    diagnosis_pointers: tuple[int, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    rationale: str = ""
    score: float = 0.9
    site: str = ""

    def with_modifier(self, modifier: str) -> CodedService:
        """This line with ``modifier`` added (kept once, at most four)."""
        if modifier in self.modifiers or len(self.modifiers) >= 4:
            return self
        return replace(self, modifiers=(*self.modifiers, modifier))


@dataclass(frozen=True, slots=True)
class ServiceContext:
    """What service coding needs to know about the encounter.

    Attributes:
        date_of_service: Selects the NCCI quarter and code-set releases.
        medicare: The payer is Medicare (vaccine administration G0008/G0009/G0010, QW);
            None: decided from the note (it names Medicare).
        age: Patient age in years, when known.
        ncci_setting: NCCI table set: ``practitioner`` (office) or ``outpatient_hospital``.
    """

    date_of_service: dt.date | None = None
    medicare: bool | None = None
    age: int | None = None
    ncci_setting: Setting = "practitioner"


@dataclass(frozen=True, slots=True)
class ServicesResult:
    """The service lines of a note, in claim order, with warnings for the coder.

    ``added_diagnoses`` are diagnoses the services require that diagnosis coding did not
    assign (Z23 for a vaccination); pointers count them after the given diagnoses.
    """

    lines: tuple[CodedService, ...]
    warnings: tuple[str, ...] = field(default=())
    added_diagnoses: tuple[CodeSuggestion, ...] = ()
