"""Build the code-set knowledge base (one SQLite file) from the vendored official files.

Each code set has a *builder*: an object with a ``name``, the ``sources`` it reads (paths under
``data/`` without compression suffix) and ``build(con, data) -> dict[str, int]`` that creates its
tables, registers its release(s) with :func:`register_release` and returns row counts per table.
Builders run in the order of :data:`BUILDER_MODULES`; a later builder may read what an earlier
one wrote (the full-text search index reads titles and index terms).

The database file is named after a fingerprint of every source file and :data:`SCHEMA_VERSION`,
so a changed source or schema produces a fresh build, and an unchanged one is reused.

Code sets a user adds (a newer NCCI quarter) live in a *user data* folder the shell passes as
``user_data``; a builder that reads it offers ``for_user_data(folder) -> Builder`` and lists
the files it will read as ``user_files``, which the fingerprint covers too.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from medcoder.codesets.datafiles import DataDir
from medcoder.codesets.releases import SCHEMA as RELEASE_SCHEMA
from medcoder.errors import KnowledgeBaseError

__all__ = [
    "BUILDER_MODULES",
    "SCHEMA_VERSION",
    "BuildReport",
    "Builder",
    "build_knowledge_base",
    "kb_fingerprint",
    "load_builders",
]

#: Bump when any builder's table layout changes, so cached databases are rebuilt.
SCHEMA_VERSION = 1

#: Modules that each expose ``BUILDER``, in build order.
BUILDER_MODULES: tuple[str, ...] = (
    "medcoder.codesets.icd10cm.build_tabular",
    "medcoder.codesets.icd10cm.build_index",
    "medcoder.codesets.icd10cm.build_tables",
    "medcoder.codesets.icd10cm.build_search",
    "medcoder.codesets.icd10pcs",
    "medcoder.codesets.hcpcs",
    "medcoder.codesets.cpt",
    "medcoder.codesets.pos",
    "medcoder.codesets.adjustments",
    "medcoder.codesets.ncci",
    "medcoder.codesets.drg_weights",
)


class Builder(Protocol):
    """What each code set contributes to the knowledge base build."""

    name: str
    sources: tuple[str, ...]

    def build(self, con: sqlite3.Connection, data: DataDir) -> dict[str, int]: ...


@dataclass
class BuildReport:
    """What a build did: where it wrote, how long each builder took, rows per table."""

    path: Path
    fingerprint: str
    seconds: float = 0.0
    steps: list[tuple[str, float, dict[str, int]]] = field(default_factory=list)
    reused: bool = False


def load_builders(modules: Sequence[str] = BUILDER_MODULES) -> list[Builder]:
    """Import each builder module and return its ``BUILDER``."""
    builders: list[Builder] = []
    for name in modules:
        builders.append(importlib.import_module(name).BUILDER)
    return builders


def kb_fingerprint(data: DataDir, builders: Sequence[Builder]) -> str:
    """Fingerprint of every source file, every builder's code and the schema version.

    Hashing the builders' own source means a changed parser never reuses a stale database.
    """
    sources = [s for b in builders for s in b.sources]
    digest = hashlib.sha256(data.fingerprint(sources).encode())
    for builder in builders:
        for path in getattr(builder, "user_files", ()):
            digest.update(str(path).encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    for builder in builders:
        module = sys.modules.get(type(builder).__module__)
        filename = getattr(module, "__file__", None)
        if filename:
            digest.update(Path(filename).read_bytes())
    return f"v{SCHEMA_VERSION}-{digest.hexdigest()[:16]}"


def _with_user_data(builder: Builder, user_data: Path) -> Builder:
    hook: Callable[[Path], Builder] | None = getattr(builder, "for_user_data", None)
    return hook(user_data) if hook is not None else builder


def build_knowledge_base(
    out_dir: Path,
    *,
    data: DataDir | None = None,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
    builders: Sequence[Builder] | None = None,
    user_data: Path | None = None,
) -> BuildReport:
    """Build (or reuse) the knowledge base in ``out_dir``.

    Args:
        out_dir: folder for the cached database, e.g. ``~/.cache/medcoder``.
        data: the vendored files; defaults to the packaged ``data/``.
        force: rebuild even if a database with the same fingerprint exists.
        progress: called with a short line before each step (never with note text).
        builders: override the builder list (tests).
        user_data: the user's data folder (imported NCCI quarters under ``ncci/``); builders
            with a ``for_user_data`` method read it.

    Returns:
        A :class:`BuildReport`; ``reused`` is True when nothing had to be built.

    Raises:
        KnowledgeBaseError: a builder failed; no partial database is left behind.
    """
    data = data or DataDir()
    builders = list(builders) if builders is not None else load_builders()
    if user_data is not None:
        builders = [_with_user_data(b, user_data) for b in builders]
    fingerprint = kb_fingerprint(data, builders)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"kb-{fingerprint}.sqlite"
    report = BuildReport(path=path, fingerprint=fingerprint)
    if path.exists() and not force:
        report.reused = True
        return report

    started = time.perf_counter()
    fd, tmp_name = tempfile.mkstemp(prefix=".kb-", suffix=".tmp", dir=out_dir)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        con = sqlite3.connect(tmp)
        try:
            con.executescript(
                "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA page_size=8192;"
                + RELEASE_SCHEMA
                + "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            )
            for builder in builders:
                if progress:
                    progress(f"building {builder.name}")
                t0 = time.perf_counter()
                with con:
                    counts = builder.build(con, data)
                report.steps.append((builder.name, time.perf_counter() - t0, counts))
            report.seconds = time.perf_counter() - started
            with con:
                con.executemany(
                    "INSERT INTO meta VALUES (?, ?)",
                    [
                        ("fingerprint", fingerprint),
                        ("schema_version", str(SCHEMA_VERSION)),
                        ("build_seconds", f"{report.seconds:.2f}"),
                        ("built_at", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())),
                    ],
                )
            con.execute("ANALYZE")
            con.execute("VACUUM")
        finally:
            con.close()
        os.replace(tmp, path)
    except KnowledgeBaseError:
        tmp.unlink(missing_ok=True)
        raise
    except Exception as exc:
        tmp.unlink(missing_ok=True)
        raise KnowledgeBaseError(f"building the knowledge base failed: {exc}") from exc
    report.seconds = time.perf_counter() - started
    return report
