"""Background jobs that are never lost: a durable queue in the database, and its workers.

Tour::

    from medcoder.worker import Worker, enqueue_code_document
    with factory() as session, session.begin():
        enqueue_code_document(session, document=doc)      # the API, after an upload
    Worker(factory, default_handlers()).run_until_idle()   # what `medcoder worker --once` does

See docs/worker.md ("Jobs and workers") for the design: why a table, how a claim works on
PostgreSQL and SQLite, leases and heartbeats, retries with backoff, exactly-once coding.
"""

from medcoder.worker.admin import job_counts, jobs_with_status, retry_dead
from medcoder.worker.code_document import (
    CODE_DOCUMENT,
    CodeDocumentHandler,
    enqueue_code_batch,
    enqueue_code_document,
)
from medcoder.worker.document_coding import (
    DocumentCoder,
    DocumentCoding,
    EngineCoder,
    SuggestedCode,
)
from medcoder.worker.process import ServeOptions, default_handlers, serve
from medcoder.worker.queue import ClaimedJob, claim, enqueue, recover_expired
from medcoder.worker.retry import RetryPolicy
from medcoder.worker.runner import (
    JobHandler,
    PermanentJobError,
    Worker,
    WorkerConfig,
    WorkerStats,
)

__all__ = [
    "CODE_DOCUMENT",
    "ClaimedJob",
    "CodeDocumentHandler",
    "DocumentCoder",
    "DocumentCoding",
    "EngineCoder",
    "JobHandler",
    "PermanentJobError",
    "RetryPolicy",
    "ServeOptions",
    "SuggestedCode",
    "Worker",
    "WorkerConfig",
    "WorkerStats",
    "claim",
    "default_handlers",
    "enqueue",
    "enqueue_code_batch",
    "enqueue_code_document",
    "job_counts",
    "jobs_with_status",
    "recover_expired",
    "retry_dead",
    "serve",
]
