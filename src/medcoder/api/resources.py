"""What one running app holds: settings, database engine, knowledge base, practice file,
idempotency keys (in the database), caches.

Created by :func:`medcoder.api.app.create_app` and kept on ``app.state.resources``; routes get
it through :func:`medcoder.api.deps.get_resources`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from medcoder.api.coding_jobs import InlineWorker
from medcoder.api.idempotency import DatabaseIdempotency, IdempotencyStore
from medcoder.api.settings import Settings
from medcoder.api.throttle import LoginThrottle
from medcoder.claims.practice import Practice, load_practice
from medcoder.codesets import KnowledgeBase

__all__ = ["Resources"]


@dataclass
class Resources:
    """The long-lived objects of one app instance.

    Creating it reads ``settings.practice_file`` (once): a missing or invalid file raises
    :class:`medcoder.errors.MedcoderError` so the server does not start with it.
    """

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    throttle: LoginThrottle
    idempotency: IdempotencyStore = field(init=False)
    practice: Practice | None = field(init=False, default=None)
    worker: InlineWorker | None = None
    _kb: KnowledgeBase | None = None
    _kb_lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.idempotency = DatabaseIdempotency(self.session_factory)
        if self.settings.practice_file is not None:
            self.practice = load_practice(self.settings.practice_file)

    def kb(self) -> KnowledgeBase:
        """The code-set knowledge base, opened on first use (read-only, shared by threads)."""
        with self._kb_lock:
            if self._kb is None:
                self._kb = KnowledgeBase.open()
            return self._kb

    def close(self) -> None:
        """Stop the inline worker, close the knowledge base, dispose of the engine."""
        if self.worker is not None:
            self.worker.stop()
            self.worker = None
        with self._kb_lock:
            if self._kb is not None:
                self._kb.close()
                self._kb = None
        self.engine.dispose()
