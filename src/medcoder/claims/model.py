"""The claim: immutable values the X12 and FHIR writers read.

A :class:`Claim` is assembled by :func:`medcoder.claims.assemble.build_claim` from a coded
encounter, the practice file and the patient's coverage; writers never look anything up.
Money is :class:`decimal.Decimal` with two places; :attr:`Claim.total_charge` is the exact
sum of the line charges.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

__all__ = [
    "Address",
    "Claim",
    "ClaimLine",
    "ClaimType",
    "Frequency",
    "Institutional",
    "Party",
    "Payer",
    "Person",
    "Procedure",
    "Provider",
    "Relationship",
    "Subscriber",
]


class ClaimType(StrEnum):
    PROFESSIONAL = "P"  # 837P / CMS-1500
    INSTITUTIONAL = "I"  # 837I / UB-04


class Frequency(StrEnum):
    """Claim frequency type code (CLM05-3)."""

    ORIGINAL = "1"
    REPLACEMENT = "7"  # replaces a claim the payer adjudicated: needs its reference
    VOID = "8"  # voids/cancels a prior claim: needs its reference


class Relationship(StrEnum):
    """Patient's relationship to the subscriber (X12 individual relationship code)."""

    SELF = "18"
    SPOUSE = "01"
    CHILD = "19"
    OTHER = "G8"


@dataclass(frozen=True, slots=True)
class Address:
    line1: str
    city: str
    state: str
    postal_code: str
    line2: str | None = None


@dataclass(frozen=True, slots=True)
class Party:
    """An organization or a person known by name only (submitter, receiver)."""

    name: str
    identifier: str


@dataclass(frozen=True, slots=True)
class Provider:
    """A billing, rendering or attending provider.

    ``first_name`` set means a person (NM102 = 1), otherwise an organization (NM102 = 2).
    """

    npi: str
    name: str
    first_name: str | None = None
    taxonomy: str | None = None
    tax_id: str | None = None
    address: Address | None = None

    @property
    def is_person(self) -> bool:
        return self.first_name is not None


@dataclass(frozen=True, slots=True)
class Payer:
    """A payer as the claim names it: ``key`` is the practice's name for it."""

    key: str
    payer_id: str
    name: str
    claim_filing_code: str = "CI"  # SBR09: CI commercial, MB Medicare B, MA Medicare A, MC Medicaid


@dataclass(frozen=True, slots=True)
class Person:
    last_name: str
    first_name: str
    birth_date: dt.date
    sex: str  # M, F or U
    address: Address


@dataclass(frozen=True, slots=True)
class Subscriber:
    """The insured: member id, group, and who they are."""

    person: Person
    member_id: str
    group_number: str | None = None
    payer_responsibility: str = "P"  # SBR01: P primary, S secondary, T tertiary


@dataclass(frozen=True, slots=True)
class ClaimLine:
    """One service line: ``charge`` is the line total (unit charge x units)."""

    number: int  # 1-based LX number
    code: str
    modifiers: tuple[str, ...]
    units: int
    charge: Decimal
    diagnosis_pointers: tuple[int, ...]
    date_of_service: dt.date
    control_number: str  # REF*6R, echoed back in 835 SVC loops
    revenue_code: str | None = None  # institutional claims only
    system: str = "HC"  # HC = CPT/HCPCS


@dataclass(frozen=True, slots=True)
class Procedure:
    """An ICD-10-PCS procedure on an institutional claim."""

    code: str
    date: dt.date


@dataclass(frozen=True, slots=True)
class Institutional:
    """What only an 837I carries: bill type, admission, statement period, PCS procedures."""

    facility_code: str  # first two digits of the type of bill (11 inpatient, 13 outpatient)
    statement_from: dt.date
    statement_to: dt.date
    admission_date: dt.date | None = None
    admission_type: str | None = None  # CL101: 1 emergency, 2 urgent, 3 elective, ...
    admission_source: str | None = None  # CL102: 1 non-health-care point of origin, ...
    patient_status: str = "01"  # CL103: 01 discharged home
    procedures: tuple[Procedure, ...] = ()
    present_on_admission: tuple[str | None, ...] = ()  # per diagnosis, same order

    @property
    def inpatient(self) -> bool:
        return self.facility_code in {"11", "12", "18", "21", "28", "41", "65", "66", "86"}


@dataclass(frozen=True, slots=True)
class Claim:
    """One claim for one patient, one payer, one billing provider."""

    claim_id: str  # patient control number (CLM01), at most 20 characters
    claim_type: ClaimType
    frequency: Frequency
    billing_provider: Provider
    payer: Payer
    subscriber: Subscriber
    relationship: Relationship
    place_of_service: str  # CMS POS (837P) or facility code (837I)
    date_of_service: dt.date
    diagnoses: tuple[str, ...]  # ICD-10-CM without dots, first-listed / principal first
    lines: tuple[ClaimLine, ...]
    patient: Person | None = None  # None when the patient is the subscriber
    rendering_provider: Provider | None = None
    original_claim_reference: str | None = None  # REF*F8, payer claim control number
    institutional: Institutional | None = None
    encounter_id: str = ""

    @property
    def total_charge(self) -> Decimal:
        """The exact sum of the line charges."""
        return sum((line.charge for line in self.lines), Decimal("0.00"))

    @property
    def patient_person(self) -> Person:
        """The patient: the subscriber when the relationship is self."""
        return self.patient or self.subscriber.person
