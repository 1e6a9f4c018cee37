"""The acceptance check, with real coding output: a note is coded by the diagnosis coder, the
note, patient and every result (evidence, rationale, warnings, queries) are stored the way the
worker stores them, and no word of the note is readable in the SQLite file (`strings | grep`)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from medcoder.codesets import KnowledgeBase
from medcoder.coding import DiagnosisCoder
from medcoder.notes import Document as NoteDocument
from medcoder.notes.document import Setting
from medcoder.store import repo
from medcoder.store.db import make_engine, make_session_factory, upgrade, utcnow
from medcoder.store.models import CodeAssignment, CodingRun

NOTE = """Chief complaint: shortness of breath and productive cough.
History of present illness: Bartholomew Fennimore reports fever and chills for three days.
Past medical history: type 2 diabetes mellitus with diabetic chronic kidney disease, essential
hypertension. Probable influenza.
Assessment: community acquired pneumonia of the right lower lobe. Type 2 diabetes mellitus
with diabetic chronic kidney disease stage 3. Essential hypertension.
Plan: azithromycin, chest radiograph in six weeks.
"""


def test_no_word_of_a_coded_note_is_in_the_database_file(kb: KnowledgeBase, tmp_path: Path) -> None:
    dos = dt.date(2026, 5, 14)
    result = DiagnosisCoder(kb).code(
        NoteDocument(text=NOTE, setting=Setting.OUTPATIENT, date_of_service=dos)
    )
    assert any(d.code.startswith("J18") for d in result.diagnoses), result.diagnoses
    assert any(d.evidence for d in result.diagnoses)

    url = f"sqlite:///{tmp_path / 'medcoder.db'}"
    upgrade(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        org = repo.create_organization(session, "Clinic")
        actor = repo.Actor(org_id=org.id, role="coder", name="test")
        patient = repo.create_patient(
            session,
            actor,
            first_name="Bartholomew",
            last_name="Fennimore",
            birth_date=dt.date(1950, 2, 3),
            sex="M",
            mrn="FEN-0001",
        )
        encounter = repo.create_encounter(
            session, actor, patient_id=patient.id, date_of_service=dos
        )
        document = repo.add_document(session, actor, encounter_id=encounter.id, text=NOTE)
        run = CodingRun(
            org_id=org.id,
            document_id=document.id,
            encounter_id=encounter.id,
            status="done",
            finished_at=utcnow(),
            warnings=[*result.warnings, *(f"query: {q}" for q in result.queries)],
        )
        session.add(run)
        session.flush()
        for position, dx in enumerate(result.diagnoses, start=1):
            session.add(
                CodeAssignment(
                    org_id=org.id,
                    encounter_id=encounter.id,
                    coding_run_id=run.id,
                    position=position,
                    code=dx.code,
                    system="ICD10CM",
                    score=dx.score,
                    rationale=dx.rationale,
                    evidence=[
                        {"start": e.start, "end": e.end, "text": e.text, "section": e.section}
                        for e in dx.evidence
                    ],
                )
            )
        session.commit()
    engine.dispose()

    data = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("medcoder"))
    text = "\n".join(m.decode() for m in re.findall(rb"[\x20-\x7e]{4,}", data)).lower()
    assert "clinic" in text and "j18" in text  # the scan sees row data: names and codes
    words = sorted({w.lower() for w in re.findall(r"[A-Za-z]{5,}", NOTE)})
    found = [w for w in words if w in text]
    assert found == [], f"note words readable in the database file: {found}"
