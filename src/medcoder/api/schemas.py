"""Request and response bodies (``XCreate`` in, ``XPublic`` out)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Generic, Literal, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "AuditEventPublic",
    "BatchItem",
    "BatchResult",
    "BatchUpload",
    "CodeAssignmentPublic",
    "CodeCreate",
    "DocumentPublic",
    "EditFindingPublic",
    "EncounterCreate",
    "EncounterPublic",
    "EvidencePublic",
    "FinalCode",
    "FinalCodeSet",
    "LoginRequest",
    "LoginResult",
    "Page",
    "PatientCreate",
    "PatientPublic",
    "ReviewRequest",
    "TokenCreate",
    "TokenInfo",
    "TokenPublic",
    "UserCreate",
    "UserPublic",
    "UserUpdate",
]

T = TypeVar("T")

Queue = Literal["to_code", "to_review", "coded", "with_errors", "billed"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="after")
    def _no_nul(self) -> Self:
        # No text column takes a NUL character (PostgreSQL refuses it): refuse it here, by name.
        for name, value in self:
            if isinstance(value, str) and "\x00" in value:
                raise ValueError(f"{name} must not contain NUL characters")
        return self


class Page(BaseModel, Generic[T]):
    """One page of a list, with the total count for the filters."""

    items: list[T]
    total: int
    limit: int
    offset: int


# -- auth -----------------------------------------------------------------------------------
class LoginRequest(_In):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=1024)


class UserPublic(BaseModel):
    id: str
    username: str
    role: str
    org_id: str
    patient_id: str | None = None
    active: bool = True


Role = Literal["admin", "coder", "biller", "auditor", "provider", "patient"]


class UserCreate(_In):
    """A new user of the admin's organization; a ``patient`` user names their patient."""

    username: str = Field(min_length=3, max_length=150, pattern=r"^[A-Za-z0-9._@+-]+$")
    password: str = Field(min_length=12, max_length=1024)
    role: Role
    patient_id: str | None = Field(default=None, min_length=1, max_length=32)


class UserUpdate(_In):
    """Change a user: deactivate (ends their sessions and tokens), role, password."""

    active: bool | None = None
    role: Role | None = None
    password: str | None = Field(default=None, min_length=12, max_length=1024)


class LoginResult(BaseModel):
    user: UserPublic
    expires_at: dt.datetime


class TokenCreate(_In):
    """Exchange a username and password for a bearer token (for programs)."""

    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=1024)
    name: str = Field(default="", max_length=100)
    days: int | None = Field(default=None, ge=1, le=3650)


class TokenPublic(BaseModel):
    """The token is shown once; only its digest is stored."""

    token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: dt.datetime
    user: UserPublic


class TokenInfo(BaseModel):
    """A token as listed: never the token itself."""

    id: str
    user_id: str
    name: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked: bool


# -- patients and encounters ----------------------------------------------------------------
class PatientCreate(_In):
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    birth_date: dt.date
    sex: Literal["F", "M", "U"] = "U"
    mrn: str | None = Field(default=None, min_length=1, max_length=50)
    address_line1: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=100)
    state: str | None = Field(default=None, min_length=2, max_length=2)
    postal_code: str | None = Field(default=None, max_length=10)
    phone: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=200)


class PatientPublic(BaseModel):
    id: str
    first_name: str
    last_name: str
    birth_date: dt.date
    sex: str
    mrn: str | None = None
    address_line1: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    phone: str | None = None
    email: str | None = None
    created_at: dt.datetime


class EncounterCreate(_In):
    patient_id: str = Field(min_length=1, max_length=32)
    provider_id: str | None = Field(default=None, min_length=1, max_length=32)
    date_of_service: dt.date
    end_date: dt.date | None = None
    setting: Literal["outpatient", "inpatient"] = "outpatient"
    place_of_service: str | None = Field(default=None, pattern=r"^[0-9]{2}$")


