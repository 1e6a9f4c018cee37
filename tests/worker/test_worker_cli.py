"""`medcoder worker` from the command line: clear errors, --once with counts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner
from worker_factories import make_documents

from medcoder.cli import app
from medcoder.errors import KnowledgeBaseError
from medcoder.store.db import make_engine, make_session_factory
from medcoder.store.jobs_models import Job
from medcoder.store.models import CodingRun, Document, Encounter
from medcoder.worker import enqueue, enqueue_code_batch, process

runner = CliRunner()


def invoke(url: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["worker", *args], env={"MEDCODER_DATABASE_URL": url})
    return result.exit_code, " ".join(result.output.split())  # Rich wraps long lines


class TestWorkerCommand:
    def test_no_database_file(self, tmp_path: Path) -> None:
        missing = tmp_path / "none.db"
        code, out = invoke(f"sqlite:///{missing}", "--once")
        assert code == 2
        assert f"no database at {missing}: run `medcoder db upgrade` first" in out
        assert not missing.exists()

    def test_database_without_the_queue(self, tmp_path: Path) -> None:
        empty = tmp_path / "empty.db"
        empty.touch()
        code, out = invoke(f"sqlite:///{empty}", "--once")
        assert code == 2
        assert "the database has no job queue yet: run `medcoder db upgrade` first" in out

    def test_bad_concurrency(self, tmp_path: Path) -> None:
        code, _ = invoke(f"sqlite:///{tmp_path / 'x.db'}", "--concurrency", "0")
        assert code == 2

    def test_once_codes_what_is_queued_and_prints_counts(
        self, fresh_db_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        engine = make_engine(fresh_db_url)
        factory = make_session_factory(engine)
        try:
            _, doc_ids = make_documents(factory, 3)
            with factory() as session, session.begin():
                docs = session.scalars(select(Document).where(Document.id.in_(doc_ids))).all()
                enqueue_code_batch(session, documents=docs)
            code, out = invoke(fresh_db_url, "--once", "--json")
            assert code == 0, out
            assert json.loads(out) == {
                "done": 3,
                "failed": 0,
                "dead": 0,
                "lost": 0,
                "recovered": 0,
            }
            with factory() as session:
                runs = session.scalars(
                    select(CodingRun).where(CodingRun.document_id.in_(doc_ids))
                ).all()
                assert sorted(r.document_id for r in runs) == sorted(doc_ids)
                statuses = session.scalars(
                    select(Encounter.status).where(Encounter.id.in_([r.encounter_id for r in runs]))
                ).all()
                assert statuses == ["to_review"] * 3
            # Nothing left: a second run does nothing.
            code, out = invoke(fresh_db_url, "--once")
            assert code == 0
            assert "0 done, 0 failed, 0 dead, 0 lost, 0 recovered" in out
        finally:
            engine.dispose()


class TestWorkerStart:
    def test_an_engine_that_cannot_load_stops_the_worker_before_any_claim(
        self, fresh_db_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def broken() -> None:
            raise KnowledgeBaseError("knowledge base file is corrupt")

        monkeypatch.setattr(process, "load_engine_coder", broken)
        engine = make_engine(fresh_db_url)
        factory = make_session_factory(engine)
        try:
            _, doc_ids = make_documents(factory, 2)
            with factory() as session, session.begin():
                docs = session.scalars(select(Document).where(Document.id.in_(doc_ids))).all()
                enqueue_code_batch(session, documents=docs)
            code, out = invoke(fresh_db_url, "--once")
            assert code == 1
            assert "error: knowledge base file is corrupt" in out
            with factory() as session:
                jobs = session.scalars(select(Job)).all()
                assert [(j.status, j.attempts) for j in jobs] == [("queued", 0)] * 2
        finally:
            engine.dispose()


class TestJobsCommand:
    def test_status_lists_dead_jobs_and_retry_queues_them_again(self, fresh_db_url: str) -> None:
        engine = make_engine(fresh_db_url)
        factory = make_session_factory(engine)
        try:
            _, doc_ids = make_documents(factory, 1)
            with factory() as session, session.begin():
                docs = session.scalars(select(Document).where(Document.id.in_(doc_ids))).all()
                enqueue_code_batch(session, documents=docs)
                missing = enqueue(
                    session, kind="code_document", payload={"document_id": "f" * 32}
                ).id
            assert invoke(fresh_db_url, "--once")[0] == 0
            code, out = runner_json(fresh_db_url, "jobs", "status", "--json")
            assert code == 0
            assert out["counts"] == {
                "queued": 0,
                "running": 0,
                "done": 1,
                "failed": 0,
                "dead": 1,
            }
            (dead,) = out["jobs"]
            assert (dead["id"], dead["status"], dead["attempts"]) == (missing, "dead", "1/5")
            assert dead["last_error"] == f"PermanentJobError: document {'f' * 32} does not exist"

            code, text = invoke_any(fresh_db_url, "jobs", "retry", "0" * 32)
            assert code == 2 and "0 of 1 jobs re-queued" in text
            code, text = invoke_any(fresh_db_url, "jobs", "retry")
            assert code == 0 and "1 dead job(s) queued again" in text
            with factory() as session:
                job = session.get(Job, missing)
                assert job is not None and (job.status, job.attempts) == ("queued", 0)
        finally:
            engine.dispose()


def invoke_any(url: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"MEDCODER_DATABASE_URL": url})
    return result.exit_code, " ".join(result.output.split())


def runner_json(url: str, *args: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(app, list(args), env={"MEDCODER_DATABASE_URL": url})
    return result.exit_code, json.loads(result.output)
