"""Access to the vendored official files under ``data/`` (compressed with xz or gzip).

Builders name a file by its path without the compression suffix
(``icd10cm-2026-04/code-list-April-2026.txt``); :class:`DataDir` finds ``.xz``/``.gz``/plain.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import lzma
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import IO, cast

from medcoder.errors import DataFileError

__all__ = ["DataDir", "default_data_dir"]

_SUFFIXES = (".xz", ".gz", "")


def default_data_dir() -> Path:
    """The vendored data: packaged as ``medcoder/_data`` in a wheel, ``data/`` in a checkout."""
    packaged = Path(str(resources.files("medcoder"))) / "_data"
    if packaged.is_dir():
        return packaged
    # Editable install / source checkout: src/medcoder/codesets -> repository root.
    checkout = Path(__file__).resolve().parents[3] / "data"
    if checkout.is_dir():
        return checkout
    raise DataFileError(
        "medcoder's vendored code-set files were not found (looked for medcoder/_data and "
        f"{checkout}); reinstall medcoder or pass data_dir",
        path=str(checkout),
    )


class DataDir:
    """A folder of vendored source files.

    Args:
        root: the folder holding ``icd10cm-2026-04/``, ``ncci-2024q3/`` and the rest.
    """

    def __init__(self, root: Path | None = None) -> None:
        self.root = root if root is not None else default_data_dir()

    def path(self, name: str) -> Path:
        """The stored file for ``name`` (its compressed form if that is what is stored)."""
        for suffix in _SUFFIXES:
            candidate = self.root / (name + suffix)
            if candidate.is_file():
                return candidate
        raise DataFileError(f"vendored file {name!r} is missing under {self.root}", path=name)

    def open_bytes(self, name: str) -> IO[bytes]:
        """Open ``name`` for reading, decompressing transparently."""
        path = self.path(name)
        if path.suffix == ".xz":
            return lzma.open(path, "rb")
        if path.suffix == ".gz":
            return cast(IO[bytes], gzip.open(path, "rb"))
        return path.open("rb")

    def open_text(self, name: str, encoding: str = "utf-8") -> IO[str]:
        """Open ``name`` as text (universal newlines), decompressing transparently."""
        return io.TextIOWrapper(self.open_bytes(name), encoding=encoding, newline="")

    def fingerprint(self, names: Iterable[str]) -> str:
        """sha256 over the stored bytes of ``names``: changes whenever a source file does."""
        digest = hashlib.sha256()
        for name in sorted(set(names)):
            path = self.path(name)
            digest.update(name.encode())
            with path.open("rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
        return digest.hexdigest()
