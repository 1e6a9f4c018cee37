"""Who the claim is for: patient, subscriber, coverage and claim options.

This is the input a database supplies in the service; without one it is a JSON file
(``medcoder claim x12 --from CLAIM.json``, examples under ``examples/claims/``)::

    {
      "encounter_file": "../encounters/office_visit_clean.json",
      "patient_control_number": "OV20260514A",
      "payer": "EXAMPLE-PAYER",
      "rendering_provider": "9876543213",
      "relationship": "self",
      "subscriber": {
        "last_name": "DOE", "first_name": "JANE", "birth_date": "1968-02-11", "sex": "F",
        "address": {"line1": "12 OAK ST", "city": "SPRINGFIELD", "state": "IL",
                    "postal_code": "62704"},
        "member_id": "XEP123456789", "group_number": "GRP1001"
      },
      "frequency": "original"
    }

``encounter`` (the coded encounter inline, the format of ``medcoder check``) may replace
``encounter_file`` (a path relative to the claim file). ``patient`` is required when the
relationship is not ``self``. A replacement (``7``) or void (``8``) names the payer's claim
control number of the claim it replaces in ``original_claim_reference``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from medcoder.claims.model import Frequency, Person, Relationship, Subscriber
from medcoder.claims.practice import AddressIn
from medcoder.edits.encounter import Encounter, parse_encounter
from medcoder.errors import InputError

__all__ = [
    "ClaimDetails",
    "InstitutionalDetails",
    "PersonIn",
    "SubscriberIn",
    "details_from_dict",
    "load_claim_file",
]

_CONTROL = r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,19}$"

_RELATIONSHIPS = {
    "self": Relationship.SELF,
    "spouse": Relationship.SPOUSE,
    "child": Relationship.CHILD,
    "other": Relationship.OTHER,
}
_FREQUENCIES = {"original": Frequency.ORIGINAL, "replacement": Frequency.REPLACEMENT,
                "void": Frequency.VOID}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class PersonIn(_Model):
    last_name: str = Field(min_length=1, max_length=60)
    first_name: str = Field(min_length=1, max_length=35)
    birth_date: dt.date
    sex: str = Field(pattern=r"^[MFU]$")
    address: AddressIn

    def value(self) -> Person:
        return Person(self.last_name.upper(), self.first_name.upper(), self.birth_date, self.sex,
                      self.address.value())


class SubscriberIn(PersonIn):
    member_id: str = Field(min_length=2, max_length=80, pattern=r"^[0-9A-Za-z\-]+$")
    group_number: str | None = Field(default=None, max_length=50, pattern=r"^[0-9A-Za-z\-]+$")
    payer_responsibility: str = Field(default="P", pattern=r"^[PST]$")

    def subscriber(self) -> Subscriber:
        return Subscriber(self.value(), self.member_id, self.group_number,
                          self.payer_responsibility)


class InstitutionalDetails(_Model):
    """837I options; everything else comes from the encounter (setting, dates, POA)."""

    facility_code: str | None = Field(default=None, pattern=r"^\d{2}$",
                                      description="Type of bill digits 1-2 (default by setting)")
    admission_type: str = Field(default="3", pattern=r"^[1-9]$")
    admission_source: str = Field(default="1", pattern=r"^[0-9A-Z]$")
    accommodation_revenue_code: str = Field(default="0120", pattern=r"^0\d{3}$")
    procedure_dates: dict[str, dt.date] = Field(default_factory=dict)


class ClaimDetails(_Model):
    """Patient, subscriber and claim options for one encounter."""

    patient_control_number: str | None = Field(default=None, pattern=_CONTROL,
                                               description="CLM01 (default: the encounter id)")
    payer: str | None = Field(default=None, description="Practice payer key (default: "
                                                        "the encounter's payer)")
    rendering_provider: str | None = Field(default=None, description="NPI from the practice")
    relationship: str = "self"
    subscriber: SubscriberIn
    patient: PersonIn | None = None
    frequency: Frequency = Frequency.ORIGINAL
    original_claim_reference: str | None = Field(default=None, min_length=1, max_length=50,
                                                 pattern=r"^[0-9A-Za-z\-]+$")
    institutional: InstitutionalDetails = Field(default_factory=InstitutionalDetails)

    @field_validator("relationship", mode="before")
    @classmethod
    def _relationship(cls, value: Any) -> str:
        text = str(value).strip().lower()
        if text in _RELATIONSHIPS:
            return text
        for name, code in _RELATIONSHIPS.items():
            if text == code.value.lower():
                return name
        raise ValueError(f"must be one of {', '.join(_RELATIONSHIPS)}")

    @field_validator("frequency", mode="before")
    @classmethod
    def _frequency(cls, value: Any) -> Any:
        return _FREQUENCIES.get(str(value).strip().lower(), value)

    @property
    def relationship_code(self) -> Relationship:
        return _RELATIONSHIPS[self.relationship]


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def details_from_dict(data: Any) -> ClaimDetails:
    """Validate claim details (the claim file without its encounter).

    Raises:
        InputError: the first problem with its field path (``subscriber.member_id``).
    """
    try:
        details = ClaimDetails.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = _path(tuple(first["loc"]))
        msg = str(first["msg"]).removeprefix("Value error, ")
        raise InputError(f"'{where}' {msg.lower()}, got {first.get('input')!r}",
                         field=where) from exc
    if details.relationship_code is Relationship.SELF and details.patient is not None:
        raise InputError("'patient' must be left out when the relationship is self "
                         "(the subscriber is the patient)", field="patient")
    if details.relationship_code is not Relationship.SELF and details.patient is None:
        raise InputError(f"'patient' is required when the relationship is "
                         f"{details.relationship}", field="patient")
    return details


def load_claim_file(path: Path) -> tuple[Encounter, ClaimDetails]:
    """Read a claim file: its encounter (inline or ``encounter_file``) and details.

    Raises:
        InputError: unreadable file, bad JSON, or the first invalid field.
    """
    data = _read_json(path)
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object", field="")
    data = dict(data)
    inline = data.pop("encounter", None)
    ref = data.pop("encounter_file", None)
    if (inline is None) == (ref is None):
        raise InputError(f"{path}: give exactly one of 'encounter' or 'encounter_file'",
                         field="encounter")
    if ref is not None:
        if not isinstance(ref, str):
            raise InputError(f"{path}: 'encounter_file' must be a path", field="encounter_file")
        enc_path = Path(ref) if Path(ref).is_absolute() else path.parent / ref
        inline = _read_json(enc_path)
    try:
        encounter = parse_encounter(inline)
    except InputError as exc:
        raise InputError(f"{ref or path}: encounter {exc}", field=f"encounter.{exc.field}") from exc
    try:
        details = details_from_dict(data)
    except InputError as exc:
        raise InputError(f"{path}: {exc}", field=exc.field) from exc
    return encounter, details


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", field=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not UTF-8 text", field=str(path)) from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}",
                         field=str(path)) from exc
