"""Retry policy: exponential, capped, deterministic; bad settings are refused."""

from __future__ import annotations

import datetime as dt

import pytest

from medcoder.errors import InputError
from medcoder.worker.retry import RetryPolicy


class TestRetryPolicy:
    def test_delay_doubles_then_caps(self) -> None:
        policy = RetryPolicy(max_attempts=10, base_seconds=2, cap_seconds=30)
        assert [policy.delay(n).total_seconds() for n in range(0, 7)] == [0, 2, 4, 8, 16, 30, 30]
        assert policy.delay(10_000) == dt.timedelta(seconds=30)

    def test_exhausted_at_max_attempts(self) -> None:
        policy = RetryPolicy(max_attempts=3)
        assert [policy.exhausted(n) for n in (1, 2, 3, 4)] == [False, False, True, True]

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"max_attempts": 0}, "max_attempts must be at least 1, got 0"),
            ({"base_seconds": -1}, "base_seconds must not be negative, got -1"),
            (
                {"base_seconds": 10, "cap_seconds": 5},
                "cap_seconds must be at least base_seconds (10), got 5",
            ),
        ],
    )
    def test_bad_settings(self, kwargs: dict[str, float], message: str) -> None:
        with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
            RetryPolicy(**kwargs)  # type: ignore[arg-type]