class EncounterPublic(BaseModel):
    id: str
    patient_id: str
    provider_id: str | None
    date_of_service: dt.date
    end_date: dt.date | None
    setting: str
    place_of_service: str | None
    status: str
    created_at: dt.datetime
    updated_at: dt.datetime


# -- documents and codes --------------------------------------------------------------------
class DocumentPublic(BaseModel):
    id: str
    encounter_id: str
    kind: str
    content_type: str
    status: str
    created_at: dt.datetime
    duplicate_of: str | None = Field(
        default=None, description="An earlier document of the encounter with the same text"
    )
    job_id: str | None = Field(default=None, description="The queued coding job, if any")
    text: str | None = Field(default=None, description="Only on GET of one document")


class BatchItem(_In):
    """One note of a batch upload."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    encounter_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    text: str = Field(
        min_length=1,
        description="The note: plain text, a JSON envelope or a FHIR DocumentReference (as text)",
    )
    kind: str = Field(default="progress_note", pattern=r"^[a-z_]{1,32}$")
    content_type: Literal["text/plain", "application/json", "application/fhir+json"] = "text/plain"


class BatchUpload(_In):
    """Notes for several encounters, stored and queued all together or not at all."""

    items: list[BatchItem] = Field(min_length=1, max_length=500)


class BatchResult(BaseModel):
    documents: list[DocumentPublic]


class EvidencePublic(BaseModel):
    start: int
    end: int
    text: str
    section: str = ""


class CodeAssignmentPublic(BaseModel):
    id: str
    encounter_id: str
    coding_run_id: str | None
    position: int
    code: str
    system: str
    score: float | None
    rationale: str
    evidence: list[EvidencePublic]
    status: str
    replaced_code: str | None
    reason: str | None
    by_user_id: str | None
    at: dt.datetime | None


class ReviewRequest(_In):
    """A coder's decision on one suggested code."""

    action: Literal["accept", "change", "reject"]
    reason: str = Field(min_length=1, max_length=2000)
    code: str | None = Field(
        default=None,
        min_length=3,
        max_length=16,
        description="The replacement code (required for 'change', refused otherwise)",
    )


class CodeCreate(_In):
    """A code the coder adds that the engine did not suggest."""

    code: str = Field(min_length=3, max_length=16)
    system: Literal["ICD10CM", "CPT", "HCPCS", "PCS"] = "ICD10CM"
    reason: str = Field(min_length=1, max_length=2000)
    modifiers: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9]{2}$")]] = Field(
        default_factory=list, max_length=4, description="CPT/HCPCS line: modifiers"
    )
    units: int = Field(default=1, ge=1, le=9999, description="CPT/HCPCS line: units")
    diagnosis_codes: list[Annotated[str, Field(min_length=3, max_length=8)]] = Field(
        default_factory=list,
        max_length=4,
        description="CPT/HCPCS line: the ICD-10-CM codes that justify it, most relevant first",
    )


class EditFindingPublic(BaseModel):
    edit_id: str
    category: str
    severity: str
    message: str
    fix: str
    reference: str
    codes: list[str]
    line: int | None


class FinalCode(BaseModel):
    code: str
    system: str
    status: str
    assignment_id: str


class FinalCodeSet(BaseModel):
    """The codes to bill (accepted and changed, in sequence) and the edits run on them."""

    encounter_id: str
    status: str
    complete: bool = Field(description="No suggestion is left unreviewed")
    pending: int
    diagnoses: list[FinalCode]
    procedures: list[FinalCode]
    findings: list[EditFindingPublic]
    passed: bool
    warnings: list[str]


# -- audit ----------------------------------------------------------------------------------
class AuditEventPublic(BaseModel):
    id: str
    seq: int
    at: dt.datetime
    org_id: str | None
    actor: str
    action: str
    resource: str
    outcome: str
    ip: str | None
    detail: dict[str, Any] | None
