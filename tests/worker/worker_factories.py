"""Rows the worker tests need: an organization with a patient, encounters and documents."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy.orm import Session, sessionmaker

from medcoder.store.models import Document, Encounter, Organization, Patient

__all__ = ["NOTES", "make_documents"]

NOTES = (
    "Assessment: type 2 diabetes with chronic kidney disease stage 3. Hypertension.",
    "Assessment: community acquired pneumonia. Plan: amoxicillin.",
    "Chief complaint: knee pain. Assessment: osteoarthritis of the right knee.",
    "Assessment: major depressive disorder, recurrent, moderate.",
    "Assessment: acute otitis media of the left ear.",
)


def make_documents(
    factory: sessionmaker[Session],
    n: int,
    *,
    setting: str = "outpatient",
    notes: tuple[str, ...] = NOTES,
) -> tuple[str, list[str]]:
    """A new organization with one patient and ``n`` encounters of one note each (``notes``
    in turn). Returns the organization id and the document ids (in creation order).
    """
    with factory() as session, session.begin():
        org = Organization(name="Worker test practice")
        session.add(org)
        session.flush()
        patient = Patient(
            org_id=org.id,
            first_name="Test",
            last_name="Patient",
            birth_date=dt.date(1960, 5, 1),
            sex="F",
        )
        session.add(patient)
        session.flush()
        ids = []
        for i in range(n):
            encounter = Encounter(
                org_id=org.id,
                patient_id=patient.id,
                date_of_service=dt.date(2026, 5, 14),
                setting=setting,
            )
            session.add(encounter)
            session.flush()
            text = notes[i % len(notes)]
            document = Document(
                org_id=org.id,
                encounter_id=encounter.id,
                text=text,
                text_hash=hashlib.sha256(f"{i}:{text}".encode()).hexdigest(),
            )
            session.add(document)
            session.flush()
            ids.append(document.id)
        return org.id, ids
