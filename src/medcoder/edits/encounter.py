"""The coded encounter: what the claim scrubber, the DRG grouper and HCC scoring read.

This is a documented JSON format (``medcoder check ENCOUNTER.json``): its JSON Schema is
generated from these models (:func:`encounter_json_schema`), examples live under
``examples/encounters/``, and a coding result exports to it (:func:`encounter_from_coding`).
Validation happens here, at the boundary, with field paths in the messages
(``'lines[1].units' must be at least 1, got 0``).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from medcoder.errors import InputError

__all__ = [
    "Diagnosis",
    "Encounter",
    "EncounterSetting",
    "Patient",
    "ServiceLine",
    "age_on",
    "encounter_json_schema",
    "parse_encounter",
]


class EncounterSetting(StrEnum):
    OUTPATIENT = "outpatient"  # professional / office; NCCI practitioner tables
    OUTPATIENT_HOSPITAL = "outpatient_hospital"  # NCCI outpatient hospital tables
    INPATIENT = "inpatient"  # MS-DRG, MCE


class Sex(StrEnum):
    MALE = "M"
    FEMALE = "F"
    UNKNOWN = "U"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Patient(_Model):
    """Demographics the edits need."""

    age: int = Field(ge=0, le=130, description="Age in years on the date of service")
    sex: Sex = Field(description="M, F or U")


class Diagnosis(_Model):
    """An ICD-10-CM code, in claim order (the first is first-listed / principal)."""

    code: str = Field(description="ICD-10-CM code, with or without the dot (E11.22 or E1122)")
    present_on_admission: str | None = Field(
        default=None, description="Inpatient POA indicator: Y, N, U, W or 1"
    )

    @field_validator("code")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()


class ServiceLine(_Model):
    """A procedure or service: CPT / HCPCS code, modifiers, units, diagnosis pointers."""

    code: str = Field(description="CPT or HCPCS Level II code")
    modifiers: list[str] = Field(default_factory=list, max_length=4)
    units: int = Field(default=1, ge=1, le=9999)
    diagnosis_pointers: list[int] = Field(
        default_factory=list,
        max_length=4,
        description="1-based positions in the encounter's diagnoses, most relevant first",
    )
    date_of_service: dt.date | None = Field(
        default=None, description="Defaults to the encounter's date of service"
    )

    @field_validator("code")
    @classmethod
    def _code_upper(cls, value: str) -> str:
        return value.upper()

    @field_validator("modifiers")
    @classmethod
    def _modifiers_upper(cls, value: list[str]) -> list[str]:
        return [m.upper() for m in value]


class Encounter(_Model):
    """One coded encounter, the unit every edit runs on."""

    id: str = Field(default="", description="Your encounter or claim id, echoed in results")
    date_of_service: dt.date
    discharge_date: dt.date | None = Field(default=None, description="Inpatient: discharge")
    setting: EncounterSetting = EncounterSetting.OUTPATIENT
    place_of_service: str | None = Field(default=None, description="CMS POS code, e.g. 11")
    payer: str | None = Field(default=None, description="Payer id for payer-specific rules")
    patient: Patient
    diagnoses: list[Diagnosis] = Field(default_factory=list)
    procedures: list[str] = Field(
        default_factory=list, description="Inpatient ICD-10-PCS codes (principal first)"
    )
    lines: list[ServiceLine] = Field(default_factory=list)
    discharge_status: int = Field(default=1, description="Inpatient patient discharge status")

    @property
    def dos(self) -> dt.date:
        return self.discharge_date or self.date_of_service


def age_on(birth: dt.date, day: dt.date) -> int:
    """Age in whole years on ``day`` (the age the edits and the claim use)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def encounter_json_schema() -> dict[str, Any]:
    """The JSON Schema of the encounter format (draft 2020-12)."""
    return Encounter.model_json_schema()


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_encounter(data: Any) -> Encounter:
    """Validate a decoded JSON object as an :class:`Encounter`.

    Raises:
        InputError: the first problem, with its field path (``lines[0].units``).
    """
    try:
        return Encounter.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = _path(tuple(first["loc"]))
        got = first.get("input")
        raise InputError(
            f"'{where}' {first['msg'].lower()}, got {got!r}" if where else first["msg"],
            field=where,
        ) from exc
