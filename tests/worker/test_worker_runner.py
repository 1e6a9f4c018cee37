"""The worker loop: heartbeats keep a long job's lease, a stop request finishes the job in hand."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from medcoder.store.db import make_engine, make_session_factory
from medcoder.store.jobs_models import Job
from medcoder.worker import ClaimedJob, Worker, WorkerConfig, enqueue
from medcoder.worker.runner import Apply


@pytest.fixture
def factory(fresh_db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(fresh_db_url)
    yield make_session_factory(engine)
    engine.dispose()


class SlowHandler:
    """Computes for ``seconds``, then records the attempt that finished."""

    def __init__(self, seconds: float, started: threading.Event | None = None) -> None:
        self.seconds = seconds
        self.started = started or threading.Event()
        self.calls = 0

    def __call__(self, job: ClaimedJob, factory: sessionmaker[Session]) -> Apply:
        self.calls += 1
        self.started.set()
        time.sleep(self.seconds)

        def apply(session: Session) -> Mapping[str, Any]:
            return {"finished_by": job.lease_owner, "attempt": job.attempts}

        return apply


def _enqueue(factory: sessionmaker[Session], n: int) -> None:
    with factory() as session, session.begin():
        for i in range(n):
            enqueue(session, kind="slow", payload={"i": i})


class TestHeartbeat:
    def test_a_job_longer_than_its_lease_is_not_taken_over(
        self, factory: sessionmaker[Session]
    ) -> None:
        _enqueue(factory, 1)
        lease = WorkerConfig(lease=dt.timedelta(seconds=0.6), poll_interval=0.05)
        slow = SlowHandler(seconds=2.0)
        busy = Worker(factory, {"slow": slow}, lease, worker_id="busy")
        thread = threading.Thread(target=busy.run_until_idle)
        thread.start()
        assert slow.started.wait(30)
        # Meanwhile another worker keeps polling: it recovers expired leases and claims.
        rival = Worker(factory, {"slow": SlowHandler(seconds=0)}, lease, worker_id="rival")
        deadline = time.monotonic() + 2.5
        while time.monotonic() < deadline:
            assert rival.step() is False
            time.sleep(0.05)
        thread.join(timeout=30)
        assert busy.stats.done == 1 and rival.stats.recovered == 0
        with factory() as session:
            job = session.scalars(select(Job)).one()
            assert (job.status, job.attempts) == ("done", 1)
            assert job.result == {"finished_by": "busy", "attempt": 1}


class TestGracefulStop:
    def test_stop_finishes_the_job_in_hand_and_claims_no_more(
        self, factory: sessionmaker[Session]
    ) -> None:
        _enqueue(factory, 3)
        stop = threading.Event()
        slow = SlowHandler(seconds=0.3)
        worker = Worker(factory, {"slow": slow}, WorkerConfig(poll_interval=0.05))
        thread = threading.Thread(target=worker.run, args=(stop,))
        thread.start()
        assert slow.started.wait(30)
        stop.set()  # what SIGTERM does in `medcoder worker`
        thread.join(timeout=30)
        assert not thread.is_alive()
        assert (worker.stats.done, slow.calls) == (1, 1)
        with factory() as session:
            statuses = sorted(session.scalars(select(Job.status)).all())
        assert statuses == ["done", "queued", "queued"]
