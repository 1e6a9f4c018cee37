"""Medicare NCCI edits: procedure-to-procedure (PTP) pairs, MUEs and add-on code edits.

Every row is keyed by ``release_id`` (one NCCI quarter) and ``setting``, so later quarters are
added as new releases side by side and a claim is checked against the quarter in force on its
date of service. The vendored quarter is 2024 Q3; a date past its end still uses it, and the
results say so (``stale``).

Example:
    >>> edit = kb.ncci.ptp("11720", "11055")
    >>> edit.column1, edit.column2, edit.modifier_indicator
    ('11055', '11720', 1)
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from medcoder.codesets.datafiles import DataDir
from medcoder.codesets.releases import CodeSystem, Release, register_release
from medcoder.errors import CodeFormatError, DataFileError, InputError

if TYPE_CHECKING:
    from medcoder.codesets.kb import KnowledgeBase

__all__ = [
    "BUILDER",
    "AddonPrimary",
    "Mue",
    "Ncci",
    "NcciQuarterFiles",
    "PtpEdit",
    "Setting",
    "imported_quarters",
]

Setting = Literal["practitioner", "outpatient_hospital", "dme"]
SETTINGS: tuple[Setting, ...] = ("practitioner", "outpatient_hospital", "dme")

_DIR = "ncci-2024q3/"
PTP_FILES: dict[Setting, str] = {
    "practitioner": _DIR + "ptp_practitioner_active_2024q3.csv",
    "outpatient_hospital": _DIR + "ptp_outpatient_hospital_active_2024q3.csv",
}
MUE_FILES: dict[Setting, str] = {
    "practitioner": _DIR + "mue_practitioner_2024q3.csv",
    "outpatient_hospital": _DIR + "mue_outpatient_hospital_2024q3.csv",
    "dme": _DIR + "mue_dme_supplier_2024q3.csv",
}
AOC_FILE = _DIR + "aoc_addon_code_edits_2024-06.csv"
RELEASE_ID = "ncci-2024q3"
VENDORED_SOURCES = (*PTP_FILES.values(), *MUE_FILES.values(), AOC_FILE)
_CODE = re.compile(r"[0-9A-Z]{4}[0-9A-Z]")
#: In the add-on file, a primary code CMS leaves to each contractor to define.
CONTRACTOR_DEFINED = "CCCCC"

#: Meaning of the MUE adjudication indicator (MAI).
MAI_MEANINGS: dict[int, str] = {
    1: "line edit: units on one claim line (modifiers may split lines)",
    2: "date of service edit, absolute: policy limit, no appeal by units",
    3: "date of service edit, clinical: may be exceeded on appeal with documentation",
}
#: Meaning of the add-on code edit type.
AOC_TYPES: dict[int, str] = {
    1: "only the listed primary codes",
    2: "primary codes defined by each contractor",
    3: "listed primary codes; contractors may add others",
}

SCHEMA = """
CREATE TABLE ncci_rationale (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
CREATE TABLE ncci_ptp (
    release_id TEXT NOT NULL,
    setting TEXT NOT NULL,              -- 'practitioner' or 'outpatient_hospital'
    column1 TEXT NOT NULL,
    column2 TEXT NOT NULL,
    modifier_indicator INTEGER NOT NULL, -- 0 never bypassed, 1 bypass with a modifier, 9 n/a
    rationale_id INTEGER NOT NULL REFERENCES ncci_rationale (id),
    effective_date TEXT NOT NULL,       -- ISO date; '' when the source file did not carry it
    deletion_date TEXT,                 -- ISO date the edit stops applying; NULL: not deleted
    PRIMARY KEY (release_id, setting, column1, column2, effective_date)
) WITHOUT ROWID;
CREATE TABLE ncci_mue (
    release_id TEXT NOT NULL,
    setting TEXT NOT NULL,              -- 'practitioner', 'outpatient_hospital' or 'dme'
    code TEXT NOT NULL,
    units INTEGER NOT NULL,
    mai INTEGER NOT NULL,
    rationale TEXT NOT NULL,
    PRIMARY KEY (release_id, setting, code)
) WITHOUT ROWID;
CREATE TABLE ncci_addon (
    release_id TEXT NOT NULL,
    addon_code TEXT NOT NULL,
    primary_code TEXT NOT NULL,         -- 'CCCCC': contractor-defined primaries
    edit_type INTEGER NOT NULL,
    effective_date TEXT NOT NULL,       -- as in ncci_ptp
    deletion_date TEXT,
    PRIMARY KEY (release_id, addon_code, primary_code, effective_date)
) WITHOUT ROWID;
"""
# The PTP table is clustered on its key (WITHOUT ROWID): CMS ships the files sorted by
# column 1, column 2, so the bulk insert only appends, and there is no second index to build
# (measured on the practitioner file: 3.3 s and 81 MB, against 3.6 s and 153 MB for a rowid
# table indexed after the insert). Either order is answered from this one key.


@dataclass(frozen=True, slots=True)
class PtpEdit:
    """An NCCI procedure-to-procedure edit: ``column2`` is not paid with ``column1``.

    ``modifier_indicator`` 0: never allowed together; 1: allowed with an NCCI-associated
    modifier when the services are distinct; 9: the edit is deleted (not applicable).
    ``effective_date``/``deletion_date`` are set when the quarter's files carried them
    (imported CMS files do; the vendored 2024 Q3 tables do not).
    """

    column1: str
    column2: str
    modifier_indicator: int
    rationale: str
    setting: str
    release_id: str
    stale: bool
    effective_date: dt.date | None = None
    deletion_date: dt.date | None = None

    @property
    def modifier_allowed(self) -> bool:
        return self.modifier_indicator == 1


@dataclass(frozen=True, slots=True)
class Mue:
    """A medically unlikely edit: the most units of ``code`` per line or per day."""

    code: str
    units: int
    mai: int
    mai_meaning: str
    rationale: str
    setting: str
    release_id: str
    stale: bool


@dataclass(frozen=True, slots=True)
class AddonPrimary:
    """A primary code an add-on code may be billed with (``CCCCC``: contractor-defined)."""

    primary_code: str
    edit_type: int
    edit_type_meaning: str
    effective_date: dt.date | None = None
    deletion_date: dt.date | None = None


def _rows(data: DataDir, name: str) -> Iterator[dict[str, str]]:
    with data.open_text(name) as f:
        yield from csv.DictReader(f)


@dataclass(frozen=True, slots=True)
class NcciQuarterFiles:
    """Where one NCCI quarter's tables are and the dates it is in force for.

    The vendored quarter reads the packaged ``data/`` (``data`` is None); an imported quarter
    reads its own folder (see :mod:`medcoder.codesets.ncci_import`).
    """

    release_id: str
    label: str
    effective_from: dt.date
    nominal_end: dt.date
    source: str
    ptp: dict[Setting, str]
    mue: dict[Setting, str]
    aoc: str
    data: DataDir | None = None


VENDORED = NcciQuarterFiles(
    RELEASE_ID, "NCCI 2024 Q3", dt.date(2024, 7, 1), dt.date(2024, 9, 30), _DIR,
    PTP_FILES, MUE_FILES, AOC_FILE,
)  # fmt: skip

#: File names inside an imported quarter folder (``<user data>/ncci/2026q1/``).
IMPORTED_PTP: dict[Setting, str] = {
    "practitioner": "ptp_practitioner.csv",
    "outpatient_hospital": "ptp_outpatient_hospital.csv",
}
IMPORTED_MUE: dict[Setting, str] = {
    "practitioner": "mue_practitioner.csv",
    "outpatient_hospital": "mue_outpatient_hospital.csv",
    "dme": "mue_dme_supplier.csv",
}
IMPORTED_AOC = "aoc_addon_code_edits.csv"
RELEASE_FILE = "release.json"


def imported_quarters(ncci_dir: Path) -> list[NcciQuarterFiles]:
    """The quarters imported under ``ncci_dir`` (one folder each with a ``release.json``).

    Folders without ``release.json`` (an import that did not finish) are ignored.

    Raises:
        DataFileError: a ``release.json`` cannot be read.
    """
    quarters: list[NcciQuarterFiles] = []
    if not ncci_dir.is_dir():
        return quarters
    for folder in sorted(p for p in ncci_dir.iterdir() if p.is_dir()):
        meta_path = folder / RELEASE_FILE
        if folder.name.startswith(".") or not meta_path.is_file():
            continue
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            quarter = str(meta["quarter"])
            effective = dt.date.fromisoformat(meta["effective_from"])
            nominal_end = dt.date.fromisoformat(meta["nominal_end"])
        except (ValueError, KeyError, TypeError) as exc:
            raise DataFileError(
                f"{meta_path} is not a valid NCCI release description: {exc}", path=str(meta_path)
            ) from exc
        quarters.append(
            NcciQuarterFiles(
                f"ncci-{quarter.lower()}", f"NCCI {quarter[:4]} {quarter[4:].upper()}",
                effective, nominal_end, str(folder), IMPORTED_PTP, IMPORTED_MUE, IMPORTED_AOC,
                DataDir(folder),
            )
        )  # fmt: skip
    return quarters


class _NcciBuilder:
    """Builds the vendored quarter plus every quarter imported under ``<user_data>/ncci``."""

    name = "ncci"
    sources = VENDORED_SOURCES

    def __init__(self, user_data: Path | None = None) -> None:
        self.quarters: tuple[NcciQuarterFiles, ...] = (
            VENDORED,
            *(imported_quarters(user_data / "ncci") if user_data is not None else ()),
        )
        #: Imported files, hashed into the knowledge-base fingerprint: an import rebuilds.
        self.user_files: tuple[Path, ...] = tuple(
            sorted(p for q in self.quarters if q.data is not None for p in q.data.root.iterdir())
        )

    def for_user_data(self, user_data: Path) -> _NcciBuilder:
        """This builder with the quarters imported under ``user_data`` added."""
        return _NcciBuilder(user_data)

    def build(self, con: sqlite3.Connection, data: DataDir) -> dict[str, int]:
        con.executescript(SCHEMA)
        counts: dict[str, int] = {}
        rationale_ids: dict[str, int] = {}
        for q in self.quarters:
            register_release(
                con, id=q.release_id, system=CodeSystem.NCCI, label=q.label,
                effective_from=q.effective_from, nominal_end=q.nominal_end, source=q.source,
            )  # fmt: skip
            files = q.data or data
            suffix = "" if q is VENDORED else f"@{q.release_id}"
            # OR REPLACE: a CMS file may list a pair twice with the same effective date (deleted
            # and re-added); the later line wins instead of failing the whole build.
            for setting, name in q.ptp.items():
                before = con.total_changes
                con.executemany(
                    "INSERT OR REPLACE INTO ncci_ptp VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    _ptp_rows(files, name, q.release_id, setting, rationale_ids),
                )
                counts[f"ncci_ptp[{setting}]{suffix}"] = con.total_changes - before
            for setting, name in q.mue.items():
                rows = [
                    (q.release_id, setting, r["hcpcs_code"], int(r["mue_units"]),
                     int(r["mue_mai"]), r["mue_rationale"])
                    for r in _rows(files, name)
                ]  # fmt: skip
                con.executemany("INSERT INTO ncci_mue VALUES (?, ?, ?, ?, ?, ?)", rows)
                counts[f"ncci_mue[{setting}]{suffix}"] = len(rows)
            addon = [
                (q.release_id, r["add_on_code"], r["primary_code"], int(r["aoc_edit_type"]),
                 r.get("effective_date", ""), r.get("deletion_date") or None)
                for r in _rows(files, q.aoc)
            ]  # fmt: skip
            con.executemany("INSERT OR REPLACE INTO ncci_addon VALUES (?, ?, ?, ?, ?, ?)", addon)
            counts[f"ncci_addon{suffix}"] = len(addon)
        con.executemany(
            "INSERT INTO ncci_rationale VALUES (?, ?)", ((i, t) for t, i in rationale_ids.items())
        )
        return counts


def _ptp_rows(
    data: DataDir, name: str, release_id: str, setting: str, rationale_ids: dict[str, int]
) -> Iterator[tuple[str, str, str, str, int, int, str, str | None]]:
    with data.open_text(name) as f:
        reader = csv.reader(f)
        header = next(reader)
        if header[:4] != ["column1", "column2", "modifier_indicator", "ptp_edit_rationale"]:
            raise DataFileError(f"unexpected PTP header {header!r}", path=name)
        dated = header[4:6] == ["effective_date", "deletion_date"]
        for row in reader:
            rid = rationale_ids.setdefault(row[3], len(rationale_ids) + 1)
            effective, deletion = (row[4], row[5] or None) if dated else ("", None)
            yield release_id, setting, row[0], row[1], int(row[2]), rid, effective, deletion


BUILDER = _NcciBuilder()


def _clean(code: str, field: str) -> str:
    cleaned = code.strip().upper()
    if not _CODE.fullmatch(cleaned):
        raise CodeFormatError(
            f"{field}: {code!r} is not a CPT/HCPCS code (5 letters or digits)",
            code=code,
            system="ncci",
        )
    return cleaned


def _check_setting(setting: str, allowed: tuple[str, ...]) -> None:
    if setting not in allowed:
        raise InputError(
            f"setting must be one of {', '.join(allowed)}, got {setting!r}", field="setting"
        )


def _in_force(day: dt.date | None) -> tuple[str, tuple[str, ...]]:
    """SQL condition (and its arguments) for an edit row in force on ``day``.

    CMS's deletion date is the first date an edit no longer applies; rows without dates
    (the vendored quarter) are in force for the whole quarter.
    """
    if day is None:
        return "", ()
    iso = day.isoformat()
    return (
        " AND effective_date <= ? AND (deletion_date IS NULL OR deletion_date > ?)",
        (iso, iso),
    )


def _as_date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


class Ncci:
    """NCCI edits for a date of service (``kb.ncci``)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self._kb = kb

    def release_for(self, day: dt.date | None = None) -> Release:
        """The NCCI quarter in force on ``day`` (the newest when ``day`` is None).

        Raises:
            NoReleaseError: ``day`` is before the oldest loaded quarter.
        """
        return self._kb.release_for(CodeSystem.NCCI, day)

    def is_stale(self, day: dt.date) -> bool:
        """True when ``day`` is after the nominal end of the newest loaded quarter."""
        return self.release_for(day).is_stale_on(day)

    def staleness_warning(self, day: dt.date) -> str | None:
        """A sentence for the user when the edits used for ``day`` are out of date, else None."""
        release = self.release_for(day)
        if not release.is_stale_on(day):
            return None
        assert release.nominal_end is not None  # is_stale_on implies it
        return (
            f"date of service {day.isoformat()} is after the end of {release.label} "
            f"({release.nominal_end.isoformat()}), the newest NCCI quarter loaded; edits may "
            "have changed since: load a newer quarter of the CMS NCCI files before relying on it"
        )

    def ptp(
        self,
        code_a: str,
        code_b: str,
        setting: Setting = "practitioner",
        day: dt.date | None = None,
    ) -> PtpEdit | None:
        """The PTP edit between two codes billed together, in either order, or None.

        Raises:
            CodeFormatError: a code is not 5 letters/digits.
            InputError: ``setting`` is not 'practitioner' or 'outpatient_hospital'.
            NoReleaseError: ``day`` is before the oldest loaded quarter.
        """
        _check_setting(setting, tuple(PTP_FILES))
        a, b = _clean(code_a, "code_a"), _clean(code_b, "code_b")
        release = self.release_for(day)
        in_force, args = _in_force(day)
        row = self._kb.con.execute(
            "SELECT column1, column2, modifier_indicator, r.text, effective_date, deletion_date "
            "FROM ncci_ptp JOIN ncci_rationale r ON r.id = rationale_id "
            "WHERE release_id = ? AND setting = ? AND "
            f"((column1 = ? AND column2 = ?) OR (column1 = ? AND column2 = ?)){in_force} "
            "ORDER BY column1 = ? DESC, effective_date DESC LIMIT 1",
            (release.id, setting, a, b, b, a, *args, a),
        ).fetchone()
        if row is None:
            return None
        stale = day is not None and release.is_stale_on(day)
        c1, c2, indicator, rationale, effective, deletion = row
        return PtpEdit(
            c1, c2, indicator, rationale, setting, release.id, stale,
            _as_date(effective), _as_date(deletion),
        )  # fmt: skip

    def mue(
        self, code: str, setting: Setting = "practitioner", day: dt.date | None = None
    ) -> Mue | None:
        """The MUE of ``code`` in a setting (``dme`` = DME supplier), or None if it has none.

        Raises:
            CodeFormatError: not 5 letters/digits.
            InputError: unknown ``setting``.
            NoReleaseError: ``day`` is before the oldest loaded quarter.
        """
        _check_setting(setting, SETTINGS)
        cleaned = _clean(code, "code")
        release = self.release_for(day)
        row = self._kb.con.execute(
            "SELECT units, mai, rationale FROM ncci_mue WHERE release_id = ? AND setting = ? "
            "AND code = ?",
            (release.id, setting, cleaned),
        ).fetchone()
        if row is None:
            return None
        stale = day is not None and release.is_stale_on(day)
        units, mai, rationale = row
        return Mue(cleaned, units, mai, MAI_MEANINGS[mai], rationale, setting, release.id, stale)

    def addon_primaries(
        self, addon_code: str, day: dt.date | None = None
    ) -> tuple[AddonPrimary, ...]:
        """The primary codes an add-on code goes with; empty if it is not an add-on code.

        Raises:
            CodeFormatError: not 5 letters/digits.
            NoReleaseError: ``day`` is before the oldest loaded quarter.
        """
        cleaned = _clean(addon_code, "addon_code")
        in_force, args = _in_force(day)
        rows = self._kb.con.execute(
            "SELECT primary_code, edit_type, effective_date, deletion_date FROM ncci_addon "
            f"WHERE release_id = ? AND addon_code = ?{in_force} "
            "ORDER BY primary_code, effective_date DESC",
            (self.release_for(day).id, cleaned, *args),
        ).fetchall()
        seen: set[str] = set()
        primaries: list[AddonPrimary] = []
        for primary, edit_type, effective, deletion in rows:
            if primary not in seen:  # the newest row when a pair was re-added
                seen.add(primary)
                primaries.append(
                    AddonPrimary(
                        primary,
                        edit_type,
                        AOC_TYPES[edit_type],
                        _as_date(effective),
                        _as_date(deletion),
                    )
                )
        return tuple(primaries)

    def is_addon(self, code: str, day: dt.date | None = None) -> bool:
        """True when ``code`` is an add-on code (it has primaries in the add-on edit file)."""
        return bool(self.addon_primaries(code, day))
