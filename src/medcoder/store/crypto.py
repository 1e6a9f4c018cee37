"""Encryption at rest: AES-256-GCM for note text and direct patient identifiers.

Every encrypted value is stored as text ``mc1:<key id>:<base64(nonce || ciphertext+tag)>``:
a random 96-bit nonce per value, and the column's name (``patients.last_name``) as associated
data, so a ciphertext copied into another column does not decrypt. The key id (8 hex digits
derived from the key) says which key sealed the value, so that after a rotation old and new
values can be told apart and an old key can be kept for reading until every value is re-sealed.

Keys (32 random bytes, base64) come from, in order:

- ``MEDCODER_KEY_FILE``: a file with one base64 key per line, the first is the current key and
  the others are kept for reading only (``medcoder keys rotate`` writes this file);
- ``MEDCODER_ENCRYPTION_KEY``: one base64 key, or several separated by commas (current first);
- a development default: ``<data home>/medcoder.key``, generated with 0600 permissions on first
  use, with a warning in the log (do not use it in production: back the key up, or lose the
  data with it).

Columns declare themselves encrypted with :class:`EncryptedText`, :class:`EncryptedDate` or
:class:`EncryptedJSON`; the store then encrypts and decrypts transparently. Values that must be
found by equality (a document's text for deduplication, a patient's MRN) also get a keyed
HMAC-SHA256 "blind index" from :func:`digest` — never a plain hash, which anyone could compute
from a guessed note or MRN.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import stat
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import operators
from sqlalchemy.types import TypeDecorator

from medcoder.errors import MedcoderError

__all__ = [
    "DEV_KEY_FILENAME",
    "EncryptedDate",
    "EncryptedJSON",
    "EncryptedText",
    "EncryptionError",
    "KeyRing",
    "active_keyring",
    "decrypt",
    "digest",
    "encrypt",
    "generate_key",
    "key_id",
    "load_keyring",
    "reset_keyring",
    "use_keyring",
    "write_key_file",
]

log = logging.getLogger(__name__)

PREFIX = "mc1"
KEY_BYTES = 32
NONCE_BYTES = 12
DEV_KEY_FILENAME = "medcoder.key"


class EncryptionError(MedcoderError):
    """A key is missing or malformed, or a stored value does not decrypt (``.key_id``)."""

    def __init__(self, message: str, *, key_id: str = "") -> None:
        super().__init__(message)
        self.key_id = key_id


def generate_key() -> bytes:
    """32 random bytes for a new AES-256 key."""
    return AESGCM.generate_key(bit_length=256)


def key_id(key: bytes) -> str:
    """The public id of a key: 8 hex digits of a SHA-256 over a label and the key."""
    return hashlib.sha256(b"medcoder key id\x00" + key).hexdigest()[:8]


def _decode_key(text: str, source: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise EncryptionError(f"{source}: a key must be base64 of 32 bytes") from None
    if len(key) != KEY_BYTES:
        raise EncryptionError(f"{source}: a key must be 32 bytes, got {len(key)}")
    return key


@dataclass(frozen=True)
class KeyRing:
    """The current key (seals new values) and older keys (open old values), by key id.

    Example::

        ring = KeyRing.of([generate_key()])
        token = ring.encrypt(b"note text", purpose="documents.text")
        assert ring.decrypt(token, purpose="documents.text") == b"note text"
    """

    current_id: str
    keys: dict[str, bytes]
    source: str = ""

    @classmethod
    def of(cls, keys: Sequence[bytes], *, source: str = "") -> KeyRing:
        """A ring whose first key is the current one."""
        if not keys:
            raise EncryptionError(f"{source or 'key ring'}: no key")
        by_id = {key_id(k): k for k in keys}
        return cls(current_id=key_id(keys[0]), keys=by_id, source=source)

    @property
    def current_key(self) -> bytes:
        return self.keys[self.current_id]

    def encrypt(self, plaintext: bytes, *, purpose: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.current_key).encrypt(nonce, plaintext, purpose.encode())
        return f"{PREFIX}:{self.current_id}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, *, purpose: str) -> bytes:
        prefix, _, rest = token.partition(":")
        kid, _, body = rest.partition(":")
        if prefix != PREFIX or not kid or not body:
            raise EncryptionError(f"{purpose}: stored value is not a medcoder ciphertext")
        key = self.keys.get(kid)
        if key is None:
            raise EncryptionError(
                f"{purpose}: value sealed with key {kid}, which is not in the key ring "
                f"({', '.join(sorted(self.keys))})",
                key_id=kid,
            )
        try:
            raw = base64.b64decode(body, validate=True)
            return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], purpose.encode())
        except (binascii.Error, ValueError, InvalidTag):
            raise EncryptionError(
                f"{purpose}: stored value does not decrypt with key {kid} (altered or moved)",
                key_id=kid,
            ) from None

    def digest(self, text: str, *, purpose: str) -> str:
        """Keyed HMAC-SHA256 (hex) of ``text``, for equality lookups of encrypted values."""
        mac_key = hmac.new(
            self.current_key, b"medcoder blind index\x00" + purpose.encode(), hashlib.sha256
        ).digest()
        return hmac.new(mac_key, text.encode(), hashlib.sha256).hexdigest()


def token_key_id(token: str) -> str:
    """The key id a stored ciphertext names (empty when it is not a ciphertext)."""
    parts = token.split(":", 2)
    return parts[1] if len(parts) == 3 and parts[0] == PREFIX else ""


def load_keyring(
    environ: Mapping[str, str] | None = None, *, data_home: Path | None = None
) -> KeyRing:
    """Read the key ring from ``MEDCODER_KEY_FILE``, ``MEDCODER_ENCRYPTION_KEY`` or the dev file.

    Raises:
        EncryptionError: a named key file is missing or holds a malformed key.
    """
    env = os.environ if environ is None else environ
    key_file = env.get("MEDCODER_KEY_FILE")
    if key_file:
        return _read_key_file(Path(key_file))
    inline = env.get("MEDCODER_ENCRYPTION_KEY")
    if inline:
        keys = [_decode_key(part, "MEDCODER_ENCRYPTION_KEY") for part in inline.split(",")]
        return KeyRing.of(keys, source="MEDCODER_ENCRYPTION_KEY")
    if data_home is None:
        from medcoder.codesets.kb import default_data_home

        data_home = default_data_home()
    path = data_home / DEV_KEY_FILENAME
    if not path.exists():
        log.warning(
            "no MEDCODER_KEY_FILE or MEDCODER_ENCRYPTION_KEY: generated a development key at %s "
            "(back it up; set MEDCODER_KEY_FILE in production)",
            path,
        )
        write_key_file(path, [generate_key()], exclusive=True)
    return _read_key_file(path)


def _read_key_file(path: Path) -> KeyRing:
    try:
        lines = path.read_text(encoding="ascii").split()
    except FileNotFoundError:
        raise EncryptionError(f"key file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EncryptionError(f"key file {path} cannot be read: {exc}") from None
    keys = [_decode_key(line, f"key file {path}") for line in lines]
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("key file %s is readable by others (mode %o): chmod 600 it", path, mode)
    return KeyRing.of(keys, source=str(path))


def write_key_file(path: Path, keys: Sequence[bytes], *, exclusive: bool = False) -> None:
    """Write keys (current first) to ``path`` with 0600 permissions, atomically.

    With ``exclusive`` the file must not exist yet: a concurrent first use keeps the winner's
    key, and nobody ever reads a half-written file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(base64.b64encode(k).decode() + "\n" for k in keys).encode()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        if exclusive:
            try:
                os.link(tmp, path)  # fails if the file exists: the first writer wins
            except FileExistsError:
                pass
        else:
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


