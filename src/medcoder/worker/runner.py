"""The worker loop: claim a due job, run its handler, commit its result with its completion.

A handler works in two phases so that no database transaction stays open during slow work
(on SQLite an open write transaction blocks every other writer):

1. ``handler(job, factory)`` reads what it needs in short transactions and computes (coding a
   note) — it returns an *apply* function;
2. the worker opens ONE transaction, marks the job done (fenced on its lease: see
   :func:`medcoder.worker.queue.mark_done`), then calls ``apply(session)`` to write the results.
   Both commit together or not at all.

While a job runs, a heartbeat thread extends its lease every ``lease / 3``; a worker that dies
stops heart-beating, its lease ends, and any worker's next poll (:func:`recover_expired`)
puts the job back with a backoff. ``stop`` (set by SIGTERM/SIGINT in ``medcoder worker``)
is checked between jobs: the job in hand is always finished.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from medcoder.errors import MedcoderError
from medcoder.store.jobs_models import JobStatus
from medcoder.worker.queue import (
    ClaimedJob,
    claim,
    heartbeat,
    mark_done,
    mark_failed,
    recover_expired,
    set_result,
)
from medcoder.worker.retry import RetryPolicy

__all__ = [
    "Apply",
    "JobHandler",
    "PermanentJobError",
    "Worker",
    "WorkerConfig",
    "WorkerStats",
    "default_worker_id",
]

log = logging.getLogger(__name__)

#: Writes a job's results in the transaction that completes it; returns what to keep on the
#: job row as its ``result`` (ids of what it created), or None.
Apply = Callable[[Session], Mapping[str, Any] | None]


class JobHandler(Protocol):
    """Runs one kind of job: reads and computes, then returns the function that writes."""

    def __call__(self, job: ClaimedJob, factory: sessionmaker[Session]) -> Apply: ...


class PermanentJobError(MedcoderError):
    """A job that can never succeed (its document is gone, its payload is wrong): no retry."""


class LeaseLostError(MedcoderError):
    """The job was taken over by another attempt while this one ran; its result is dropped."""


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    """How a worker runs.

    Attributes:
        lease: how long a claim holds without a heartbeat; a dead worker's job is retried
            this long after its last heartbeat.
        poll_interval: seconds to wait when no job is due.
        retry: backoff between attempts of a failed job (the job's own max_attempts decides
            when it is dead).
    """

    lease: dt.timedelta = dt.timedelta(seconds=30)
    poll_interval: float = 1.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)


@dataclass(slots=True)
class WorkerStats:
    """What one worker did (shown when it stops)."""

    done: int = 0
    failed: int = 0
    dead: int = 0
    lost: int = 0
    recovered: int = 0

    @property
    def processed(self) -> int:
        return self.done + self.failed + self.dead + self.lost


def default_worker_id() -> str:
    """``host:pid:random`` — unique per process, readable in the job table."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Worker:
    """Runs jobs of the kinds it has handlers for, one at a time.

    Args:
        factory: sessions on the database holding the queue.
        handlers: job kind -> handler.
        config: lease, poll interval, retry policy.
        worker_id: lease owner name (default :func:`default_worker_id`).
        before_claim: called before each claim (the scheduler enqueuing scheduled runs:
            :class:`medcoder.worker.scheduled.Scheduler`).

    Example::

        worker = Worker(factory, {"code_document": CodeDocumentHandler(load_coder)})
        worker.run_until_idle()          # drain what is due now (tests, --once)
        worker.run(stop_event)           # until stop_event is set (medcoder worker)
    """

    def __init__(
        self,
        factory: sessionmaker[Session],
        handlers: Mapping[str, JobHandler],
        config: WorkerConfig | None = None,
        *,
        worker_id: str | None = None,
        before_claim: Callable[[], object] | None = None,
    ) -> None:
        self._factory = factory
        self._before_claim = before_claim
        self._handlers = dict(handlers)
        self.config = config or WorkerConfig()
        self.worker_id = worker_id or default_worker_id()
        self.stats = WorkerStats()
        self._current: ClaimedJob | None = None
        self._lock = threading.Lock()
        self._last_recovery = -math.inf

    # -- one job ---------------------------------------------------------------------------
    def step(self) -> bool:
        """Claim and run one due job; False if none was due.

        Expired leases are recovered first when the last recovery is older than half a lease
        (so a busy worker still rescues a dead worker's jobs), and whenever nothing is due.
        """
        now = time.monotonic()
        if now - self._last_recovery >= self.config.lease.total_seconds() / 2:
            self._recover(now)
        jobs = self._claim()
        if not jobs and self._last_recovery != now:
            if self._recover(time.monotonic()):
                jobs = self._claim()
        if not jobs:
            return False
        self.process(jobs[0])
        return True

    def _recover(self, now: float) -> int:
        self._last_recovery = now
        recovered = recover_expired(self._factory, policy=self.config.retry)
        self.stats.recovered += recovered
        return recovered

    def _claim(self) -> list[ClaimedJob]:
        if self._before_claim is not None:
            self._before_claim()
        return claim(
            self._factory,
            worker_id=self.worker_id,
            lease=self.config.lease,
            kinds=tuple(self._handlers),
        )

    def process(self, job: ClaimedJob) -> JobStatus | None:
        """Run one claimed job to its next state (None: lease lost, result dropped)."""
        return self.process_prepared(job, None)

    def process_prepared(self, job: ClaimedJob, apply: Apply | None) -> JobStatus | None:
        """Like :meth:`process`, with the handler's compute phase already done (``apply``)."""
        started = time.monotonic()
        with self._lock:
            self._current = job
        try:
            status = self._run(job, apply)
        finally:
            with self._lock:
                self._current = None
        log.info(
            "job %s %s attempt %d/%d: %s in %.2f s",
            job.id,
            job.kind,
            job.attempts,
            job.max_attempts,
            status.value if status else "lease lost",
            time.monotonic() - started,
        )
        return status

    def _run(self, job: ClaimedJob, apply: Apply | None) -> JobStatus | None:
        try:
            if apply is None:
                apply = self._handlers[job.kind](job, self._factory)
            with self._factory() as session, session.begin():
                if not mark_done(session, job):
                    raise LeaseLostError(f"job {job.id}: lease lost")
                result = apply(session)
                if result is not None:
                    set_result(session, job, result)
        except LeaseLostError:
            self.stats.lost += 1
            return None
        except PermanentJobError as exc:
            return self._failed(job, exc, permanent=True)
        except Exception as exc:  # noqa: BLE001 - any failure of a job is recorded on it
            return self._failed(job, exc, permanent=False)
        self.stats.done += 1
        return JobStatus.DONE

    def _failed(self, job: ClaimedJob, exc: Exception, *, permanent: bool) -> JobStatus | None:
        # The message goes to the job row (readable by admins), not to the log at INFO or
        # above: it may quote a document. The log gets the exception type; DEBUG the traceback.
        log.warning("job %s %s failed: %s", job.id, job.kind, type(exc).__name__)
        log.debug("job %s failure (may quote the document)", job.id, exc_info=exc)
        held = replace(job, max_attempts=job.attempts) if permanent else job
        status = mark_failed(
            self._factory, held, f"{type(exc).__name__}: {exc}", policy=self.config.retry
        )
        if status is JobStatus.DEAD:
            self.stats.dead += 1
            self._on_dead(job, exc)
        elif status is JobStatus.FAILED:
            self.stats.failed += 1
        else:
            self.stats.lost += 1
        return status

    def _on_dead(self, job: ClaimedJob, exc: Exception) -> None:
        hook = getattr(self._handlers[job.kind], "on_dead", None)
        if hook is None:
            return
        try:
            with self._factory() as session, session.begin():
                hook(session, job, f"{type(exc).__name__}: {exc}")
        except Exception as hook_exc:  # noqa: BLE001 - the job is dead either way
            log.warning("job %s: on_dead hook failed (%s)", job.id, type(hook_exc).__name__)

    # -- loops -----------------------------------------------------------------------------
    def run_until_idle(self, stop: threading.Event | None = None) -> WorkerStats:
        """Run due jobs until none is due (or ``stop`` is set)."""
        with self._heartbeat():
            while not (stop and stop.is_set()) and self.step():
                pass
        return self.stats

    def run(self, stop: threading.Event) -> WorkerStats:
        """Run jobs until ``stop`` is set, polling every ``poll_interval`` when idle."""
        with self._heartbeat():
            while not stop.is_set():
                try:
                    busy = self.step()
                except Exception as exc:  # noqa: BLE001 - a database hiccup must not kill the loop
                    log.warning("worker poll failed (%s); retrying", type(exc).__name__)
                    busy = False
                if not busy:
                    stop.wait(self.config.poll_interval)
        return self.stats

    def _heartbeat(self) -> _Heartbeat:
        return _Heartbeat(self)

    def _beat(self) -> None:
        with self._lock:
            job = self._current
        if job is not None:
            heartbeat(self._factory, [job], lease=self.config.lease)


class _Heartbeat:
    """A daemon thread extending the lease of the job in hand every ``lease / 3``."""

    def __init__(self, worker: Worker) -> None:
        self._worker = worker
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="job-heartbeat", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        every = self._worker.config.lease.total_seconds() / 3
        while not self._stop.wait(every):
            try:
                self._worker._beat()
            except Exception as exc:  # noqa: BLE001 - a missed beat is retried next period
                log.warning("heartbeat failed (%s)", type(exc).__name__)
