"""Secrets: argon2 password hashes, bearer tokens and session ids stored only as digests."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = [
    "TOKEN_PREFIX",
    "digest_secret",
    "hash_password",
    "needs_rehash",
    "new_secret",
    "same_digest",
    "verify_password",
]

#: Bearer tokens start with this, so a leaked one is recognisable in a secret scanner.
TOKEN_PREFIX = "mct_"

_HASHER = PasswordHasher()
# Verifying against this when the user does not exist keeps the timing of a failed login the
# same whether or not the username is known.
_DUMMY_HASH = _HASHER.hash("medcoder-no-such-user")


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (salted; parameters in the hash string)."""
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (False for a missing or corrupt hash)."""
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than the current ones."""
    return _HASHER.check_needs_rehash(password_hash)


def new_secret(prefix: str = "") -> str:
    """A fresh random secret (256 bits, URL-safe) for a session cookie or an API token."""
    return prefix + secrets.token_urlsafe(32)


def digest_secret(secret: str) -> str:
    """What the database keeps of a session id or token: its SHA-256 (hex).

    The secrets are 256-bit random values, so a fast hash is enough: nothing to brute-force.
    """
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same_digest(a: str, b: str) -> bool:
    """Constant-time comparison of two digests."""
    return hmac.compare_digest(a, b)