_lock = threading.Lock()
_active: KeyRing | None = None


def active_keyring() -> KeyRing:
    """The process's key ring, loaded from the environment on first use."""
    global _active
    with _lock:
        if _active is None:
            _active = load_keyring()
        return _active


def use_keyring(ring: KeyRing | None) -> None:
    """Set the process's key ring (``None``: load it from the environment again on next use)."""
    global _active
    with _lock:
        _active = ring


def reset_keyring() -> None:
    """Forget the loaded key ring (the next use reads the environment again)."""
    use_keyring(None)


def _ring_for(token: str) -> KeyRing:
    """The active ring, reloaded once if the token names a key it does not hold (after a rotation
    by another process)."""
    ring = active_keyring()
    kid = token_key_id(token)
    if kid and kid not in ring.keys and ring.source != "":
        reset_keyring()
        ring = active_keyring()
    return ring


def encrypt(plaintext: str, *, purpose: str) -> str:
    """Seal text with the active key ring's current key."""
    return active_keyring().encrypt(plaintext.encode(), purpose=purpose)


def decrypt(token: str, *, purpose: str) -> str:
    """Open a value sealed by :func:`encrypt` (any key still in the ring)."""
    return _ring_for(token).decrypt(token, purpose=purpose).decode()


def digest(text: str, *, purpose: str) -> str:
    """Keyed HMAC-SHA256 (hex, 64 chars) of ``text`` with the active key ring's current key."""
    return active_keyring().digest(text, purpose=purpose)


