"""Password hashing, secret digests, login throttling and idempotency keys (no database)."""

from __future__ import annotations

import pytest

from medcoder.api.idempotency import fingerprint
from medcoder.api.security import (
    TOKEN_PREFIX,
    digest_secret,
    hash_password,
    new_secret,
    verify_password,
)
from medcoder.api.settings import Settings
from medcoder.api.throttle import LoginThrottle


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TestPasswords:
    def test_hash_is_argon2id_salted_and_verifies(self) -> None:
        first, second = hash_password("correct horse"), hash_password("correct horse")
        assert first.startswith("$argon2id$")
        assert first != second
        assert verify_password(first, "correct horse")
        assert not verify_password(first, "correct horsf")

    def test_missing_or_corrupt_hash_never_verifies(self) -> None:
        assert not verify_password(None, "medcoder-no-such-user")
        assert not verify_password("not-a-hash", "x")


class TestSecrets:
    def test_tokens_are_random_and_stored_as_digest(self) -> None:
        token = new_secret(TOKEN_PREFIX)
        assert token.startswith(TOKEN_PREFIX) and len(token) > 40
        assert token != new_secret(TOKEN_PREFIX)
        assert digest_secret(token) == digest_secret(token)
        assert token not in digest_secret(token) and len(digest_secret(token)) == 64


class TestThrottle:
    def test_blocks_after_max_failures_per_user_and_address(self) -> None:
        clock = FakeClock()
        throttle = LoginThrottle(max_failures=3, window_seconds=60, clock=clock)
        for _ in range(3):
            assert throttle.retry_after("Ann", "10.0.0.1") == 0
            throttle.failed("ann", "10.0.0.1")
        assert throttle.retry_after("ann", "10.0.0.1") == 60
        # another address, another user: not blocked
        assert throttle.retry_after("ann", "10.0.0.2") == 0
        assert throttle.retry_after("bob", "10.0.0.1") == 0
        clock.now += 61
        assert throttle.retry_after("ann", "10.0.0.1") == 0

    def test_success_clears_failures(self) -> None:
        throttle = LoginThrottle(max_failures=1, window_seconds=60, clock=FakeClock())
        throttle.failed("ann", "a")
        assert throttle.retry_after("ann", "a") > 0
        throttle.succeeded("ann", "a")
        assert throttle.retry_after("ann", "a") == 0


class TestFingerprint:
    def test_json_bodies_are_canonical(self) -> None:
        assert fingerprint({"a": 1, "b": 2}) == fingerprint({"b": 2, "a": 1})
        assert fingerprint({"a": 1}) != fingerprint({"a": 2})
        assert fingerprint(b"one") != fingerprint(b"two")


class TestSettings:
    def test_from_env_reads_prefixed_variables(self) -> None:
        env = {"MEDCODER_SESSION_IDLE_MINUTES": "5", "MEDCODER_INLINE_CODING": "true"}
        settings = Settings.from_env(env, database_url="sqlite:///x.db")
        assert settings.session_idle_minutes == 5
        assert settings.inline_coding is True
        assert settings.database_url == "sqlite:///x.db"

    def test_idle_longer_than_absolute_is_rejected(self) -> None:
        with pytest.raises(ValueError, match="session_idle_minutes"):
            Settings(session_idle_minutes=600, session_absolute_hours=1)
