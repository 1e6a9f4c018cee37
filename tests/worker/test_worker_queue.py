"""The durable queue on SQLite and PostgreSQL: claims, leases, fencing, retries, idempotency."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from medcoder.errors import InputError
from medcoder.store.db import make_engine, make_session_factory, utcnow
from medcoder.store.jobs_models import Job, JobStatus
from medcoder.worker.queue import (
    claim,
    enqueue,
    heartbeat,
    mark_done,
    mark_failed,
    recover_expired,
    release,
)
from medcoder.worker.retry import RetryPolicy

LEASE = dt.timedelta(seconds=30)
POLICY = RetryPolicy(max_attempts=3, base_seconds=2, cap_seconds=60)


@pytest.fixture
def factory(fresh_db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(fresh_db_url)
    yield make_session_factory(engine)
    engine.dispose()


def _add(factory: sessionmaker[Session], n: int, **kwargs: object) -> list[str]:
    with factory() as session, session.begin():
        jobs = [
            enqueue(session, kind="test", payload={"n": i}, **kwargs)  # type: ignore[arg-type]
            for i in range(n)
        ]
        return [j.id for j in jobs]


def _job(factory: sessionmaker[Session], job_id: str) -> Job:
    with factory() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


class TestEnqueue:
    def test_same_idempotency_key_gives_the_same_job(self, factory: sessionmaker[Session]) -> None:
        with factory() as session, session.begin():
            first = enqueue(session, kind="test", payload={"a": 1}, idempotency_key="k1")
        with factory() as session, session.begin():
            again = enqueue(session, kind="test", payload={"a": 2}, idempotency_key="k1")
        assert again.id == first.id
        assert again.payload == {"a": 1}
        with factory() as session:
            assert len(session.scalars(select(Job)).all()) == 1

    def test_a_new_job_is_queued_and_due(self, factory: sessionmaker[Session]) -> None:
        (job_id,) = _add(factory, 1)
        job = _job(factory, job_id)
        assert (job.status, job.attempts, job.max_attempts) == ("queued", 0, 5)
        assert job.run_after <= utcnow()

    def test_bad_arguments_are_refused(self, factory: sessionmaker[Session]) -> None:
        with factory() as session:
            with pytest.raises(InputError, match="max_attempts must be at least 1, got 0"):
                enqueue(session, kind="test", payload={}, max_attempts=0)
            with pytest.raises(InputError, match="job kind must not be empty"):
                enqueue(session, kind="", payload={})


class TestClaim:
    def test_claims_due_jobs_once_oldest_first(self, factory: sessionmaker[Session]) -> None:
        ids = _add(factory, 3)
        later = _add(factory, 1, run_after=utcnow() + dt.timedelta(hours=1))
        got = claim(factory, worker_id="w1", lease=LEASE, limit=10)
        assert [j.id for j in got] == ids
        assert all(j.attempts == 1 and j.lease_owner == "w1" for j in got)
        assert claim(factory, worker_id="w2", lease=LEASE, limit=10) == []
        job = _job(factory, ids[0])
        assert job.status == "running" and job.lease_owner == "w1"
        assert job.lease_expires_at is not None and job.lease_expires_at > utcnow()
        assert _job(factory, later[0]).status == "queued"

    def test_only_the_asked_kinds(self, factory: sessionmaker[Session]) -> None:
        _add(factory, 2)
        assert claim(factory, worker_id="w", lease=LEASE, limit=5, kinds=["other"]) == []
        assert len(claim(factory, worker_id="w", lease=LEASE, limit=5, kinds=["test"])) == 2

    def test_concurrent_claimers_never_share_a_job(self, factory: sessionmaker[Session]) -> None:
        ids = set(_add(factory, 40))
        got: dict[str, list[str]] = {f"w{i}": [] for i in range(4)}
        errors: list[BaseException] = []

        def work(name: str) -> None:
            try:
                while jobs := claim(factory, worker_id=name, lease=LEASE, limit=2):
                    got[name].extend(j.id for j in jobs)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in got]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert errors == []
        claimed = [i for ids_ in got.values() for i in ids_]
        assert len(claimed) == len(set(claimed)) == 40
        assert set(claimed) == ids


class TestLeases:
    def test_done_only_by_the_holder_of_the_current_attempt(
        self, factory: sessionmaker[Session]
    ) -> None:
        _add(factory, 1)
        now = utcnow()
        (first,) = claim(factory, worker_id="slow", lease=LEASE, now=now)
        # The slow worker's lease ends; the job is recovered and claimed again by another.
        later = now + LEASE + dt.timedelta(seconds=1)
        assert recover_expired(factory, policy=POLICY, now=later) == 1
        (second,) = claim(factory, worker_id="fast", lease=LEASE, now=later + dt.timedelta(hours=1))
        assert second.attempts == 2
        with factory() as session, session.begin():
            assert mark_done(session, first) is False
        with factory() as session, session.begin():
            assert mark_done(session, second, result={"ok": 1}) is True
        job = _job(factory, first.id)
        assert (job.status, job.result, job.lease_owner) == ("done", {"ok": 1}, "fast")

    def test_heartbeat_extends_only_held_leases(self, factory: sessionmaker[Session]) -> None:
        _add(factory, 1)
        now = utcnow()
        (job,) = claim(factory, worker_id="w", lease=LEASE, now=now)
        assert heartbeat(factory, [job], lease=LEASE, now=now + dt.timedelta(seconds=20)) == 1
        expires = _job(factory, job.id).lease_expires_at
        assert expires is not None
        assert abs((expires - (now + dt.timedelta(seconds=50))).total_seconds()) < 0.01
        # Not expired at the original end: the heartbeat kept it alive.
        assert (
            recover_expired(factory, policy=POLICY, now=now + LEASE + dt.timedelta(seconds=1)) == 0
        )
        thief = dataclasses.replace(job, lease_owner="other")
        assert heartbeat(factory, [thief], lease=LEASE) == 0

    def test_expired_leases_back_off_then_die(self, factory: sessionmaker[Session]) -> None:
        (job_id,) = _add(factory, 1, max_attempts=3)
        now = utcnow()
        delays = []
        for attempt in (1, 2, 3):
            (held,) = claim(factory, worker_id=f"w{attempt}", lease=LEASE, now=now)
            assert held.attempts == attempt
            now = now + LEASE + dt.timedelta(seconds=1)
            assert recover_expired(factory, policy=POLICY, now=now) == 1
            job = _job(factory, job_id)
            if attempt < 3:
                assert job.status == "failed" and "lease expired" in (job.last_error or "")
                delays.append(job.run_after - now)
                # Not claimable before its backoff is over.
                assert claim(factory, worker_id="x", lease=LEASE, now=now) == []
                now = job.run_after
        assert delays == [dt.timedelta(seconds=2), dt.timedelta(seconds=4)]
        job = _job(factory, job_id)
        assert (job.status, job.attempts) == ("dead", 3)
        assert job.finished_at is not None

    def test_release_gives_the_attempt_back(self, factory: sessionmaker[Session]) -> None:
        (job_id,) = _add(factory, 1)
        (held,) = claim(factory, worker_id="w", lease=LEASE)
        assert release(factory, held) is True
        job = _job(factory, job_id)
        assert (job.status, job.attempts, job.lease_owner) == ("queued", 0, None)


class TestFailures:
    def test_failed_attempts_retry_with_backoff_until_dead(
        self, factory: sessionmaker[Session]
    ) -> None:
        (job_id,) = _add(factory, 1, max_attempts=2)
        now = utcnow()
        (held,) = claim(factory, worker_id="w", lease=LEASE, now=now)
        assert mark_failed(factory, held, "ValueError: boom", policy=POLICY, now=now) == (
            JobStatus.FAILED
        )
        job = _job(factory, job_id)
        assert (job.status, job.last_error) == ("failed", "ValueError: boom")
        assert job.run_after == now + dt.timedelta(seconds=2)
        (held,) = claim(factory, worker_id="w", lease=LEASE, now=job.run_after)
        assert mark_failed(factory, held, "ValueError: again", policy=POLICY) == JobStatus.DEAD
        job = _job(factory, job_id)
        assert (job.status, job.attempts, job.last_error) == ("dead", 2, "ValueError: again")
        # A dead job is never claimed again.
        assert claim(factory, worker_id="w", lease=LEASE, now=utcnow() + dt.timedelta(days=1)) == []
