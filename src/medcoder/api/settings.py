"""The API's one configuration object, built by the shell (``medcoder serve``, tests).

Nothing here is read at import time: :meth:`Settings.from_env` is called inside the Typer
command or by a test, and the result handed to :func:`medcoder.api.app.create_app`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["Settings"]


class Settings(BaseModel):
    """How the service runs.

    Attributes:
        database_url: SQLAlchemy URL (default: ``medcoder.store.db.database_url()``).
        secure_cookies: mark session cookies ``Secure`` (on whenever TLS is served).
        session_idle_minutes: a session unused this long expires.
        session_absolute_hours: a session expires this long after login, used or not.
        token_days: lifetime of a bearer API token.
        login_max_failures: failed logins per (username, client address) allowed within
            ``login_window_seconds`` before further attempts get 429.
        inline_coding: code uploaded documents in the request (small deployments, tests)
            instead of only enqueueing them for ``medcoder worker``.
        upgrade_database: run the Alembic migrations when the app starts.
        max_document_bytes: largest accepted upload.
        wait_seconds: how long an upload with ``?wait=true`` waits for its coding.
        practice_file: the practice file of the claim and billing routes
            (``$MEDCODER_PRACTICE_FILE``, ``medcoder serve --practice``), read once when the
            app is created; a bad file stops the start. None: claim routes answer 503.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    database_url: str | None = None
    secure_cookies: bool = False
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_absolute_hours: int = Field(default=12, ge=1, le=24 * 7)
    token_days: int = Field(default=90, ge=1, le=3650)
    login_max_failures: int = Field(default=5, ge=1, le=1000)
    login_window_seconds: int = Field(default=15 * 60, ge=1)
    inline_coding: bool = False
    upgrade_database: bool = True
    max_document_bytes: int = Field(default=2_000_000, ge=1000)
    wait_seconds: float = Field(default=60.0, gt=0, le=600)
    practice_file: Path | None = None

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.session_idle_minutes > self.session_absolute_hours * 60:
            raise ValueError("session_idle_minutes cannot exceed session_absolute_hours")
        return self

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from ``MEDCODER_*`` environment variables, then ``overrides``."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for name in cls.model_fields:
            key = f"MEDCODER_{name.upper()}"
            if key in env:
                values[name] = env[key]
        if not str(values.get("practice_file", "x")).strip():
            del values["practice_file"]  # MEDCODER_PRACTICE_FILE="": none configured
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.model_validate(values)
