"""The core tables: organizations, users and their credentials, the practice's providers and
payers, patients and coverage, encounters, documents, coding runs and code assignments, and the
hash-chained audit trail.

Every tenant table carries ``org_id``; primary keys are 32-hex strings from
:func:`medcoder.store.db.new_id`. Direct patient identifiers, note text and evidence (which
quotes the note) are encrypted at rest (:mod:`medcoder.store.crypto`); their equality lookups
go through keyed-HMAC columns (``mrn_hash``, ``text_hash``; marked with
``info={"blind_index_of": ...}`` so that key rotation recomputes them). The migration
``0001_core`` creates exactly these tables; a test compares the two.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from medcoder.store.crypto import EncryptedDate, EncryptedJSON, EncryptedText
from medcoder.store.db import Base, new_id, utcnow

__all__ = [
    "ASSIGNMENT_STATUSES",
    "ApiToken",
    "AuditChainHead",
    "AuditEvent",
    "CodeAssignment",
    "CodingRun",
    "Coverage",
    "DOCUMENT_STATUSES",
    "Document",
    "ENCOUNTER_STATUSES",
    "Encounter",
    "Organization",
    "Patient",
    "Payer",
    "Provider",
    "ROLES",
    "User",
    "WebSession",
]

ROLES = ("admin", "coder", "biller", "auditor", "provider", "patient")
ENCOUNTER_STATUSES = ("to_code", "to_review", "coded", "with_errors", "billed")
DOCUMENT_STATUSES = ("received", "queued", "coding", "coded", "failed")
RUN_STATUSES = ("running", "done", "failed")
# "added": a code the coder added that the engine did not suggest.
ASSIGNMENT_STATUSES = ("suggested", "accepted", "changed", "rejected", "added")
SUBSCRIBER_RELATIONSHIPS = ("self", "spouse", "child", "other")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _id() -> Mapped[str]:
    return mapped_column(String(32), primary_key=True, default=new_id)


def _org() -> Mapped[str]:
    return mapped_column(String(32), ForeignKey("organizations.id"), index=True)


def _created() -> Mapped[dt.datetime]:
    return mapped_column(default=utcnow)


class Organization(Base):
    """A practice or facility: the unit of tenancy."""

    __tablename__ = "organizations"

    id: Mapped[str] = _id()
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = _created()


class User(Base):
    """A person who signs in; ``patient`` users see only their own ``patient_id``."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)

    id: Mapped[str] = _id()
    org_id: Mapped[str] = _org()
    username: Mapped[str] = mapped_column(String(150), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))  # argon2id, encoded with its params
    role: Mapped[str] = mapped_column(String(16))
    patient_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("patients.id"), default=None
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = _created()


