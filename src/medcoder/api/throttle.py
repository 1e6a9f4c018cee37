"""Login throttling: too many failures for one username from one address within a window."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

__all__ = ["LoginThrottle"]


class LoginThrottle:
    """Counts failed logins per ``(username, client address)`` in a sliding window.

    In memory and per process: it slows down guessing from one address; the per-user lockout
    kept in the database (``User.locked_until``) covers guessing spread across addresses.

    Example:
        >>> t = LoginThrottle(max_failures=2, window_seconds=60)
        >>> t.failed("ann", "10.0.0.1"); t.failed("ann", "10.0.0.1")
        >>> t.retry_after("ann", "10.0.0.1") > 0
        True
    """

    def __init__(
        self,
        *,
        max_failures: int,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max = max_failures
        self._window = window_seconds
        self._clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self._window:
            times.popleft()
        return times

    def retry_after(self, username: str, address: str) -> int:
        """Seconds to wait before another attempt is allowed (0: allowed now)."""
        key = (username.lower(), address)
        with self._lock:
            now = self._clock()
            times = self._recent(key, now)
            if len(times) < self._max:
                return 0
            return max(1, int(times[0] + self._window - now + 0.999))

    def failed(self, username: str, address: str) -> None:
        """Record a failed attempt."""
        key = (username.lower(), address)
        with self._lock:
            now = self._clock()
            self._recent(key, now).append(now)

    def succeeded(self, username: str, address: str) -> None:
        """Forget the failures of a pair that logged in."""
        with self._lock:
            self._failures.pop((username.lower(), address), None)
