"""When a failed job runs again: exponential backoff, capped, with no randomness.

A job that raised, or whose worker died (its lease expired), goes back to the queue with
``run_after = now + retry_delay(attempts)``. The delay doubles with each attempt so that a
poison job or a struggling dependency is not hammered; it is deterministic (no jitter) because
the queue already spreads claims across workers and tests must be reproducible.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from medcoder.errors import InputError

__all__ = ["RetryPolicy"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how late a job is retried.

    Attributes:
        max_attempts: attempts (claims) a job gets before it is *dead*; 1 means never retried.
        base_seconds: the delay after the first failed attempt.
        cap_seconds: the longest delay, however many attempts failed.

    Example:
        >>> RetryPolicy(max_attempts=5, base_seconds=2, cap_seconds=60).delay(3)
        datetime.timedelta(seconds=8)
    """

    max_attempts: int = 5
    base_seconds: float = 2.0
    cap_seconds: float = 300.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise InputError(
                f"max_attempts must be at least 1, got {self.max_attempts}", field="max_attempts"
            )
        if self.base_seconds < 0:
            raise InputError(
                f"base_seconds must not be negative, got {self.base_seconds}",
                field="base_seconds",
            )
        if self.cap_seconds < self.base_seconds:
            raise InputError(
                f"cap_seconds must be at least base_seconds ({self.base_seconds}), "
                f"got {self.cap_seconds}",
                field="cap_seconds",
            )

    def delay(self, attempts: int) -> dt.timedelta:
        """The wait before the next attempt of a job that has failed ``attempts`` times."""
        if attempts < 1:
            return dt.timedelta(0)
        # 2**60 seconds is far past any cap: stop doubling there to keep the number small.
        seconds = self.base_seconds * (2 ** min(attempts - 1, 60))
        return dt.timedelta(seconds=min(seconds, self.cap_seconds))

    def exhausted(self, attempts: int) -> bool:
        """True when a job that has been claimed ``attempts`` times may not run again."""
        return attempts >= self.max_attempts
