"""The database shell around claims: read a coded encounter, store the built claim, batch
a payer's built claims into one 837 with a database control number.

Functions take a SQLAlchemy ``Session`` and leave committing to the caller (one
transaction: a failed batch writes nothing). They record PHI-free audit events.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from medcoder.claims.assemble import build_claim
from medcoder.claims.batching import batch_for
from medcoder.claims.details import ClaimDetails, details_from_dict
from medcoder.claims.errors import ClaimError, ClaimStateError
from medcoder.claims.model import Claim, ClaimType, Frequency
from medcoder.claims.practice import Practice
from medcoder.claims.serialize import claim_from_dict, claim_to_dict
from medcoder.claims.state import ClaimStatus, advance
from medcoder.claims.x12.write837 import write_837
from medcoder.edits.encounter import Encounter, age_on, parse_encounter
from medcoder.edits.engine import Editor
from medcoder.errors import InputError
from medcoder.store import audit
from medcoder.store.claims_models import (
    INTERCHANGE_COUNTER,
    ClaimLineRecord,
    ClaimRecord,
    ControlCounter,
    X12Batch,
)
from medcoder.store.models import CodeAssignment, Coverage, Patient, Provider
from medcoder.store.models import Encounter as EncounterRow
from medcoder.store.models import Payer as PayerRow
from medcoder.store.service_lines import line_fields

__all__ = [
    "BatchResult",
    "DatabaseControlNumbers",
    "build_and_store",
    "claim_inputs_from_store",
    "write_payer_batch",
]

_FINAL_CODES = ("accepted", "changed", "added")
_BILLABLE = ("coded", "billed")
_SERVICE_SYSTEMS = ("CPT", "HCPCS")
#: The partial unique index (migration 0005): one original (frequency 1) claim per encounter.
_ORIGINAL_INDEX = "uq_claims_original_encounter"


class DatabaseControlNumbers:
    """Control numbers from the ``x12_control_counters`` row (an atomic UPDATE ... RETURNING:
    concurrent batches serialize on the row and never share a number)."""

    def __init__(self, session: Session, name: str = INTERCHANGE_COUNTER) -> None:
        self.session, self.name = session, name

    def next(self) -> int:
        value = self.session.execute(
            update(ControlCounter).where(ControlCounter.name == self.name)
            .values(value=ControlCounter.value + 1).returning(ControlCounter.value)
        ).scalar_one_or_none()
        if value is None:
            raise ClaimError(f"no control-number counter {self.name!r}: run medcoder db upgrade")
        return int(value)


def _address(row: Any, what: str) -> dict[str, Any]:
    if not (row.address_line1 and row.city and row.state and row.postal_code):
        raise InputError(f"the {what} has no complete address (line 1, city, state, ZIP)",
                         field=f"{what}.address")
    return {"line1": row.address_line1, "line2": row.address_line2, "city": row.city,
            "state": row.state, "postal_code": str(row.postal_code).replace("-", "")}


def _payer_key(practice: Practice, payer: PayerRow) -> str:
    for key in practice.payer_keys:
        entry = practice.payer(key)
        if entry.payer_id == payer.payer_id or key == payer.payer_id:
            return key
    raise InputError(f"payer {payer.payer_id} ({payer.name}) is not in the practice file",
                     field="payer")


def claim_inputs_from_store(
    session: Session, encounter_id: str, practice: Practice
) -> tuple[Encounter, ClaimDetails, EncounterRow]:
    """The coded encounter and the claim details (patient, coverage) of a stored encounter.

    Codes are the coder's final ones (accepted, changed or added) in claim order.

    Raises:
        InputError: no such encounter, no final codes, no coverage on the date, missing data.
    """
    row = session.get(EncounterRow, encounter_id)
    if row is None:
        raise InputError(f"no encounter {encounter_id}", field="encounter")
    patient = session.get(Patient, row.patient_id)
    if patient is None:  # pragma: no cover - a foreign key guarantees it
        raise InputError(f"encounter {encounter_id} has no patient", field="patient")
    codes = session.scalars(
        select(CodeAssignment).where(CodeAssignment.encounter_id == row.id,
                                     CodeAssignment.status.in_(_FINAL_CODES))
        .order_by(CodeAssignment.position)).all()
    if not codes:
        raise InputError(f"encounter {encounter_id} has no accepted codes yet: review them "
                         "first", field="codes")
    diagnoses = [c for c in codes if c.system.upper() in ("ICD10CM", "ICD-10-CM")]
    final_diagnoses = [(d.code, d.replaced_code) for d in diagnoses]
    services = [c for c in codes if c.system.upper() in _SERVICE_SYSTEMS]
    procedures = [c.code for c in codes if c.system.upper() in ("PCS", "ICD10PCS")]
    encounter = parse_encounter({
        "id": row.id,
        "date_of_service": row.date_of_service.isoformat(),
        "discharge_date": row.end_date.isoformat() if row.end_date else None,
        "setting": row.setting,
        "place_of_service": row.place_of_service,
        "patient": {"age": age_on(patient.birth_date, row.date_of_service), "sex": patient.sex},
        "diagnoses": [{"code": d.code, **({"present_on_admission": d.detail["poa"]}
                                          if d.detail.get("poa") else {})} for d in diagnoses],
        "procedures": procedures,
        "lines": [line_fields(s.code, s.detail, final_diagnoses) for s in services],
    })
    coverage = _coverage(session, patient.id, row.date_of_service)
    payer = session.get(PayerRow, coverage.payer_id)
    assert payer is not None
    patient_person = {"last_name": patient.last_name, "first_name": patient.first_name,
                      "birth_date": patient.birth_date.isoformat(), "sex": patient.sex,
                      "address": _address(patient, "patient")}
    relationship = coverage.subscriber_relationship
    if relationship == "self":
        subscriber: dict[str, Any] = dict(patient_person)
    else:
        if not (coverage.subscriber_last_name and coverage.subscriber_first_name
                and coverage.subscriber_birth_date):
            raise InputError("the coverage names no subscriber (name and birth date)",
                             field="coverage.subscriber")
        subscriber = {"last_name": coverage.subscriber_last_name,
                      "first_name": coverage.subscriber_first_name,
                      "birth_date": coverage.subscriber_birth_date.isoformat(), "sex": "U",
                      "address": patient_person["address"]}
    subscriber.update(member_id=coverage.member_id, group_number=coverage.group_number,
                      payer_responsibility={1: "P", 2: "S"}.get(coverage.priority, "T"))
    rendering = None
    if row.provider_id:
        provider = session.get(Provider, row.provider_id)
        if provider is not None and provider.npi in practice.rendering_providers:
            rendering = provider.npi
    details = details_from_dict({
        "patient_control_number": row.id[:20],
        "payer": _payer_key(practice, payer),
        "rendering_provider": rendering,
        "relationship": relationship,
        "subscriber": subscriber,
        **({"patient": patient_person} if relationship != "self" else {}),
    })
    return encounter, details, row


def _coverage(session: Session, patient_id: str, day: dt.date) -> Coverage:
    rows = session.scalars(select(Coverage).where(Coverage.patient_id == patient_id)
                           .order_by(Coverage.priority)).all()
    for cov in rows:
        if (cov.start_date is None or cov.start_date <= day) and (
                cov.end_date is None or day <= cov.end_date):
            return cov
    raise InputError(f"the patient has no coverage in force on {day}", field="coverage")


def build_and_store(
    session: Session,
    encounter_id: str,
    practice: Practice,
    editor: Editor,
    *,
    frequency: Frequency = Frequency.ORIGINAL,
    original_claim_reference: str | None = None,
    actor: str = "cli",
) -> ClaimRecord:
    """Build the claim of a stored encounter and store it (status ``built``).

    An encounter gets one original claim; after that only a replacement (7) or void (8),
    which points at the claim it replaces.

    Raises:
        ClaimEditError: error-severity edits fired (nothing stored).
        ClaimStateError: the encounter already has a claim and this is an original (also
            when a concurrent build stored its original first: the database's unique index
            ``uq_claims_original_encounter`` refuses the second one).
        InputError: see :func:`claim_inputs_from_store`.
    """
    encounter, details, row = claim_inputs_from_store(session, encounter_id, practice)
    if row.status not in _BILLABLE:
        raise InputError(f"encounter {encounter_id} is {row.status}: only a coded encounter "
                         "is billed (finish the review first)", field="encounter.status")
    previous = session.scalars(select(ClaimRecord).where(ClaimRecord.encounter_id == row.id)
                               .order_by(ClaimRecord.created_at.desc())).first()
    if (previous is not None and frequency is Frequency.ORIGINAL
            and previous.status == ClaimStatus.BUILT.value and previous.frequency == "1"
            and previous.batch_id is None):
        # Never sent: rebuilding (after the codes changed) simply takes its place.
        for old_line in session.scalars(select(ClaimLineRecord).where(
                ClaimLineRecord.claim_id == previous.id)):
            session.delete(old_line)
        session.flush()
        session.delete(previous)
        session.flush()
        previous = None
    if previous is not None and frequency is Frequency.ORIGINAL:
        raise ClaimStateError(
            f"encounter {encounter_id} already has claim {previous.id} ({previous.status}): "
            "build a replacement (7) or void (8) instead",
            claim_id=previous.patient_control_number, current=previous.status,
            target=ClaimStatus.BUILT.value)
    if previous is None and frequency is not Frequency.ORIGINAL:
        raise ClaimStateError(f"encounter {encounter_id} has no claim to replace or void",
                              current="none", target=ClaimStatus.BUILT.value)
    details = details.model_copy(update={"frequency": frequency,
                                         "original_claim_reference": original_claim_reference})
    claim = build_claim(encounter, details, practice, edits=editor.edit(encounter))
    record = ClaimRecord(
        org_id=row.org_id, encounter_id=row.id, patient_control_number=claim.claim_id,
        payer_key=claim.payer.key, payer_id=claim.payer.payer_id,
        claim_type=claim.claim_type.value, frequency=claim.frequency.value,
        original_claim_reference=claim.original_claim_reference,
        replaces_claim_id=previous.id if previous is not None else None,
        status=ClaimStatus.BUILT.value, total_charge=claim.total_charge,
        snapshot=claim_to_dict(claim))
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError as exc:
        if _ORIGINAL_INDEX not in str(exc.orig) and "claims.encounter_id" not in str(exc.orig):
            raise
        raise ClaimStateError(
            f"encounter {encounter_id} already has an original claim (built concurrently): "
            "build a replacement (7) or void (8) instead",
            claim_id=claim.claim_id, current=ClaimStatus.BUILT.value,
            target=ClaimStatus.BUILT.value) from None
    for line in claim.lines:
        session.add(ClaimLineRecord(
            org_id=row.org_id, claim_id=record.id, line_number=line.number, code=line.code,
            modifiers=list(line.modifiers), units=line.units, charge=line.charge,
            control_number=line.control_number, revenue_code=line.revenue_code))
    if previous is not None and previous.status != ClaimStatus.CORRECTED.value:
        previous.status = advance(previous.status, ClaimStatus.CORRECTED,
                                  claim_id=previous.patient_control_number).value
    row.status = "billed"
    audit.record(session, actor, "claim.build", f"claim/{record.id}", org_id=row.org_id,
                 detail={"encounter": row.id, "frequency": claim.frequency.value,
                         "lines": len(claim.lines)})
    session.flush()
    return record


@dataclass(frozen=True, slots=True)
class BatchResult:
    text: str
    batch: X12Batch
    claims: tuple[Claim, ...]


def write_payer_batch(
    session: Session,
    practice: Practice,
    payer: str,
    *,
    file_name: str,
    org_id: str | None = None,
    created: dt.datetime | None = None,
    actor: str = "cli",
) -> BatchResult:
    """Every built, unbatched claim for ``payer`` (practice key or payer id) in one 837;
    the claims move to ``submitted`` and the batch is recorded (in the caller's transaction).

    Raises:
        ClaimError: no such claims, or claims of several organizations / claim types.
    """
    # The counter first: on SQLite this write takes the database's write lock before the
    # claims are read, so two concurrent batches never pick the same claims (PostgreSQL:
    # the row locks of FOR UPDATE below do the same). No claims -> the caller rolls back.
    number = DatabaseControlNumbers(session).next()
    entry = practice.payer(payer) if payer in practice.payer_keys else None
    payer_ids = {payer, entry.payer_id} if entry else {payer}
    query = select(ClaimRecord).where(
        ClaimRecord.status == ClaimStatus.BUILT.value, ClaimRecord.batch_id.is_(None),
        (ClaimRecord.payer_key == payer) | ClaimRecord.payer_id.in_(payer_ids))
    if org_id is not None:
        query = query.where(ClaimRecord.org_id == org_id)
    records: Sequence[ClaimRecord] = session.scalars(
        query.order_by(ClaimRecord.created_at, ClaimRecord.id).with_for_update()).all()
    if not records:
        raise ClaimError(f"no built, unsubmitted claims for payer {payer}")
    orgs = {r.org_id for r in records}
    if len(orgs) > 1:
        raise ClaimError(f"claims for payer {payer} belong to {len(orgs)} organizations: "
                         "choose one with --org")
    kinds = {r.claim_type for r in records}
    if len(kinds) > 1:
        raise ClaimError(f"payer {payer} has professional and institutional claims: they go "
                         "in separate files")
    claims = tuple(claim_from_dict(r.snapshot) for r in records)
    when = created or dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    text = write_837(claims, batch_for(practice, claims[0].payer.key, number, when))
    kind = ClaimType(kinds.pop())
    batch = X12Batch(
        org_id=orgs.pop(), control_number=number, transaction_set=f"837{kind.value}",
        payer_id=claims[0].payer.payer_id, claim_count=len(claims),
        total_charge=sum((c.total_charge for c in claims), Decimal("0.00")),
        file_name=file_name, sha256=hashlib.sha256(text.encode("ascii")).hexdigest())
    session.add(batch)
    session.flush()
    now = dt.datetime.now(dt.UTC)
    for record in records:
        record.status = advance(record.status, ClaimStatus.SUBMITTED,
                                claim_id=record.patient_control_number).value
        record.batch_id = batch.id
        record.submitted_at = now
    audit.record(session, actor, "claim.batch", f"x12_batch/{batch.id}", org_id=batch.org_id,
                 detail={"claims": len(claims), "control_number": number})
    session.flush()
    return BatchResult(text, batch, claims)
