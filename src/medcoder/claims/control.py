"""Interchange control numbers: unique, increasing, persisted.

One number per 837 file gives its ISA13, GS06 and ST02. A :class:`ControlNumbers` source
hands them out; :class:`FileControlNumbers` keeps the last one in a small file under the data
home, locked while it is read and rewritten, so two runs (even at the same moment) never
reuse one. The database-backed source for the service is
:class:`medcoder.claims.db.DatabaseControlNumbers`.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from typing import Protocol

from medcoder.claims.errors import ClaimError
from medcoder.claims.x12.envelope import MAX_CONTROL_NUMBER

__all__ = [
    "ControlNumbers",
    "FileControlNumbers",
    "InMemoryControlNumbers",
    "default_counter_path",
]


class ControlNumbers(Protocol):
    def next(self) -> int:
        """A control number never handed out before by this source."""
        ...


class InMemoryControlNumbers:
    """For tests and one-off writing: counts from ``start``."""

    def __init__(self, start: int = 1) -> None:
        self._next = start
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            value = self._next
            self._next += 1
        return value


def default_counter_path() -> Path:
    """``<data home>/claims/control-number`` (the data home of ``medcoder ncci import``)."""
    from medcoder.codesets.kb import default_data_home

    return default_data_home() / "claims" / "control-number"


class FileControlNumbers:
    """The last number in a text file, incremented under an exclusive ``flock``."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_counter_path()

    def next(self) -> int:
        """Read, increment and durably rewrite the counter.

        Raises:
            ClaimError: the file holds something other than a number, or the counter would
                pass 999999999.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            raw = os.read(fd, 64).decode("ascii", "replace").strip()
            try:
                last = int(raw) if raw else 0
            except ValueError:
                raise ClaimError(f"control number file {self.path} holds {raw!r}, "
                                 "not a number") from None
            value = last + 1
            if value > MAX_CONTROL_NUMBER:
                raise ClaimError(f"control numbers in {self.path} are used up (999999999)")
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            os.write(fd, f"{value}\n".encode("ascii"))
            os.fsync(fd)
            return value
        finally:
            os.close(fd)  # closing releases the lock
