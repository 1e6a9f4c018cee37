"""A worker killed (SIGKILL) in the middle of a 200-document batch loses nothing.

Real processes: ``medcoder worker`` runs as a subprocess on a database of its own (SQLite and
PostgreSQL). It is frozen (SIGSTOP) until the database shows it holding a job it has not
finished, then killed — so the lost-worker path (lease expiry, recovery, retry) really runs.
A new worker, with two processes, finishes the batch; SIGTERM stops it cleanly. Every
document must then have exactly one CodingRun, every job be done, and no note text be logged.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from worker_factories import NOTES, make_documents

from medcoder.store.db import make_engine, make_session_factory
from medcoder.store.jobs_models import Job, JobOutput
from medcoder.store.models import CodeAssignment, CodingRun, Document
from medcoder.worker import enqueue_code_batch

BATCH = 200
LEASE_SECONDS = "2"
MEDCODER = str(Path(sys.executable).with_name("medcoder"))


@pytest.fixture
def factory(fresh_db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(fresh_db_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def observer(fresh_db_url: str) -> Iterator[Engine]:
    """Reads without taking SQLite's write lock (a frozen worker may hold it)."""
    engine = sa.create_engine(fresh_db_url, poolclass=sa.NullPool)
    yield engine
    engine.dispose()


def _start_worker(url: str, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MEDCODER_DATABASE_URL": url}
    with log.open("ab") as out:
        return subprocess.Popen(
            [MEDCODER, "worker", "--lease", LEASE_SECONDS, "--poll-interval", "0.1", *extra],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _counts(observer: Engine) -> dict[str, int]:
    with observer.connect() as conn:
        rows = conn.execute(sa.text("SELECT status, COUNT(*) FROM jobs GROUP BY status")).all()
    return {status: n for status, n in rows}


def _wait(condition: Callable[[], bool], *, timeout: float, what: str, observer: Engine) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout:.0f} s waiting for {what}; jobs: {_counts(observer)}"
            )
        time.sleep(0.05)


def _kill_while_holding_a_job(proc: subprocess.Popen[bytes], observer: Engine) -> str:
    """Freeze the worker until it holds an unfinished job, then SIGKILL it; the job's id."""
    for _ in range(200):
        proc.send_signal(signal.SIGSTOP)
        try:
            with observer.connect() as conn:
                held = (
                    conn.execute(sa.text("SELECT id FROM jobs WHERE status = 'running'"))
                    .scalars()
                    .all()
                )
        except sa.exc.OperationalError:
            # Frozen in the middle of a SQLite checkpoint: readers wait; try another moment.
            held = []
        if held:
            proc.kill()
            proc.wait(timeout=30)
            return str(held[0])
        proc.send_signal(signal.SIGCONT)
        time.sleep(0.01)
    proc.kill()
    raise AssertionError("the worker was never caught holding a job")


@pytest.mark.parametrize("restart_concurrency", ["2"])
def test_a_killed_worker_loses_nothing_and_codes_each_document_once(
    fresh_db_url: str,
    factory: sessionmaker[Session],
    observer: Engine,
    tmp_path: Path,
    restart_concurrency: str,
) -> None:
    _, doc_ids = make_documents(factory, BATCH)
    with factory() as session, session.begin():
        documents = session.scalars(select(Document).where(Document.id.in_(doc_ids))).all()
        enqueue_code_batch(session, documents=documents)
    log = tmp_path / "worker.log"

    first = _start_worker(fresh_db_url, log)
    try:
        _wait(
            lambda: _counts(observer).get("done", 0) >= 20,
            timeout=180,
            what="20 jobs done",
            observer=observer,
        )
        in_flight = _kill_while_holding_a_job(first, observer)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL
    at_kill = _counts(observer)
    assert 20 <= at_kill.get("done", 0) < BATCH, at_kill  # killed mid-batch

    second = _start_worker(fresh_db_url, log, "--concurrency", restart_concurrency)
    try:
        _wait(
            lambda: _counts(observer) == {"done": BATCH},
            timeout=240,
            what="all jobs done",
            observer=observer,
        )
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=60) == 0  # graceful: the job in hand, then exit
    finally:
        if second.poll() is None:
            second.kill()
            second.wait(timeout=30)

    with factory() as session:
        runs_per_document = dict(
            session.execute(
                select(CodingRun.document_id, func.count())
                .where(CodingRun.document_id.in_(doc_ids))
                .group_by(CodingRun.document_id)
            ).all()
        )
        assert runs_per_document == {d: 1 for d in doc_ids}
        assert session.scalar(select(func.count()).select_from(JobOutput)) == BATCH
        assert set(session.scalars(select(Document.status))) == {"coded"}
        without_codes = session.scalar(
            select(func.count())
            .select_from(CodingRun)
            .where(~CodingRun.id.in_(select(CodeAssignment.coding_run_id)))
        )
        assert without_codes == 0
        retried = session.get(Job, in_flight)
        assert retried is not None
        assert (retried.status, retried.attempts) == ("done", 2)
    text = log.read_text(encoding="utf-8", errors="replace")
    assert f"job {in_flight} code_document attempt 2/5: done" in text
    assert text.count("SIGTERM: finishing the job in hand") >= 1
    for note in NOTES:  # no PHI in the logs: not even a word run of a note
        assert note[12:40] not in text