class ApiToken(Base):
    """A bearer token for programs; only a SHA-256 of the (random, 256-bit) token is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = _id()
    org_id: Mapped[str] = _org()
    user_id: Mapped[str] = mapped_column(String(32), ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = _created()
    expires_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class WebSession(Base):
    """A signed-in browser session; the cookie holds a random token, the table its SHA-256."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = _id()
    org_id: Mapped[str] = _org()
    user_id: Mapped[str] = mapped_column(String(32), ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = _created()
    last_seen_at: Mapped[dt.datetime] = _created()
    expires_at: Mapped[dt.datetime] = mapped_column()
    ip: Mapped[str | None] = mapped_column(String(45), default=None)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class Provider(Base):
    """A rendering or billing provider (person, or organization when ``first_name`` is empty)."""

    __tablename__ = "providers"
    __table_args__ = (UniqueConstraint("org_id", "npi"),)

    id: Mapped[str] = _id()
    org_id: Mapped[str] = _org()
    npi: Mapped[str] = mapped_column(String(10))
    taxonomy: Mapped[str | None] = mapped_column(String(10), default=None)
    name: Mapped[str] = mapped_column(String(200))  # last name, or organization name
    first_name: Mapped[str | None] = mapped_column(String(100), default=None)
    tax_id: Mapped[str | None] = mapped_column(String(20), default=None)
    address_line1: Mapped[str | None] = mapped_column(String(200), default=None)
    address_line2: Mapped[str | None] = mapped_column(String(200), default=None)
    city: Mapped[str | None] = mapped_column(String(100), default=None)
    state: Mapped[str | None] = mapped_column(String(2), default=None)
    postal_code: Mapped[str | None] = mapped_column(String(10), default=None)
    created_at: Mapped[dt.datetime] = _created()


class Payer(Base):
    """A health plan the organization bills; ``payer_id`` is its X12 / clearinghouse id."""

    __tablename__ = "payers"
    __table_args__ = (UniqueConstraint("org_id", "payer_id"),)

    id: Mapped[str] = _id()
    org_id: Mapped[str] = _org()
    payer_id: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = _created()


class Patient(Base):
    """A patient; names, birth date, MRN, address, phone and email are encrypted at rest.

    ``mrn_hash`` is the keyed HMAC of the MRN (:func:`medcoder.store.crypto.digest`, purpose
    ``patients.mrn``) to find a patient by MRN without storing it readable.
    """

    __tablename__ = "patients"
    __table_args__ = (
        CheckConstraint("sex IN ('F', 'M', 'U')", name="sex"),
        Index(None, "org_id", "mrn_hash"),
    )

    id: Mapped[str] = _id()
    org_id: Mapped[str] = _org()
    mrn: Mapped[str | None] = mapped_column(EncryptedText("patients.mrn"), default=None)
    mrn_hash: Mapped[str | None] = mapped_column(
        String(64), default=None, info={"blind_index_of": "mrn"}
    )
    first_name: Mapped[str] = mapped_column(EncryptedText("patients.first_name"))
    last_name: Mapped[str] = mapped_column(EncryptedText("patients.last_name"))
    birth_date: Mapped[dt.date] = mapped_column(EncryptedDate("patients.birth_date"))
    sex: Mapped[str] = mapped_column(String(1), default="U")
    address_line1: Mapped[str | None] = mapped_column(
        EncryptedText("patients.address_line1"), default=None
    )
    address_line2: Mapped[str | None] = mapped_column(
        EncryptedText("patients.address_line2"), default=None
    )
    city: Mapped[str | None] = mapped_column(EncryptedText("patients.city"), default=None)
    state: Mapped[str | None] = mapped_column(String(2), default=None)
    postal_code: Mapped[str | None] = mapped_column(
        EncryptedText("patients.postal_code"), default=None
    )
    phone: Mapped[str | None] = mapped_column(EncryptedText("patients.phone"), default=None)
    email: Mapped[str | None] = mapped_column(EncryptedText("patients.email"), default=None)
    created_at: Mapped[dt.datetime] = _created()


class Coverage(Base):
    """A patient's insurance with a payer: member id, subscriber and their relationship."""

    __tablename__ = "coverages"
    __table_args__ = (
        CheckConstraint(
            _in("subscriber_relationship", SUBSCRIBER_RELATIONSHIPS), name="subscriber_relationship"
        ),
    )

    id: Mapped[str] = _id()
    org_id: Mapped[str] = _org()
    patient_id: Mapped[str] = mapped_column(String(32), ForeignKey("patients.id"), index=True)
    payer_id: Mapped[str] = mapped_column(String(32), ForeignKey("payers.id"))
    priority: Mapped[int] = mapped_column(Integer, default=1)  # 1 primary, 2 secondary, ...
    member_id: Mapped[str] = mapped_column(EncryptedText("coverages.member_id"))
    group_number: Mapped[str | None] = mapped_column(
        EncryptedText("coverages.group_number"), default=None
    )
    subscriber_relationship: Mapped[str] = mapped_column(String(10), default="self")
    # The subscriber when not the patient (relationship other than "self").
    subscriber_first_name: Mapped[str | None] = mapped_column(
        EncryptedText("coverages.subscriber_first_name"), default=None
    )
    subscriber_last_name: Mapped[str | None] = mapped_column(
        EncryptedText("coverages.subscriber_last_name"), default=None
    )
    subscriber_birth_date: Mapped[dt.date | None] = mapped_column(
        EncryptedDate("coverages.subscriber_birth_date"), default=None
    )
    start_date: Mapped[dt.date | None] = mapped_column(Date, default=None)
    end_date: Mapped[dt.date | None] = mapped_column(Date, default=None)
    created_at: Mapped[dt.datetime] = _created()


class Encounter(Base):
    """A visit or stay to code and bill; ``status`` places it in a work queue."""

    __tablename__ = "encounters"
    __table_args__ = (
        CheckConstraint(_in("status", ENCOUNTER_STATUSES), name="status"),
        Index(None, "org_id", "status", "date_of_service"),
    )

    id: Mapped[str] = _id()
    org_id: Mapped[str] = _org()
    patient_id: Mapped[str] = mapped_column(String(32), ForeignKey("patients.id"), index=True)
    provider_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("providers.id"), default=None
    )
    date_of_service: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date, default=None)  # discharge, for stays
    setting: Mapped[str] = mapped_column(String(32), default="outpatient")
    place_of_service: Mapped[str | None] = mapped_column(String(2), default=None)
    status: Mapped[str] = mapped_column(String(16), default="to_code")
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Document(Base):
    """A clinical note of an encounter; the text is encrypted, ``text_hash`` is its keyed HMAC
    (purpose ``documents.text``) for finding duplicates."""

    __tablename__ = "documents"
    __table_args__ = (
        CheckConstraint(_in("status", DOCUMENT_STATUSES), name="status"),
        Index(None, "org_id", "text_hash"),
    )

    id: Mapped[str] = _id()
    org_id: Mapped[str] = _org()
    encounter_id: Mapped[str] = mapped_column(String(32), ForeignKey("encounters.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32), default="progress_note")
    content_type: Mapped[str] = mapped_column(String(100), default="text/plain")
    text: Mapped[str] = mapped_column(EncryptedText("documents.text"))
    text_hash: Mapped[str] = mapped_column(String(64), info={"blind_index_of": "text"})
    status: Mapped[str] = mapped_column(String(16), default="received")
    created_at: Mapped[dt.datetime] = _created()


class CodingRun(Base):
    """One run of the coding engine over a document (which engine, which code-set build)."""

    __tablename__ = "coding_runs"
    __table_args__ = (CheckConstraint(_in("status", RUN_STATUSES), name="status"),)

    id: Mapped[str] = _id()
    org_id: Mapped[str] = _org()
    document_id: Mapped[str] = mapped_column(String(32), ForeignKey("documents.id"), index=True)
    encounter_id: Mapped[str] = mapped_column(String(32), ForeignKey("encounters.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="running")
    engine_version: Mapped[str] = mapped_column(String(50), default="")
    kb_fingerprint: Mapped[str] = mapped_column(String(64), default="")
    # Warnings and documentation queries may quote the note: encrypted.
    warnings: Mapped[list[str]] = mapped_column(EncryptedJSON("coding_runs.warnings"), default=list)
    # An exception message may quote the note: encrypted like the note.
    error: Mapped[str | None] = mapped_column(EncryptedText("coding_runs.error"), default=None)
    started_at: Mapped[dt.datetime] = _created()
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class CodeAssignment(Base):
    """A code on an encounter: suggested by a run, then accepted, changed, rejected (or added)
    by a coder — with the reason, who and when. A change keeps the suggested code in
    ``replaced_code``. ``evidence`` (quotes of the note) and ``reason`` are encrypted."""

    __tablename__ = "code_assignments"
    __table_args__ = (
        CheckConstraint(_in("status", ASSIGNMENT_STATUSES), name="status"),
        Index(None, "encounter_id", "position"),
    )

    id: Mapped[str] = _id()
    org_id: Mapped[str] = _org()
    encounter_id: Mapped[str] = mapped_column(String(32), ForeignKey("encounters.id"))
    coding_run_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("coding_runs.id"), index=True, default=None
    )
    position: Mapped[int] = mapped_column(Integer, default=0)  # sequence on the claim
    code: Mapped[str] = mapped_column(String(16))
    system: Mapped[str] = mapped_column(String(16))  # ICD10CM | CPT | HCPCS | PCS
    score: Mapped[float | None] = mapped_column(Float, default=None)
    # [{"start": int, "end": int, "text": str, "section": str}, ...] — quotes of the note.
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(
        EncryptedJSON("code_assignments.evidence"), default=list
    )
    # The Index path that matched the note's words ("Pneumonia, aspiration"): encrypted too,
    # so that no word of the note is readable in the database.
    rationale: Mapped[str] = mapped_column(EncryptedText("code_assignments.rationale"), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # modifiers, units, ...
    status: Mapped[str] = mapped_column(String(16), default="suggested")
    replaced_code: Mapped[str | None] = mapped_column(String(16), default=None)
    # The coder's free text may quote the note or name the patient: encrypted.
    reason: Mapped[str | None] = mapped_column(
        EncryptedText("code_assignments.reason"), default=None
    )
    by_user_id: Mapped[str | None] = mapped_column(String(32), ForeignKey("users.id"), default=None)
    at: Mapped[dt.datetime | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = _created()


class AuditEvent(Base):
    """One append-only, hash-chained audit event: who did what to which resource, when, from
    where, with what outcome. ``hash`` = SHA-256 over ``prev_hash`` and the canonical JSON of
    the event (:mod:`medcoder.store.audit`). No PHI here: resources are named by id."""

    __tablename__ = "audit_events"
    # "Who saw this patient?" is the question an auditor asks most: index by resource.
    __table_args__ = (Index(None, "org_id", "at"), Index(None, "resource", "seq"))

    id: Mapped[str] = _id()
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    at: Mapped[dt.datetime] = mapped_column()
    org_id: Mapped[str | None] = mapped_column(String(32), default=None)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    resource: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(20))
    ip: Mapped[str | None] = mapped_column(String(45), default=None)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditChainHead(Base):
    """The newest event of the chain (one row, id 1): serializes writers (row lock) and lets
    ``audit verify`` notice events deleted from the end of the chain."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
