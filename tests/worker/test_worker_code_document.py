"""The code_document job end to end on both databases: suggestions saved exactly once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from worker_factories import NOTES, make_documents

from medcoder.codesets import KnowledgeBase
from medcoder.coding import Evidence
from medcoder.errors import KnowledgeBaseError
from medcoder.notes import Document as NoteDocument
from medcoder.store.audit import verify
from medcoder.store.db import make_engine, make_session_factory
from medcoder.store.jobs_models import Job, JobOutput
from medcoder.store.models import AuditEvent, CodeAssignment, CodingRun, Document, Encounter
from medcoder.worker import (
    CODE_DOCUMENT,
    CodeDocumentHandler,
    DocumentCoder,
    DocumentCoding,
    EngineCoder,
    SuggestedCode,
    Worker,
    WorkerConfig,
    enqueue_code_batch,
)
from medcoder.worker.queue import claim, recover_expired
from medcoder.worker.retry import RetryPolicy

FAST = WorkerConfig(lease=dt.timedelta(seconds=30), poll_interval=0.05)


@pytest.fixture
def factory(fresh_db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(fresh_db_url)
    yield make_session_factory(engine)
    engine.dispose()


class FakeCoder:
    """Codes every note with one code quoting its first word; counts its calls."""

    def __init__(self, fail_times: int = 0) -> None:
        self.calls = 0
        self.fail_times = fail_times

    def code(self, document: NoteDocument) -> DocumentCoding:
        self.calls += 1
        if self.calls <= self.fail_times:
            raise ConnectionError("engine hiccup")
        first = document.text.split()[0]
        return DocumentCoding(
            codes=(
                SuggestedCode(
                    code="E11.22",
                    system="ICD10CM",
                    score=0.9,
                    rationale="Index: Diabetes, type 2, with, CKD -> E11.22",
                    evidence=(Evidence(0, len(first), first, "assessment"),),
                    sequence=1,
                ),
            ),
            warnings=("a warning",),
        )


def _enqueue_all(factory: sessionmaker[Session], doc_ids: list[str]) -> None:
    with factory() as session, session.begin():
        docs = [session.get(Document, i) for i in doc_ids]
        enqueue_code_batch(session, documents=[d for d in docs if d is not None])


class TestCodeDocument:
    def test_saves_run_assignments_statuses_and_audit(self, factory: sessionmaker[Session]) -> None:
        org_id, doc_ids = make_documents(factory, 3)
        _enqueue_all(factory, doc_ids)
        coder = FakeCoder()
        worker = Worker(factory, {CODE_DOCUMENT: CodeDocumentHandler(lambda: coder)}, FAST)
        stats = worker.run_until_idle()
        assert (stats.done, stats.failed) == (3, 0)
        with factory() as session:
            for doc_id in doc_ids:
                (run,) = session.scalars(
                    select(CodingRun).where(CodingRun.document_id == doc_id)
                ).all()
                assert run.status == "done" and run.warnings == ["a warning"]
                (code,) = session.scalars(
                    select(CodeAssignment).where(CodeAssignment.coding_run_id == run.id)
                ).all()
                assert (code.code, code.system, code.status, code.position) == (
                    "E11.22",
                    "ICD10CM",
                    "suggested",
                    1,
                )
                assert code.score == pytest.approx(0.9)
                first = NOTES[doc_ids.index(doc_id)].split()[0]
                assert code.evidence == [
                    {"start": 0, "end": len(first), "text": first, "section": "assessment"}
                ]
                document = session.get(Document, doc_id)
                assert document is not None and document.status == "coded"
                encounter = session.get(Encounter, run.encounter_id)
                assert encounter is not None and encounter.status == "to_review"
                job = session.scalars(
                    select(Job).where(Job.payload["document_id"].as_string() == doc_id)
                ).one()
                assert job.status == "done"
                assert job.result == {"coding_run_id": run.id, "codes": 1}
                output = session.get(JobOutput, (job.id, "coding_run"))
                assert output is not None and output.resource_id == run.id
            events = session.scalars(
                select(AuditEvent).where(
                    AuditEvent.org_id == org_id, AuditEvent.action == "document.code"
                )
            ).all()
            assert {e.resource for e in events} == {f"document/{i}" for i in doc_ids}
            assert {e.actor for e in events} == {"system/worker"}
            assert verify(session).ok

    def test_enqueue_twice_codes_once(self, factory: sessionmaker[Session]) -> None:
        _, doc_ids = make_documents(factory, 2)
        _enqueue_all(factory, doc_ids)
        _enqueue_all(factory, doc_ids)  # the batch sent again
        coder = FakeCoder()
        Worker(factory, {CODE_DOCUMENT: CodeDocumentHandler(lambda: coder)}, FAST).run_until_idle()
        assert coder.calls == 2
        with factory() as session:
            assert session.scalar(select(func.count()).select_from(Job)) == 2
            assert session.scalar(select(func.count()).select_from(CodingRun)) == 2

    def test_a_failing_engine_is_retried_then_succeeds(
        self, factory: sessionmaker[Session]
    ) -> None:
        _, (doc_id,) = make_documents(factory, 1)
        _enqueue_all(factory, [doc_id])
        coder = FakeCoder(fail_times=1)
        config = WorkerConfig(retry=RetryPolicy(base_seconds=0, cap_seconds=0))
        worker = Worker(factory, {CODE_DOCUMENT: CodeDocumentHandler(lambda: coder)}, config)
        stats = worker.run_until_idle()
        assert (stats.failed, stats.done) == (1, 1)
        with factory() as session:
            job = session.scalars(select(Job)).one()
            assert (job.status, job.attempts) == ("done", 2)
            assert session.scalar(select(func.count()).select_from(CodingRun)) == 1

    def test_a_missing_document_is_dead_at_once(self, factory: sessionmaker[Session]) -> None:
        from medcoder.worker import enqueue

        with factory() as session, session.begin():
            enqueue(session, kind=CODE_DOCUMENT, payload={"document_id": "0" * 32})
        worker = Worker(factory, {CODE_DOCUMENT: CodeDocumentHandler(FakeCoder)}, FAST)
        assert worker.run_until_idle().dead == 1
        with factory() as session:
            job = session.scalars(select(Job)).one()
            assert (job.status, job.attempts) == ("dead", 1)
            assert job.last_error == (f"PermanentJobError: document {'0' * 32} does not exist")

    def test_an_empty_note_is_dead_at_once_and_its_document_failed(
        self, factory: sessionmaker[Session]
    ) -> None:
        _, (doc_id,) = make_documents(factory, 1)
        with factory() as session, session.begin():
            document = session.get(Document, doc_id)
            assert document is not None
            document.text = "   "
            enqueue_code_batch(session, documents=[document])
        coder = FakeCoder()
        worker = Worker(factory, {CODE_DOCUMENT: CodeDocumentHandler(lambda: coder)}, FAST)
        assert worker.run_until_idle().dead == 1
        assert coder.calls == 0
        with factory() as session:
            job = session.scalars(select(Job)).one()
            assert (job.status, job.attempts) == ("dead", 1)
            assert (job.last_error or "").startswith(f"PermanentJobError: document {doc_id}: ")
            document = session.get(Document, doc_id)
            assert document is not None and document.status == "failed"
            assert session.scalar(select(func.count()).select_from(CodingRun)) == 0

    def test_an_engine_that_cannot_load_is_retried_not_dead(
        self, factory: sessionmaker[Session]
    ) -> None:
        _, (doc_id,) = make_documents(factory, 1)
        _enqueue_all(factory, [doc_id])

        def broken() -> DocumentCoder:
            raise KnowledgeBaseError("knowledge base file is corrupt")

        worker = Worker(factory, {CODE_DOCUMENT: CodeDocumentHandler(broken)}, FAST)
        stats = worker.run_until_idle()
        assert (stats.failed, stats.dead) == (1, 0)
        with factory() as session:
            job = session.scalars(select(Job)).one()
            assert (job.status, job.attempts) == ("failed", 1)
            assert job.last_error == "KnowledgeBaseError: knowledge base file is corrupt"
            document = session.get(Document, doc_id)
            assert document is not None and document.status == "queued"

    def test_a_date_no_release_covers_is_dead_at_once(
        self, factory: sessionmaker[Session], kb: KnowledgeBase
    ) -> None:
        _, (doc_id,) = make_documents(factory, 1)
        with factory() as session, session.begin():
            document = session.get(Document, doc_id)
            assert document is not None
            encounter = session.get(Encounter, document.encounter_id)
            assert encounter is not None
            encounter.date_of_service = dt.date(2015, 1, 5)  # before ICD-10-CM in the KB
            enqueue_code_batch(session, documents=[document])
        handler = CodeDocumentHandler(lambda: EngineCoder(kb, with_procedures=False))
        assert Worker(factory, {CODE_DOCUMENT: handler}, FAST).run_until_idle().dead == 1
        with factory() as session:
            job = session.scalars(select(Job)).one()
            assert (job.status, job.attempts) == ("dead", 1)
            assert "no icd10cm release covers 2015-01-05" in (job.last_error or "")

    def test_a_stale_attempt_commits_nothing(self, factory: sessionmaker[Session]) -> None:
        """A worker that hung past its lease finishes after another attempt took over: only
        one CodingRun is kept, the stale worker's results are rolled back."""
        _, (doc_id,) = make_documents(factory, 1)
        _enqueue_all(factory, [doc_id])
        handler = CodeDocumentHandler(FakeCoder)
        (stale,) = claim(factory, worker_id="hung", lease=dt.timedelta(microseconds=1))
        apply_stale = handler(stale, factory)  # computed, not yet written; its lease is over
        assert recover_expired(factory, policy=RetryPolicy(base_seconds=0)) == 1
        fresh_worker = Worker(factory, {CODE_DOCUMENT: handler}, FAST, worker_id="fresh")
        assert fresh_worker.run_until_idle().done == 1
        hung_worker = Worker(factory, {CODE_DOCUMENT: handler}, FAST, worker_id="hung")
        assert hung_worker.process_prepared(stale, apply_stale) is None
        with factory() as session:
            assert session.scalar(select(func.count()).select_from(CodingRun)) == 1
            job = session.scalars(select(Job)).one()
            assert (job.status, job.lease_owner, job.attempts) == ("done", "fresh", 2)


