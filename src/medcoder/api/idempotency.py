"""Idempotency keys on create endpoints.

A client that retries a ``POST`` with the same ``Idempotency-Key`` header gets the first answer
again instead of a second resource; the same key with a different body is refused (422), since
that is a client bug that would otherwise be silently hidden.

Keys are scoped per user and route, kept in memory for ``ttl_seconds`` (per process).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from medcoder.api.problems import ProblemError

__all__ = ["IdempotencyCache", "StoredResponse", "fingerprint"]

_MAX_KEY_LENGTH = 200


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """The first answer given for a key."""

    fingerprint: str
    status: int
    body: Any


def fingerprint(payload: bytes | str | Any) -> str:
    """A digest of a request body (JSON values are canonicalised first)."""
    if isinstance(payload, str):
        raw = payload.encode("utf-8")
    elif isinstance(payload, bytes):
        raw = payload
    else:
        raw = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hashlib.sha256(raw).hexdigest()


class IdempotencyCache:
    """Remembers the answer of each ``(scope, key)`` for a while."""

    def __init__(
        self,
        *,
        ttl_seconds: float = 24 * 3600,
        max_entries: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[tuple[str, str], tuple[float, StoredResponse]] = OrderedDict()
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock_for(self, slot: tuple[str, str]) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(slot, threading.Lock())

    def _get(self, slot: tuple[str, str]) -> StoredResponse | None:
        with self._guard:
            found = self._entries.get(slot)
            if found is None:
                return None
            at, stored = found
            if self._clock() - at > self._ttl:
                del self._entries[slot]
                return None
            return stored

    def _put(self, slot: tuple[str, str], stored: StoredResponse) -> None:
        with self._guard:
            self._entries[slot] = (self._clock(), stored)
            self._entries.move_to_end(slot)
            while len(self._entries) > self._max:
                old, _ = self._entries.popitem(last=False)
                self._locks.pop(old, None)

    def run(
        self,
        scope: str,
        key: str | None,
        body_fingerprint: str,
        create: Callable[[], tuple[int, Any]],
    ) -> tuple[int, Any, bool]:
        """The answer for this request: ``(status, body, replayed)``.

        Without a key ``create`` simply runs. With one, the first request runs ``create`` (other
        requests with the same key wait for it) and later ones replay its answer. Errors are
        not remembered: a failed request may be retried with the same key.

        Raises:
            ProblemError: 422 when the key was used with a different body, or is too long.
        """
        if key is None:
            status, body = create()
            return status, body, False
        if not key or len(key) > _MAX_KEY_LENGTH:
            raise ProblemError(
                422,
                f"Idempotency-Key must be 1 to {_MAX_KEY_LENGTH} characters",
                field="Idempotency-Key",
            )
        slot = (scope, key)
        with self._lock_for(slot):
            stored = self._get(slot)
            if stored is not None:
                if stored.fingerprint != body_fingerprint:
                    raise ProblemError(
                        422,
                        "this Idempotency-Key was already used with a different request body",
                        field="Idempotency-Key",
                    )
                return stored.status, stored.body, True
            status, body = create()
            self._put(slot, StoredResponse(body_fingerprint, status, body))
            return status, body, False
