"""Organization-scoped reads and changes of PHI, each recording its audit event.

Functions take a Session and an :class:`Actor` (who is asking, in which organization, from
where) and return model objects. A record of another organization — or, for a ``patient``
actor, of another patient — is reported exactly like a missing one (:class:`RecordNotFound`),
so ids cannot be probed. Each call writes its audit event in the caller's transaction; the
caller commits.

Example::

    actor = Actor(user_id=user.id, org_id=user.org_id, role=user.role, ip="10.0.0.7")
    patient = repo.create_patient(session, actor, first_name="Ada", last_name="Byron",
                                  birth_date=date(1970, 1, 2), sex="F", mrn="A-1")
    session.commit()
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from medcoder.errors import InputError, MedcoderError
from medcoder.store import audit, crypto
from medcoder.store.db import Base, utcnow
from medcoder.store.models import (
    ENCOUNTER_STATUSES,
    CodeAssignment,
    Document,
    Encounter,
    Organization,
    Patient,
)

__all__ = [
    "Actor",
    "Page",
    "RecordNotFound",
    "add_code",
    "add_document",
    "create_encounter",
    "create_organization",
    "create_patient",
    "final_codes",
    "find_duplicate_document",
    "get_document",
    "get_encounter",
    "get_patient",
    "list_assignments",
    "list_encounters",
    "list_patients",
    "review_assignment",
    "set_encounter_status",
]

M = TypeVar("M", bound=Base)
T = TypeVar("T")
FINAL_STATUSES = ("accepted", "changed", "added")
REVIEW_DECISIONS = ("accepted", "changed", "rejected")
MAX_PAGE = 500


class RecordNotFound(MedcoderError):
    """No such record in the actor's organization (or not the patient's own)."""

    def __init__(self, message: str, *, resource: str) -> None:
        super().__init__(message)
        self.resource = resource


@dataclass(frozen=True)
class Actor:
    """Who acts: a signed-in user (``user_id``), or a process (``name``: ``worker``, ``cli``)."""

    org_id: str
    role: str
    user_id: str | None = None
    patient_id: str | None = None
    ip: str | None = None
    name: str = ""

    @property
    def label(self) -> str:
        """How the audit trail names the actor."""
        return f"user:{self.user_id}" if self.user_id else (self.name or "system")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, with the total count matching the filters."""

    items: Sequence[T]
    total: int
    limit: int
    offset: int


def _audit(
    session: Session, actor: Actor, action: str, resource: str, **detail: str | int | None
) -> None:
    audit.record(
        session,
        actor.label,
        action,
        resource,
        ip=actor.ip,
        org_id=actor.org_id,
        detail={k: v for k, v in detail.items() if v is not None} or None,
    )


def _scoped(actor: Actor, query: Select[M], model: type[Any]) -> Select[M]:
    query = query.where(model.org_id == actor.org_id)
    if actor.role == "patient":
        patient_column = model.id if model is Patient else getattr(model, "patient_id", None)
        if patient_column is None:
            # Documents and assignments hang off an encounter: scope through it.
            query = query.join(Encounter, Encounter.id == model.encounter_id).where(
                Encounter.patient_id == actor.patient_id
            )
        else:
            query = query.where(patient_column == actor.patient_id)
    return query


def _get(session: Session, actor: Actor, model: type[M], kind: str, record_id: str) -> M:
    query = _scoped(actor, select(model).where(model.id == record_id), model)  # type: ignore[attr-defined]
    found = session.scalars(query).first()
    if found is None:
        raise RecordNotFound(f"no {kind} {record_id}", resource=f"{kind}/{record_id}")
    return found


def _page(session: Session, query: Select[M], order: Any, limit: int, offset: int) -> Page[M]:
    if not 1 <= limit <= MAX_PAGE:
        raise InputError(f"limit must be 1..{MAX_PAGE}, got {limit}", field="limit")
    if offset < 0:
        raise InputError(f"offset must be >= 0, got {offset}", field="offset")
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.order_by(*order).limit(limit).offset(offset)).all()
    return Page(items, int(total), limit, offset)


def create_organization(session: Session, name: str, *, actor: str = "cli") -> Organization:
    """A new organization (audited as a system event)."""
    org = Organization(name=name)
    session.add(org)
    session.flush()
    audit.record(session, actor, "organization.create", f"organization/{org.id}", org_id=org.id)
    return org


