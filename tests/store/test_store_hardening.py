"""Migration 0005_hardening on SQLite and PostgreSQL: job errors are sealed at rest (and
existing plain ones sealed by the migration), key rotation covers them and the stored
idempotent answers, the tables match their models, claims get the one-original index."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session, sessionmaker

from medcoder.store import crypto, keys
from medcoder.store.all_models import MODEL_MODULES, Base
from medcoder.store.db import alembic_config, current_revision, make_engine, new_id, upgrade
from medcoder.store.idempotency_models import IdempotencyKeyRecord
from medcoder.store.jobs_models import Job

SECRET = "PermanentJobError: note says Quixote has 424242 in his chart"


def _raw_error(engine_or_session: Engine | Session, job_id: str) -> str:
    query = sa.text("SELECT last_error FROM jobs WHERE id = :id")
    if isinstance(engine_or_session, Session):
        return str(engine_or_session.execute(query, {"id": job_id}).scalar_one())
    with engine_or_session.connect() as conn:
        return str(conn.execute(query, {"id": job_id}).scalar_one())


class TestJobErrorsAtRest:
    def test_orm_and_core_writes_are_sealed_and_read_back(
        self, session_factory: sessionmaker[Session]
    ) -> None:
        with session_factory() as session, session.begin():
            job = Job(kind="code_document", payload={"document_id": "d" * 32}, last_error=SECRET)
            session.add(job)
            session.flush()
            job_id = job.id
        with session_factory() as session:
            raw = _raw_error(session, job_id)
            assert raw.startswith("mc1:") and "Quixote" not in raw and "424242" not in raw
            assert session.get_one(Job, job_id).last_error == SECRET
        # The queue writes errors with Core UPDATEs: sealed the same way.
        with session_factory() as session, session.begin():
            session.execute(
                update(Job)
                .where(Job.id == job_id)
                .values(last_error="ValueError: Quixote again")
                .execution_options(synchronize_session=False)
            )
        with session_factory() as session:
            assert "Quixote" not in _raw_error(session, job_id)
            assert session.get_one(Job, job_id).last_error == "ValueError: Quixote again"

    def test_payload_stays_plain_ids(self, session_factory: sessionmaker[Session]) -> None:
        # The claim query reads payload in SQL; it holds ids only, never note text.
        with session_factory() as session, session.begin():
            job = Job(kind="code_document", payload={"document_id": "e" * 32})
            session.add(job)
            session.flush()
            job_id = job.id
        with session_factory() as session:
            raw = session.execute(
                sa.text("SELECT payload FROM jobs WHERE id = :id"), {"id": job_id}
            ).scalar_one()
            assert "e" * 32 in str(raw)


class TestMigration:
    def test_upgrade_seals_existing_errors_and_downgrade_opens_them(
        self, empty_db_url: str
    ) -> None:
        upgrade(empty_db_url, "0004_billing")
        engine = make_engine(empty_db_url)
        job_id = new_id()
        try:
            with engine.begin() as conn:
                conn.execute(
                    sa.text(
                        "INSERT INTO jobs (id, kind, payload, status, attempts, max_attempts,"
                        " run_after, last_error, created_at) VALUES (:id, 'code_document',"
                        " '{}', 'dead', 5, 5, :now, :err, :now)"
                    ),
                    {"id": job_id, "err": SECRET, "now": dt.datetime(2026, 1, 2, 3, 4, 5)},
                )
            upgrade(empty_db_url)
            assert current_revision(empty_db_url) == "0005_hardening"
            sealed = _raw_error(engine, job_id)
            assert sealed.startswith("mc1:") and "Quixote" not in sealed
            with Session(engine) as session:
                assert session.get_one(Job, job_id).last_error == SECRET
            with engine.connect() as conn:
                indexes = {i["name"]: i for i in sa.inspect(conn).get_indexes("claims")}
            assert indexes["uq_claims_original_encounter"]["unique"]

            command.downgrade(alembic_config(empty_db_url), "0004_billing")
            assert _raw_error(engine, job_id) == SECRET
            with engine.connect() as conn:
                inspector = sa.inspect(conn)
                assert "idempotency_keys" not in inspector.get_table_names()
                names = {i["name"] for i in inspector.get_indexes("claims")}
                assert "uq_claims_original_encounter" not in names
            upgrade(empty_db_url)  # and back up again
            assert _raw_error(engine, job_id).startswith("mc1:")
        finally:
            engine.dispose()

    def test_hardening_tables_match_their_models(self, db_url: str) -> None:
        assert "medcoder.store.idempotency_models" in MODEL_MODULES
        engine = make_engine(db_url)
        try:
            with engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True})
                diffs = compare_metadata(context, Base.metadata)
        finally:
            engine.dispose()
        text = [repr(d) for d in diffs]
        mine = [d for d in text if "idempotency_keys" in d or "'jobs'" in d or "<jobs>" in d]
        assert mine == []


@pytest.fixture
def fresh_engine(fresh_db_url: str) -> Iterator[Engine]:
    engine = make_engine(fresh_db_url)
    yield engine
    engine.dispose()


class TestRotation:
    def test_rotation_finds_the_new_encrypted_columns(self) -> None:
        found = {(spec.table, col) for spec in keys.encrypted_columns() for col in spec.sealed}
        assert {("jobs", "last_error"), ("idempotency_keys", "response")} <= found

    def test_rotate_reseals_job_errors_and_idempotent_answers(
        self, fresh_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        key_file = tmp_path / "medcoder.keys"
        crypto.write_key_file(key_file, [crypto.generate_key()])
        monkeypatch.setenv("MEDCODER_KEY_FILE", str(key_file))
        crypto.reset_keyring()
        try:
            with Session(fresh_engine) as session, session.begin():
                job = Job(kind="code_document", payload={}, last_error=SECRET)
                answer = IdempotencyKeyRecord(
                    user_id="u1",
                    route="POST /api/v1/patients",
                    key="k1",
                    fingerprint="f" * 64,
                    status_code=201,
                    response={"last_name": "Quixote"},
                )
                session.add_all([job, answer])
                session.flush()
                job_id, answer_id = job.id, answer.id
            with Session(fresh_engine) as session:
                report = keys.rotate(session, ring=crypto.active_keyring(), key_file=key_file)
            assert report.resealed["jobs.last_error"] == 1
            assert report.resealed["idempotency_keys.response"] == 1
            crypto.reset_keyring()  # a fresh process: only the new key in the file
            with Session(fresh_engine) as session:
                assert keys.stale_values(session, report.new_key_id) == {}
                assert session.get_one(Job, job_id).last_error == SECRET
                stored = session.get_one(IdempotencyKeyRecord, answer_id)
                assert stored.response == {"last_name": "Quixote"}
        finally:
            crypto.reset_keyring()
