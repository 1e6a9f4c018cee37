"""CMS place of service codes (professional claims), with the facility / non-facility split.

Example:
    >>> pos = kb.pos.lookup("11")
    >>> pos.name, pos.setting
    ('Office', <PosSetting.NON_FACILITY: 'non-facility'>)
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import sqlite3
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from medcoder.codesets._fsh import read_fsh_concepts
from medcoder.codesets.datafiles import DataDir
from medcoder.codesets.releases import CodeSystem, register_release
from medcoder.errors import CodeFormatError, DataFileError, UnknownCodeError

if TYPE_CHECKING:
    from medcoder.codesets.kb import KnowledgeBase

__all__ = ["BUILDER", "PlaceOfService", "PosCode", "PosSetting"]

SOURCE = "code-lists/place_of_service_codes_2024-06.csv"
FSH = "code-lists/CodeSystem-CLM-POS-CD.fsh"
RELEASE_ID = "pos-2024-06"
_SHAPE = re.compile(r"[0-9]{2}")

SCHEMA = """
CREATE TABLE pos_code (
    release_id TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    setting TEXT NOT NULL,          -- 'facility', 'non-facility' or 'unassigned'
    description TEXT NOT NULL,
    cms_description TEXT,           -- the CMS CCW (FHIR) wording, upper case, for cross-check
    PRIMARY KEY (release_id, code)
) WITHOUT ROWID;
"""


class PosSetting(StrEnum):
    """Which Medicare physician fee schedule rate applies at a place of service."""

    FACILITY = "facility"
    NON_FACILITY = "non-facility"
    UNASSIGNED = "unassigned"


@dataclass(frozen=True, slots=True)
class PosCode:
    code: str
    name: str
    setting: PosSetting
    description: str
    cms_description: str | None

    @property
    def is_facility(self) -> bool:
        return self.setting is PosSetting.FACILITY

    @property
    def assigned(self) -> bool:
        return self.setting is not PosSetting.UNASSIGNED


class _PosBuilder:
    name = "pos"
    sources = (SOURCE, FSH)

    def build(self, con: sqlite3.Connection, data: DataDir) -> dict[str, int]:
        register_release(
            con,
            id=RELEASE_ID,
            system=CodeSystem.POS,
            label="Place of service codes 2024-06",
            effective_from=dt.date(2024, 6, 1),
            nominal_end=None,
            source=SOURCE,
        )
        con.executescript(SCHEMA)
        cms = read_fsh_concepts(data, FSH)
        rows = []
        with data.open_text(SOURCE) as f:
            for row in csv.DictReader(f):
                setting = PosSetting(row["pos_type"].lower())
                if not _SHAPE.fullmatch(row["pos_code"]):
                    raise DataFileError(f"unexpected POS code {row['pos_code']!r}", path=SOURCE)
                rows.append(
                    (RELEASE_ID, row["pos_code"], row["pos_name"], setting.value,
                     row["pos_description"], cms.get(row["pos_code"]))
                )  # fmt: skip
        con.executemany("INSERT INTO pos_code VALUES (?, ?, ?, ?, ?, ?)", rows)
        return {"pos_code": len(rows)}


BUILDER = _PosBuilder()


class PlaceOfService:
    """Place of service codes (``kb.pos``)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self._kb = kb

    def _release(self) -> str:
        return self._kb.release_for(CodeSystem.POS).id

    def lookup(self, code: str) -> PosCode:
        """One place of service code; ``"11"`` and ``"5"`` (-> ``"05"``) both work.

        Raises:
            CodeFormatError: not one or two digits.
            UnknownCodeError: no such code.
        """
        cleaned = code.strip().zfill(2)
        if not _SHAPE.fullmatch(cleaned):
            raise CodeFormatError(
                f"{code!r} is not a place of service code (two digits)", code=code, system="pos"
            )
        row = self._kb.con.execute(
            "SELECT code, name, setting, description, cms_description FROM pos_code "
            "WHERE release_id = ? AND code = ?",
            (self._release(), cleaned),
        ).fetchone()
        if row is None:
            raise UnknownCodeError(
                f"{cleaned} is not a place of service code", code=code, system="pos"
            )
        return PosCode(row[0], row[1], PosSetting(row[2]), row[3], row[4])

    def all(self, *, assigned_only: bool = True) -> tuple[PosCode, ...]:
        """Every code in code order (without the unassigned ones unless asked)."""
        rows = self._kb.con.execute(
            "SELECT code, name, setting, description, cms_description FROM pos_code "
            "WHERE release_id = ? ORDER BY code",
            (self._release(),),
        ).fetchall()
        codes = (PosCode(r[0], r[1], PosSetting(r[2]), r[3], r[4]) for r in rows)
        return tuple(c for c in codes if c.assigned or not assigned_only)