_NULL_TESTS = (operators.is_, operators.is_not)


class _Encrypted(TypeDecorator[Any]):
    """Base of the encrypted column types: a Text column holding ``mc1:...`` ciphertext.

    Comparing or ordering by an encrypted column in SQL raises ``TypeError`` (a random nonce
    per value means ``last_name == 'X'`` could never match): use its keyed-hash column.
    Only ``IS NULL`` / ``IS NOT NULL`` are allowed.
    """

    impl = Text
    cache_ok = True

    class comparator_factory(TypeDecorator.Comparator[Any]):  # noqa: N801 (SQLAlchemy's name)
        def operate(self, op: Any, *other: Any, **kwargs: Any) -> Any:
            if (
                op in _NULL_TESTS
                or (op is operators.eq and other == (None,))
                or (op is operators.ne and other == (None,))
            ):
                return super().operate(op, *other, **kwargs)
            purpose = getattr(self.type, "purpose", "encrypted column")
            raise TypeError(
                f"{purpose} is encrypted: it cannot be compared or sorted in SQL "
                "(look it up by its keyed hash, or filter after decrypting)"
            )

        def reverse_operate(self, op: Any, other: Any, **kwargs: Any) -> Any:
            return self.operate(op, other, **kwargs)

    def __init__(self, purpose: str) -> None:
        super().__init__()
        self.purpose = purpose

    def encode(self, value: Any) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def decode(self, text: str) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return encrypt(self.encode(value), purpose=self.purpose)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return self.decode(decrypt(str(value), purpose=self.purpose))


class EncryptedText(_Encrypted):
    """A text column stored encrypted; ``purpose`` (``table.column``) is bound into each value."""

    def encode(self, value: Any) -> str:
        if not isinstance(value, str):
            raise TypeError(f"{self.purpose}: expected str, got {type(value).__name__}")
        return value

    def decode(self, text: str) -> str:
        return text


class EncryptedDate(_Encrypted):
    """A date column stored encrypted (ISO text inside)."""

    def encode(self, value: Any) -> str:
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise TypeError(f"{self.purpose}: expected date, got {type(value).__name__}")
        return value.isoformat()

    def decode(self, text: str) -> dt.date:
        return dt.date.fromisoformat(text)


class EncryptedJSON(_Encrypted):
    """A JSON value (lists, dicts, numbers, text) stored encrypted."""

    def encode(self, value: Any) -> str:
        return json.dumps(value, sort_keys=True, separators=(",", ":"))

    def decode(self, text: str) -> Any:
        return json.loads(text)
