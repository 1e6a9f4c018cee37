"""Seed a demo database: an organization, one user per role, synthetic patients with the
sample notes from ``examples/notes``, coded by the engine (``medcoder serve --demo``)."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from medcoder.api.coding_jobs import enqueue_coding
from medcoder.api.policy import Role
from medcoder.api.security import hash_password
from medcoder.codesets import KnowledgeBase
from medcoder.store import repo
from medcoder.store.models import User

if TYPE_CHECKING:
    from medcoder.worker.runner import WorkerStats

__all__ = ["DemoData", "DemoUser", "code_queued", "seed_demo"]

#: Synthetic people for the sample notes (no real patient is named anywhere in the demo).
_NAMES = (
    ("Avery", "Sample"),
    ("Blake", "Example"),
    ("Casey", "Placeholder"),
    ("Drew", "Fictive"),
    ("Emery", "Specimen"),
)


@dataclass(frozen=True, slots=True)
class DemoUser:
    role: str
    username: str
    password: str


@dataclass(frozen=True, slots=True)
class DemoData:
    org_id: str
    users: tuple[DemoUser, ...]
    encounter_ids: tuple[str, ...]


def _birth_date(age: int, on: dt.date) -> dt.date:
    return on.replace(year=on.year - age) - dt.timedelta(days=30)


def seed_demo(factory: sessionmaker[Session], notes: Path) -> DemoData:
    """Create the demo organization, users (random passwords) and one encounter per sample
    note (JSON envelopes), each document queued for coding."""
    envelopes = sorted(notes.glob("*.json"))
    with factory() as session:
        org = repo.create_organization(session, "Demo Practice", actor="demo")
        actor = repo.Actor(org_id=org.id, role=Role.ADMIN.value, name="demo")
        users: list[DemoUser] = []
        patient_ids: list[str] = []
        encounter_ids: list[str] = []
        for i, path in enumerate(envelopes):
            data = json.loads(path.read_text(encoding="utf-8"))
            dos = dt.date.fromisoformat(data.get("date_of_service", "2026-05-12"))
            person = data.get("patient") or {}
            first, last = _NAMES[i % len(_NAMES)]
            patient = repo.create_patient(
                session,
                actor,
                first_name=first,
                last_name=last,
                birth_date=_birth_date(int(person.get("age", 50)), dos),
                sex=str(person.get("sex", "U")),
                mrn=f"DEMO-{i + 1:04d}",
            )
            patient_ids.append(patient.id)
            encounter = repo.create_encounter(
                session,
                actor,
                patient_id=patient.id,
                date_of_service=dos,
                setting=str(data.get("setting", "outpatient")),
                place_of_service="21" if data.get("setting") == "inpatient" else "11",
            )
            encounter_ids.append(encounter.id)
            document = repo.add_document(
                session,
                actor,
                encounter_id=encounter.id,
                text=path.read_text(encoding="utf-8"),
                kind="discharge_summary" if "discharge" in path.stem else "progress_note",
                content_type="application/json",
            )
            enqueue_coding(session, document)
        for role in Role:
            password = secrets.token_urlsafe(9)
            username = f"demo-{role.value}"
            users.append(DemoUser(role.value, username, password))
            session.add(
                User(
                    org_id=org.id,
                    username=username,
                    password_hash=hash_password(password),
                    role=role.value,
                    patient_id=patient_ids[0] if role is Role.PATIENT and patient_ids else None,
                )
            )
        session.commit()
        return DemoData(org.id, tuple(users), tuple(encounter_ids))


def code_queued(
    factory: sessionmaker[Session],
    kb: Callable[[], KnowledgeBase],
) -> WorkerStats:
    """Run the coding jobs due now in this process; what the worker did."""
    from medcoder.worker.code_document import CODE_DOCUMENT, CodeDocumentHandler
    from medcoder.worker.document_coding import EngineCoder
    from medcoder.worker.runner import Worker

    worker = Worker(factory, {CODE_DOCUMENT: CodeDocumentHandler(lambda: EngineCoder(kb()))})
    return worker.run_until_idle()