def create_patient(
    session: Session,
    actor: Actor,
    *,
    first_name: str,
    last_name: str,
    birth_date: dt.date,
    sex: str = "U",
    mrn: str | None = None,
    **optional: str | None,
) -> Patient:
    """A new patient of the actor's organization; ``optional``: address, phone, email fields."""
    if sex not in ("F", "M", "U"):
        raise InputError(f"sex must be F, M or U, got {sex!r}", field="sex")
    patient = Patient(
        org_id=actor.org_id,
        first_name=first_name,
        last_name=last_name,
        birth_date=birth_date,
        sex=sex,
        mrn=mrn,
        mrn_hash=crypto.digest(mrn, purpose="patients.mrn") if mrn else None,
        **optional,
    )
    session.add(patient)
    session.flush()
    _audit(session, actor, "patient.create", f"patient/{patient.id}")
    return patient


def get_patient(session: Session, actor: Actor, patient_id: str) -> Patient:
    patient = _get(session, actor, Patient, "patient", patient_id)
    _audit(session, actor, "patient.read", f"patient/{patient.id}")
    return patient


def list_patients(
    session: Session, actor: Actor, *, mrn: str | None = None, limit: int = 50, offset: int = 0
) -> Page[Patient]:
    """Patients of the organization, newest first; ``mrn`` finds one by its keyed hash."""
    query = _scoped(actor, select(Patient), Patient)
    if mrn is not None:
        query = query.where(Patient.mrn_hash == crypto.digest(mrn, purpose="patients.mrn"))
    page = _page(session, query, (Patient.created_at.desc(), Patient.id), limit, offset)
    _audit(session, actor, "patient.list", "patient", count=len(page.items))
    return page


def create_encounter(
    session: Session,
    actor: Actor,
    *,
    patient_id: str,
    date_of_service: dt.date,
    setting: str = "outpatient",
    place_of_service: str | None = None,
    provider_id: str | None = None,
    end_date: dt.date | None = None,
) -> Encounter:
    patient = _get(session, actor, Patient, "patient", patient_id)
    encounter = Encounter(
        org_id=actor.org_id,
        patient_id=patient.id,
        provider_id=provider_id,
        date_of_service=date_of_service,
        end_date=end_date,
        setting=setting,
        place_of_service=place_of_service,
    )
    session.add(encounter)
    session.flush()
    _audit(session, actor, "encounter.create", f"encounter/{encounter.id}")
    return encounter


def get_encounter(session: Session, actor: Actor, encounter_id: str) -> Encounter:
    encounter = _get(session, actor, Encounter, "encounter", encounter_id)
    _audit(session, actor, "encounter.read", f"encounter/{encounter.id}")
    return encounter


