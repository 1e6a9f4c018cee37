"""Code-set releases and the choice of the release in force on a date of service."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from enum import StrEnum

from medcoder.errors import NoReleaseError

__all__ = ["CodeSystem", "Release", "pick_release", "read_releases", "register_release"]


class CodeSystem(StrEnum):
    """The code systems the knowledge base holds."""

    ICD10CM = "icd10cm"
    ICD10PCS = "icd10pcs"
    HCPCS = "hcpcs"
    CPT = "cpt"
    POS = "pos"
    ADJUSTMENT = "adjustment"  # CARC, RARC and claim adjustment group codes
    NCCI = "ncci"


@dataclass(frozen=True, slots=True)
class Release:
    """One release of one code system, e.g. ICD-10-CM FY2026 April-1 update.

    ``effective_to`` is None for the newest release of a system: it stays in force (with a
    warning once its nominal end has passed) until a newer release is added.
    """

    id: str
    system: CodeSystem
    label: str
    effective_from: dt.date
    effective_to: dt.date | None
    nominal_end: dt.date | None
    source: str

    def covers(self, day: dt.date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )

    def is_stale_on(self, day: dt.date) -> bool:
        """True when ``day`` is past the period the release was published for."""
        return self.nominal_end is not None and day > self.nominal_end


SCHEMA = """
CREATE TABLE IF NOT EXISTS release (
    id TEXT PRIMARY KEY,
    system TEXT NOT NULL,
    label TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    nominal_end TEXT,
    source TEXT NOT NULL
);
"""


def register_release(
    con: sqlite3.Connection,
    *,
    id: str,
    system: CodeSystem,
    label: str,
    effective_from: dt.date,
    nominal_end: dt.date | None,
    source: str,
) -> str:
    """Record a release while building; returns its id for the builder's rows."""
    con.execute(SCHEMA)
    con.execute(
        "INSERT OR REPLACE INTO release VALUES (?, ?, ?, ?, ?, ?)",
        (
            id,
            system.value,
            label,
            effective_from.isoformat(),
            nominal_end.isoformat() if nominal_end else None,
            source,
        ),
    )
    return id


def read_releases(con: sqlite3.Connection) -> list[Release]:
    """All releases, each system's in date order; ``effective_to`` derived from the next one."""
    rows = con.execute(
        "SELECT id, system, label, effective_from, nominal_end, source FROM release "
        "ORDER BY system, effective_from"
    ).fetchall()
    releases: list[Release] = []
    for i, (rid, system, label, start, nominal_end, source) in enumerate(rows):
        nxt = rows[i + 1] if i + 1 < len(rows) and rows[i + 1][1] == system else None
        end = dt.date.fromisoformat(nxt[3]) - dt.timedelta(days=1) if nxt else None
        releases.append(
            Release(
                id=rid,
                system=CodeSystem(system),
                label=label,
                effective_from=dt.date.fromisoformat(start),
                effective_to=end,
                nominal_end=dt.date.fromisoformat(nominal_end) if nominal_end else None,
                source=source,
            )
        )
    return releases


def pick_release(releases: list[Release], system: CodeSystem, day: dt.date) -> Release:
    """The release of ``system`` in force on ``day``.

    Raises:
        NoReleaseError: ``day`` is before the oldest release (the message names the range).
    """
    own = [r for r in releases if r.system is system]
    if not own:
        raise NoReleaseError(
            f"the knowledge base holds no {system.value} release",
            system=system.value,
            date=day,
            covered=(day, day),
        )
    for release in own:
        if release.covers(day):
            return release
    first = own[0]
    raise NoReleaseError(
        f"no {system.value} release covers {day.isoformat()}: the knowledge base covers "
        f"{first.effective_from.isoformat()} onward ({first.label})",
        system=system.value,
        date=day,
        covered=(first.effective_from, own[-1].effective_to),
    )
