"""The ``code_document`` job: code a stored document and save what the engine suggests.

Read phase (short transaction): the Document (decrypted by the store), its Encounter and the
patient's age and sex. Compute phase (no transaction): the engine
(:class:`~medcoder.worker.document_coding.DocumentCoder`). Write phase (the transaction that
marks the job done, see :mod:`medcoder.worker.runner`): a CodingRun, one CodeAssignment per
suggestion (status ``suggested``, evidence, rationale, score), the job's
:class:`~medcoder.store.jobs_models.JobOutput`, the document ``coded``, the encounter
``to_review`` and an audit event by ``system/worker``.

:func:`enqueue_code_document` and :func:`enqueue_code_batch` are what the API calls after an
upload: one job per document, idempotent per document (and ``rerun`` token).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

import medcoder
from medcoder.edits.encounter import age_on
from medcoder.errors import InputError, NoReleaseError, NoteError
from medcoder.notes import Document as NoteDocument
from medcoder.notes import Setting, read_document
from medcoder.notes.document import Patient as NotePatient
from medcoder.notes.document import Sex
from medcoder.store.audit import record as record_audit_event
from medcoder.store.db import utcnow
from medcoder.store.jobs_models import Job, JobOutput
from medcoder.store.models import CodeAssignment, CodingRun, Document, Encounter, Patient
from medcoder.worker.document_coding import DocumentCoder, DocumentCoding, evidence_json
from medcoder.worker.queue import ClaimedJob, enqueue
from medcoder.worker.runner import Apply, PermanentJobError

__all__ = [
    "CODE_DOCUMENT",
    "WORKER_ACTOR",
    "CodeDocumentHandler",
    "enqueue_code_batch",
    "enqueue_code_document",
]

log = logging.getLogger(__name__)

CODE_DOCUMENT = "code_document"
WORKER_ACTOR = "system/worker"
_ENCOUNTER_SETTINGS_INPATIENT = ("inpatient", "observation")
_SEX = {"F": Sex.FEMALE, "M": Sex.MALE}
#: Errors that come from the document itself (an empty or binary note, a bad field, a date of
#: service no code-set release covers): retrying cannot help, the job is dead at once. Any
#: other error (the knowledge base, the database, a bug) is retried with a backoff.
_DOCUMENT_ERRORS = (NoteError, InputError, NoReleaseError)


def enqueue_code_document(
    session: Session,
    *,
    document: Document,
    rerun: str | None = None,
    max_attempts: int = 5,
) -> Job:
    """Queue the coding of ``document`` in the caller's transaction; marks it ``queued``.

    Enqueuing the same document again returns the job already there (an upload retried, a
    batch sent twice). To code a document a second time on purpose, give a new ``rerun``
    token (e.g. the new knowledge-base version).
    """
    key = f"{CODE_DOCUMENT}:{document.id}" + (f":{rerun}" if rerun else "")
    job = enqueue(
        session,
        kind=CODE_DOCUMENT,
        payload={"document_id": document.id},
        idempotency_key=key,
        org_id=document.org_id,
        max_attempts=max_attempts,
    )
    if document.status == "received":
        document.status = "queued"
    return job


def enqueue_code_batch(
    session: Session,
    *,
    documents: Sequence[Document],
    rerun: str | None = None,
    max_attempts: int = 5,
) -> list[Job]:
    """Queue one ``code_document`` job per document (the "code_batch" of an upload)."""
    return [
        enqueue_code_document(session, document=d, rerun=rerun, max_attempts=max_attempts)
        for d in documents
    ]


def _age(birth: dt.date, on: dt.date) -> int | None:
    years = age_on(birth, on)
    return years if 0 <= years <= 130 else None


class CodeDocumentHandler:
    """Runs ``code_document`` jobs; the engine is built on first use, once per process.

    Args:
        load_coder: builds the :class:`DocumentCoder` (opens the knowledge base: ~1 s).
    """

    def __init__(self, load_coder: Callable[[], DocumentCoder]) -> None:
        self._load_coder = load_coder
        self._coder: DocumentCoder | None = None

    def warm(self) -> None:
        """Load the engine now (a worker does this at start, to fail fast and clearly)."""
        _ = self.coder

    @property
    def coder(self) -> DocumentCoder:
        if self._coder is None:
            self._coder = self._load_coder()
        return self._coder

    def close(self) -> None:
        """Release the engine (its knowledge base) if it was loaded and can be closed."""
        close = getattr(self._coder, "close", None)
        if close is not None:
            close()
        self._coder = None

    def __call__(self, job: ClaimedJob, factory: sessionmaker[Session]) -> Apply:
        document_id = job.payload.get("document_id")
        if not isinstance(document_id, str):
            raise PermanentJobError(f"job {job.id}: payload has no document_id")
        note, org_id, encounter_id = self._read(factory, document_id)
        coder = self.coder  # a failure to load the engine is not the document's: retried
        try:
            coding = coder.code(note)
        except _DOCUMENT_ERRORS as exc:  # the note or its date will not get better by retrying
            raise PermanentJobError(f"document {document_id}: {exc}") from exc

        def apply(session: Session) -> Mapping[str, Any]:
            return _save(session, job, org_id, document_id, encounter_id, coding)

        return apply

    def on_dead(self, session: Session, job: ClaimedJob, error: str) -> None:
        """A job out of attempts: its document is ``failed`` (the error is on the job)."""
        document_id = job.payload.get("document_id")
        if isinstance(document_id, str):
            session.execute(
                update(Document)
                .where(Document.id == document_id, Document.status != "coded")
                .values(status="failed")
            )

    @staticmethod
    def _read(factory: sessionmaker[Session], document_id: str) -> tuple[NoteDocument, str, str]:
        with factory() as session, session.begin():
            document = session.get(Document, document_id)
            if document is None:
                raise PermanentJobError(f"document {document_id} does not exist")
            encounter = session.get(Encounter, document.encounter_id)
            if encounter is None:
                raise PermanentJobError(f"document {document_id} has no encounter")
            patient = session.get(Patient, encounter.patient_id)
            text = document.text
            org_id, encounter_id = document.org_id, encounter.id
            dos = encounter.date_of_service
            setting = (
                Setting.INPATIENT
                if encounter.setting in _ENCOUNTER_SETTINGS_INPATIENT
                else Setting.OUTPATIENT
            )
            who = NotePatient(
                age=_age(patient.birth_date, dos) if patient else None,
                sex=_SEX.get(patient.sex) if patient else None,
            )
        try:
            note = read_document(
                text, source=document_id, setting=setting, date_of_service=dos, patient=who
            )
        except _DOCUMENT_ERRORS as exc:
            raise PermanentJobError(f"document {document_id}: {exc}") from exc
        return note, org_id, encounter_id


def _save(
    session: Session,
    job: ClaimedJob,
    org_id: str,
    document_id: str,
    encounter_id: str,
    coding: DocumentCoding,
) -> Mapping[str, Any]:
    now = utcnow()
    run = CodingRun(
        org_id=org_id,
        document_id=document_id,
        encounter_id=encounter_id,
        status="done",
        engine_version=f"medcoder {medcoder.__version__} {coding.engine}"[:50],
        kb_fingerprint=coding.kb_fingerprint[:64],
        warnings=[*coding.warnings, *(f"query: {q}" for q in coding.queries)],
        started_at=now,
        finished_at=now,
    )
    session.add(run)
    session.flush()
    # The exactly-once guard: a second run for this job cannot commit (primary key).
    session.add(JobOutput(job_id=job.id, output_kind="coding_run", resource_id=run.id))
    session.flush()
    session.add_all(
        CodeAssignment(
            org_id=org_id,
            encounter_id=encounter_id,
            coding_run_id=run.id,
            position=code.sequence,
            code=code.code,
            system=code.system,
            score=code.score,
            evidence=evidence_json(code.evidence),
            rationale=code.rationale,
            detail=dict(code.detail),
            status="suggested",
        )
        for code in coding.codes
    )
    session.execute(update(Document).where(Document.id == document_id).values(status="coded"))
    session.execute(
        update(Encounter)
        .where(Encounter.id == encounter_id, Encounter.status == "to_code")
        .values(status="to_review", updated_at=now)
    )
    _audit(session, org_id=org_id, document_id=document_id, run_id=run.id)
    return {"coding_run_id": run.id, "codes": len(coding.codes)}


def _audit(session: Session, *, org_id: str, document_id: str, run_id: str) -> None:
    record_audit_event(
        session,
        actor=WORKER_ACTOR,
        action="document.code",
        resource=f"document/{document_id}",
        outcome="success",
        ip=None,
        org_id=org_id,
        detail={"coding_run_id": run_id},
    )


def coding_runs_of(session: Session, document_id: str) -> list[CodingRun]:
    """The coding runs saved for a document (oldest first)."""
    return list(
        session.scalars(
            select(CodingRun)
            .where(CodingRun.document_id == document_id)
            .order_by(CodingRun.started_at)
        )
    )