def list_encounters(
    session: Session,
    actor: Actor,
    *,
    status: str | None = None,
    patient_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[Encounter]:
    """A work queue: encounters by status (``to_code``, ``to_review``, ...), oldest first."""
    query = _scoped(actor, select(Encounter), Encounter)
    if status is not None:
        if status not in ENCOUNTER_STATUSES:
            raise InputError(
                f"status must be one of {', '.join(ENCOUNTER_STATUSES)}, got {status!r}",
                field="status",
            )
        query = query.where(Encounter.status == status)
    if patient_id is not None:
        query = query.where(Encounter.patient_id == patient_id)
    order = (Encounter.date_of_service, Encounter.created_at, Encounter.id)
    page = _page(session, query, order, limit, offset)
    _audit(session, actor, "encounter.list", "encounter", status=status, count=len(page.items))
    return page


def set_encounter_status(
    session: Session, actor: Actor, encounter_id: str, status: str
) -> Encounter:
    if status not in ENCOUNTER_STATUSES:
        raise InputError(
            f"status must be one of {', '.join(ENCOUNTER_STATUSES)}, got {status!r}",
            field="status",
        )
    encounter = _get(session, actor, Encounter, "encounter", encounter_id)
    before = encounter.status
    encounter.status = status
    session.flush()
    _audit(
        session,
        actor,
        "encounter.update",
        f"encounter/{encounter.id}",
        status=status,
        previous=before,
    )
    return encounter


def add_document(
    session: Session,
    actor: Actor,
    *,
    encounter_id: str,
    text: str,
    kind: str = "progress_note",
    content_type: str = "text/plain",
) -> Document:
    """Store a note (encrypted) on an encounter, with its keyed hash for deduplication."""
    if not text.strip():
        raise InputError("the document text is empty", field="text")
    encounter = _get(session, actor, Encounter, "encounter", encounter_id)
    document = Document(
        org_id=actor.org_id,
        encounter_id=encounter.id,
        kind=kind,
        content_type=content_type,
        text=text,
        text_hash=crypto.digest(text, purpose="documents.text"),
    )
    session.add(document)
    session.flush()
    _audit(
        session,
        actor,
        "document.create",
        f"document/{document.id}",
        encounter=encounter.id,
        chars=len(text),
    )
    return document


def get_document(session: Session, actor: Actor, document_id: str) -> Document:
    document = _get(session, actor, Document, "document", document_id)
    _audit(session, actor, "document.read", f"document/{document.id}")
    return document


def find_duplicate_document(session: Session, actor: Actor, text: str) -> Document | None:
    """A document of the organization with exactly this text (by keyed hash), if any."""
    text_hash = crypto.digest(text, purpose="documents.text")
    query = _scoped(actor, select(Document).where(Document.text_hash == text_hash), Document)
    found = session.scalars(query.order_by(Document.created_at)).first()
    if found is not None:
        _audit(session, actor, "document.match", f"document/{found.id}")
    return found


def list_assignments(session: Session, actor: Actor, encounter_id: str) -> Sequence[CodeAssignment]:
    """Every code of an encounter (suggested and reviewed), in claim order."""
    encounter = _get(session, actor, Encounter, "encounter", encounter_id)
    rows = session.scalars(
        select(CodeAssignment)
        .where(CodeAssignment.encounter_id == encounter.id)
        .order_by(CodeAssignment.position, CodeAssignment.created_at, CodeAssignment.id)
    ).all()
    _audit(session, actor, "code_assignment.list", f"encounter/{encounter.id}", count=len(rows))
    return rows


def review_assignment(
    session: Session,
    actor: Actor,
    assignment_id: str,
    *,
    decision: str,
    new_code: str | None = None,
    reason: str | None = None,
) -> CodeAssignment:
    """Accept, change (to ``new_code``) or reject a code; a change or rejection needs a reason.

    A change keeps the code it replaced in ``replaced_code``.
    """
    if decision not in REVIEW_DECISIONS:
        raise InputError(
            f"decision must be one of {', '.join(REVIEW_DECISIONS)}, got {decision!r}",
            field="decision",
        )
    if decision in ("changed", "rejected") and not (reason and reason.strip()):
        raise InputError(f"a {decision} code needs a reason", field="reason")
    if decision == "changed" and not (new_code and new_code.strip()):
        raise InputError("a changed code needs the new code", field="new_code")
    assignment = _get(session, actor, CodeAssignment, "code_assignment", assignment_id)
    previous = assignment.code
    if decision == "changed" and new_code:
        assignment.replaced_code = assignment.replaced_code or assignment.code
        assignment.code = new_code.strip().upper()
    assignment.status = decision
    assignment.reason = reason
    assignment.by_user_id = actor.user_id
    assignment.at = utcnow()
    session.flush()
    _audit(
        session,
        actor,
        "code_assignment.review",
        f"code_assignment/{assignment.id}",
        decision=decision,
        code=assignment.code,
        previous=previous if previous != assignment.code else None,
    )
    return assignment


def add_code(
    session: Session,
    actor: Actor,
    *,
    encounter_id: str,
    code: str,
    system: str,
    reason: str,
    position: int | None = None,
) -> CodeAssignment:
    """A code the coder adds that the engine did not suggest (status ``added``)."""
    if not reason.strip():
        raise InputError("an added code needs a reason", field="reason")
    encounter = _get(session, actor, Encounter, "encounter", encounter_id)
    if position is None:
        last = session.scalar(
            select(func.max(CodeAssignment.position)).where(
                CodeAssignment.encounter_id == encounter.id
            )
        )
        position = (last or 0) + 1
    assignment = CodeAssignment(
        org_id=actor.org_id,
        encounter_id=encounter.id,
        code=code.strip().upper(),
        system=system,
        position=position,
        status="added",
        reason=reason,
        by_user_id=actor.user_id,
        at=utcnow(),
    )
    session.add(assignment)
    session.flush()
    _audit(
        session,
        actor,
        "code_assignment.create",
        f"code_assignment/{assignment.id}",
        code=assignment.code,
    )
    return assignment


def final_codes(session: Session, actor: Actor, encounter_id: str) -> Sequence[CodeAssignment]:
    """The encounter's final code set: accepted, changed and added codes, in claim order."""
    return [a for a in list_assignments(session, actor, encounter_id) if a.status in FINAL_STATUSES]
