"""Coding of uploaded documents through the durable job queue (:mod:`medcoder.worker`).

An upload enqueues a ``code_document`` job in the upload's transaction, so a document is never
stored without its job. ``medcoder worker`` processes run the jobs; for small deployments and
tests, ``Settings.inline_coding`` also runs a worker thread inside the API process
(:class:`InlineWorker`), and ``?wait=true`` on an upload waits for the result.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from medcoder.codesets import KnowledgeBase
from medcoder.store.models import Document

if TYPE_CHECKING:
    from medcoder.worker.document_coding import DocumentCoder

#: Builds the coding engine of the inline worker from the knowledge base (default:
#: :class:`medcoder.worker.document_coding.EngineCoder`).
CoderFactory = Callable[[KnowledgeBase], "DocumentCoder"]

__all__ = ["FINISHED", "CoderFactory", "InlineWorker", "enqueue_coding", "wait_for_document"]

log = logging.getLogger(__name__)

#: Document statuses after which waiting is over.
FINISHED = ("coded", "failed")


def enqueue_coding(session: Session, document: Document) -> str:
    """Queue the coding of ``document`` in the caller's transaction; the job's id."""
    from medcoder.worker.code_document import enqueue_code_document

    return enqueue_code_document(session, document=document).id


def wait_for_document(
    factory: sessionmaker[Session],
    document_id: str,
    *,
    timeout: float,
    first: float = 0.05,
    longest: float = 0.25,
) -> str:
    """Poll the document's status until it is coded or failed, or ``timeout`` passes.

    The interval starts at ``first`` and doubles up to ``longest``: a short note is answered
    quickly, and waiting clients do not crowd the database (on SQLite every poll is a short
    write-locked transaction).
    """
    deadline = time.monotonic() + timeout
    interval = first
    while True:
        with factory() as session:
            status = session.scalar(select(Document.status).where(Document.id == document_id))
        if status is None or status in FINISHED or time.monotonic() >= deadline:
            return status or "missing"
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
        interval = min(interval * 2, longest)


class InlineWorker:
    """A queue worker in a thread of the API process (``inline_coding``).

    It drains the queue, then sleeps until :meth:`wake` (called after an upload commits) or
    ``poll_seconds`` pass, so jobs enqueued by other processes are picked up too.
    """

    def __init__(
        self,
        factory: sessionmaker[Session],
        kb: Callable[[], KnowledgeBase],
        *,
        coder: CoderFactory | None = None,
        poll_seconds: float = 2.0,
    ) -> None:
        from medcoder.worker.code_document import CODE_DOCUMENT, CodeDocumentHandler
        from medcoder.worker.document_coding import EngineCoder
        from medcoder.worker.runner import Worker

        make = coder or EngineCoder
        handler = CodeDocumentHandler(lambda: make(kb()))
        self._worker = Worker(factory, {CODE_DOCUMENT: handler})
        self._poll = poll_seconds
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name="medcoder-inline-worker", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """Look at the queue now."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the job at hand and stop."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # an upload committed from here on wakes the wait below
            try:
                self._worker.run_until_idle(self._stop)
            except Exception as exc:  # a database hiccup must not end the thread
                log.warning("inline worker: %s; retrying", type(exc).__name__)
            self._wake.wait(self._poll)
