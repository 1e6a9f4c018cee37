"""The ``idempotency_keys`` table: the first answer given to each ``Idempotency-Key``.

Kept in the database (not in a server process's memory) so that a retry is recognised by every
``medcoder serve --workers N`` process and after a restart. One row per (user, route, key): the
unique constraint is what lets exactly one of two concurrent requests with the same key run.
A row whose ``status_code`` is NULL is a request still being processed. The stored answer can
name a patient, so it is encrypted (``EncryptedJSON``); key rotation finds it like every other
encrypted column. Rows older than 24 hours are expired lazily (see
:mod:`medcoder.api.idempotency`). The migration ``0005_hardening`` creates exactly this table.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from medcoder.store.crypto import EncryptedJSON
from medcoder.store.db import Base, new_id, utcnow

__all__ = ["IdempotencyKeyRecord", "SealedAnswer"]

class SealedAnswer(EncryptedJSON):
    """An encrypted JSON answer (``cache_ok`` declared on the class itself, so Core
    statements that write it are cached without a SQLAlchemy warning)."""

    cache_ok = True


class IdempotencyKeyRecord(Base):
    """One ``Idempotency-Key`` of one user on one route, and the answer it got."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("user_id", "route", "key"),
        Index(None, "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(64))
    route: Mapped[str] = mapped_column(String(400))  # "POST /v1/claims"
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of the request body
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)  # NULL: running
    response: Mapped[Any] = mapped_column(
        SealedAnswer("idempotency_keys.response"), nullable=True, default=None
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
