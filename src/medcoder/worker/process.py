"""Running workers as processes: signals, concurrency, the knowledge base once per process.

``medcoder worker`` calls :func:`serve`. With ``concurrency`` 1 the worker runs in this process;
with N > 1 it starts N worker processes (each loads the knowledge base once and claims jobs on
its own — the queue keeps them apart) and waits for them. SIGTERM or SIGINT sets the stop
event: each worker finishes the job in hand, then exits; the parent forwards SIGTERM to its
children.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
from dataclasses import dataclass
from types import FrameType

from sqlalchemy import make_url
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from medcoder.errors import MedcoderError
from medcoder.store.db import make_engine, make_session_factory
from medcoder.worker.code_document import CODE_DOCUMENT, CodeDocumentHandler
from medcoder.worker.document_coding import DocumentCoder
from medcoder.worker.runner import JobHandler, Worker, WorkerConfig, WorkerStats
from medcoder.worker.scheduled import SEND_REMINDERS, SendRemindersHandler, scheduler_from_env

__all__ = ["ServeOptions", "default_handlers", "load_engine_coder", "serve"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """What ``medcoder worker`` was asked to do."""

    url: str
    config: WorkerConfig
    concurrency: int = 1
    once: bool = False


def load_engine_coder() -> DocumentCoder:
    """The real engine on the knowledge base (opened once; kept for the process's life)."""
    from medcoder.codesets import KnowledgeBase
    from medcoder.worker.document_coding import EngineCoder

    kb = KnowledgeBase.open()
    try:
        coder = EngineCoder(kb, owns_kb=True)
    except BaseException:
        kb.close()
        raise
    log.info("knowledge base open: %s", kb.path.name)
    return coder


def default_handlers() -> dict[str, JobHandler]:
    """Job kind -> handler for every kind medcoder runs in the background."""
    return {
        CODE_DOCUMENT: CodeDocumentHandler(load_engine_coder),
        SEND_REMINDERS: SendRemindersHandler(),
    }


def _install_signals(stop: threading.Event) -> None:
    def handle(signum: int, _frame: FrameType | None) -> None:
        if not stop.is_set():
            log.info("%s: finishing the job in hand, then stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


def _worker_engine(url: str) -> Engine:
    """The store's engine; on SQLite with a small pool of open connections.

    The store's default for SQLite opens a connection per checkout; closing the last one
    checkpoints the WAL, which made a worker (four short transactions per job) 2.5 times
    slower. A pool hands each connection to one thread at a time (the heartbeat thread gets
    its own), so no connection is ever shared mid-transaction.
    """
    if make_url(url).get_backend_name() != "sqlite":
        return make_engine(url)
    return make_engine(
        url, poolclass=QueuePool, pool_size=2, connect_args={"check_same_thread": False}
    )


def run_worker(options: ServeOptions, stop: threading.Event) -> WorkerStats:
    """One worker in this process, until ``stop`` (or until idle with ``once``)."""
    engine = _worker_engine(options.url)
    handlers = default_handlers()
    try:
        factory: sessionmaker[Session] = make_session_factory(engine)
        for handler in handlers.values():
            warm = getattr(handler, "warm", None)
            if warm is not None:
                warm()  # the engine loads before any job is claimed: a broken install fails here
        scheduler = scheduler_from_env(factory)  # MEDCODER_REMINDER_HOUR: daily reminders
        worker = Worker(
            factory,
            handlers,
            options.config,
            before_claim=scheduler.tick if scheduler is not None else None,
        )
        log.info("worker %s started", worker.worker_id)
        stats = worker.run_until_idle(stop) if options.once else worker.run(stop)
        log.info(
            "worker %s stopped: %d done, %d failed, %d dead, %d lost, %d recovered",
            worker.worker_id,
            stats.done,
            stats.failed,
            stats.dead,
            stats.lost,
            stats.recovered,
        )
        return stats
    finally:
        for handler in handlers.values():
            close = getattr(handler, "close", None)
            if close is not None:
                close()
        engine.dispose()


def _child(options: ServeOptions, level: int) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("medcoder.worker").setLevel(level)
    stop = threading.Event()
    _install_signals(stop)
    run_worker(options, stop)


def serve(options: ServeOptions) -> WorkerStats | None:
    """Run ``options.concurrency`` workers until SIGTERM/SIGINT (or until idle with ``once``).

    Returns the stats of an in-process worker (concurrency 1), None for several processes.

    Raises:
        MedcoderError: a worker process exited with an error.
    """
    stop = threading.Event()
    _install_signals(stop)
    if options.concurrency <= 1:
        return run_worker(options, stop)
    context = multiprocessing.get_context("spawn")
    level = logging.getLogger("medcoder.worker").getEffectiveLevel()
    children = [
        context.Process(target=_child, args=(options, level), name=f"medcoder-worker-{i}")
        for i in range(options.concurrency)
    ]
    for child in children:
        child.start()
    while any(c.is_alive() for c in children):
        if stop.wait(0.5):
            for child in children:
                if child.is_alive() and child.pid is not None:
                    child.terminate()  # SIGTERM: the child finishes its job, then exits
            break
    for child in children:
        child.join()
    failed = [c.exitcode for c in children if c.exitcode != 0]
    if failed:
        raise MedcoderError(
            f"{len(failed)} of {len(children)} worker processes failed (exit codes "
            f"{', '.join(map(str, failed))}); their jobs are retried after their leases end"
        )
    return None