class TestRealEngine:
    def test_codes_a_stored_note_with_evidence(
        self, factory: sessionmaker[Session], kb: KnowledgeBase
    ) -> None:
        _, (doc_id,) = make_documents(factory, 1)
        _enqueue_all(factory, [doc_id])
        worker = Worker(factory, {CODE_DOCUMENT: CodeDocumentHandler(lambda: EngineCoder(kb))})
        assert worker.run_until_idle().done == 1
        with factory() as session:
            codes = session.scalars(select(CodeAssignment).order_by(CodeAssignment.position)).all()
            by_code = {c.code: c for c in codes}
            assert {"E11.22", "N18.30", "I12.9"} <= set(by_code)
            e1122 = by_code["E11.22"]
            assert e1122.rationale.startswith("Index: Diabetes")
            assert e1122.evidence[0]["text"] == "type 2 diabetes with chronic kidney disease"
            assert NOTES[0][e1122.evidence[0]["start"] : e1122.evidence[0]["end"]] == (
                "type 2 diabetes with chronic kidney disease"
            )
            run = session.scalars(select(CodingRun)).one()
            assert run.kb_fingerprint.startswith("kb-")

    def test_saves_em_and_service_lines_with_units_modifiers_and_pointers(
        self, factory: sessionmaker[Session], kb: KnowledgeBase
    ) -> None:
        note = (
            "Chief complaint: low back pain.\n"
            "HPI: 45 year old with acute low back pain for 3 days after lifting.\n"
            "Assessment: acute lumbar strain. Hypertension, controlled.\n"
            "Plan: Toradol 60 mg IM given. Continue lisinopril. Follow up in 2 weeks."
        )
        _, (doc_id,) = make_documents(factory, 1, notes=(note,))
        _enqueue_all(factory, [doc_id])
        worker = Worker(factory, {CODE_DOCUMENT: CodeDocumentHandler(lambda: EngineCoder(kb))})
        assert worker.run_until_idle().done == 1
        with factory() as session:
            lines = {
                c.code: c
                for c in session.scalars(select(CodeAssignment)).all()
                if c.system in ("CPT", "HCPCS")
            }
            ketorolac = lines["J1885"]  # 60 mg billed per 15 mg
            assert (ketorolac.system, ketorolac.detail["units"]) == ("HCPCS", 4)
            # Pointers are resolved to codes the run saved (which ones is the engine's call).
            saved_dx = set(
                session.scalars(
                    select(CodeAssignment.code).where(CodeAssignment.system == "ICD10CM")
                )
            )
            pointed = ketorolac.detail["diagnosis_codes"]
            assert pointed and len(pointed) == len(ketorolac.detail["diagnosis_pointers"])
            assert set(pointed) <= saved_dx
            assert ketorolac.evidence and "Toradol" in note[ketorolac.evidence[0]["start"] :]
            assert lines["96372"].system == "CPT"
            (em,) = [c for c in lines.values() if c.detail["kind"] == "em"]
            assert em.code.startswith("992") and em.detail["modifiers"] == ["25"]
            run = session.scalars(select(CodingRun)).one()
            assert run.engine_version.endswith("diagnosis+procedures")

    def test_an_inpatient_note_gets_icd10pcs(
        self, factory: sessionmaker[Session], kb: KnowledgeBase
    ) -> None:
        note = (
            "Discharge summary.\nPrincipal diagnosis: acute appendicitis.\n"
            "Procedures: laparoscopic appendectomy.\nHospital course: uneventful."
        )
        _, (doc_id,) = make_documents(factory, 1, setting="inpatient", notes=(note,))
        _enqueue_all(factory, [doc_id])
        worker = Worker(factory, {CODE_DOCUMENT: CodeDocumentHandler(lambda: EngineCoder(kb))})
        assert worker.run_until_idle().done == 1
        with factory() as session:
            codes = {(c.system, c.code) for c in session.scalars(select(CodeAssignment)).all()}
            assert ("PCS", "0DTJ4ZZ") in codes  # laparoscopic appendectomy
            assert ("ICD10CM", "K35.80") in codes
