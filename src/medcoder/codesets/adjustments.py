"""Claim adjustment reason codes (CARC), remittance advice remark codes (RARC), group codes.

The X12 code lists (2024-06) carry each code's start, last-modified and stop dates: they are
kept, so a remittance is read with the wording and validity of its own date. The CMS FHIR list
of 2026 adds CARCs 307 and 308 (no dates given) and the CMS wording of each code.

Example:
    >>> kb.adjustments.carc("45").description[:30]
    'Charge exceeds fee schedule/ma'
"""

from __future__ import annotations

import csv
import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

from medcoder.codesets._fsh import read_fsh_concepts
from medcoder.codesets.datafiles import DataDir
from medcoder.codesets.releases import CodeSystem, register_release
from medcoder.errors import CodeFormatError, DataFileError, UnknownCodeError

if TYPE_CHECKING:
    from medcoder.codesets.kb import KnowledgeBase

__all__ = ["AdjustmentCode", "Adjustments", "BUILDER", "GroupCode"]

SOURCE = "code-lists/carc_rarc_group_codes_2024-06.csv"
CARC_FSH = "code-lists/CodeSystem-ANSI-RSN-CD.fsh"
GROUP_FSH = "code-lists/CodeSystem-ANSI-GRP-CD.fsh"
RELEASE_ID = "adjustment-2024-06"
_KINDS = {"CARC": "carc", "RARC": "rarc", "Group": "group"}

SCHEMA = """
CREATE TABLE adjustment_code (
    release_id TEXT NOT NULL,
    kind TEXT NOT NULL,             -- 'carc', 'rarc' or 'group'
    code TEXT NOT NULL,
    description TEXT NOT NULL,      -- X12 wording (2024-06), or CMS wording if X12 lacks the code
    usage TEXT,
    notes TEXT,
    start_date TEXT,
    last_modified TEXT,
    end_date TEXT,                  -- last day the code may be used; NULL while active
    cms_description TEXT,           -- CMS FHIR CodeSystem wording (2026), when listed there
    PRIMARY KEY (release_id, kind, code)
) WITHOUT ROWID;
"""


@dataclass(frozen=True, slots=True)
class AdjustmentCode:
    """A CARC or RARC and whether it could be used on ``checked_on``.

    ``active`` is None when the code's start date is unknown and the date is checked.
    """

    kind: str
    code: str
    description: str
    usage: str | None
    notes: str | None
    start_date: dt.date | None
    last_modified: dt.date | None
    end_date: dt.date | None
    cms_description: str | None
    checked_on: dt.date | None
    active: bool | None


@dataclass(frozen=True, slots=True)
class GroupCode:
    """A claim adjustment group code: who is responsible for the adjusted amount."""

    code: str
    name: str
    description: str | None


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


class _AdjustmentsBuilder:
    name = "adjustments"
    sources = (SOURCE, CARC_FSH, GROUP_FSH)

    def build(self, con: sqlite3.Connection, data: DataDir) -> dict[str, int]:
        register_release(
            con,
            id=RELEASE_ID,
            system=CodeSystem.ADJUSTMENT,
            label="CARC / RARC / group codes 2024-06 (+ CMS CARC list 2026)",
            effective_from=dt.date(2024, 6, 1),
            nominal_end=None,
            source=SOURCE,
        )
        con.executescript(SCHEMA)
        cms = {
            "carc": read_fsh_concepts(data, CARC_FSH),
            "group": read_fsh_concepts(data, GROUP_FSH),
        }
        rows: dict[tuple[str, str], tuple[str | None, ...]] = {}
        with data.open_text(SOURCE) as f:
            for row in csv.DictReader(f):
                kind = _KINDS.get(row["adj_type"])
                if kind is None:
                    raise DataFileError(f"unknown adjustment type {row['adj_type']!r}", path=SOURCE)
                code = row["adj_code"]
                rows[(kind, code)] = (
                    RELEASE_ID, kind, code, row["adj_description"], row["adj_usage"] or None,
                    row["adj_notes"] or None, row["adj_start_date"] or None,
                    row["adj_last_modified"] or None, row["adj_end_date"] or None,
                    cms.get(kind, {}).get(code),
                )  # fmt: skip
        for code, text in cms["carc"].items():
            if ("carc", code) not in rows:  # newer than the X12 list: no dates known
                rows[("carc", code)] = (
                    RELEASE_ID, "carc", code, text, None, None, None, None, None, text
                )  # fmt: skip
        con.executemany(
            "INSERT INTO adjustment_code VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows.values()
        )
        counts = {"adjustment_code": len(rows)}
        for kind in ("carc", "rarc", "group"):
            counts[f"adjustment_code[{kind}]"] = sum(1 for k, _ in rows if k == kind)
        return counts


BUILDER = _AdjustmentsBuilder()


class Adjustments:
    """CARC, RARC and group code lookups (``kb.adjustments``)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self._kb = kb

    def _row(self, kind: str, code: str) -> tuple[str | None, ...]:
        cleaned = code.strip().upper()
        if not cleaned.isalnum() or len(cleaned) > 5:
            raise CodeFormatError(
                f"{code!r} is not a {kind.upper()} code (1-5 letters and digits)",
                code=code,
                system=kind,
            )
        release_id = self._kb.release_for(CodeSystem.ADJUSTMENT).id
        row: tuple[str | None, ...] | None = self._kb.con.execute(
            "SELECT code, description, usage, notes, start_date, last_modified, end_date, "
            "cms_description FROM adjustment_code WHERE release_id = ? AND kind = ? AND code = ?",
            (release_id, kind, cleaned),
        ).fetchone()
        if row is None:
            near = self._kb.con.execute(
                "SELECT code FROM adjustment_code WHERE release_id = ? AND kind = ? "
                "AND code LIKE ? ORDER BY length(code), code LIMIT 10",
                (release_id, kind, cleaned[:-1] + "%" if len(cleaned) > 1 else cleaned),
            ).fetchall()
            raise UnknownCodeError(
                f"{cleaned} is not a {kind.upper()} code",
                code=code,
                system=kind,
                suggestions=[r[0] for r in near],
            )
        return row

    def _code(self, kind: str, code: str, day: dt.date | None) -> AdjustmentCode:
        found, text, usage, notes, start, modified, end, cms = self._row(kind, code)
        start_date, end_date = _date(start), _date(end)
        active: bool | None
        if day is None:
            active = end_date is None
        elif start_date is None:
            active = None if end_date is None or day <= end_date else False
        else:
            active = start_date <= day and (end_date is None or day <= end_date)
        return AdjustmentCode(
            kind=kind,
            code=str(found),
            description=str(text),
            usage=usage,
            notes=notes,
            start_date=start_date,
            last_modified=_date(modified),
            end_date=end_date,
            cms_description=cms,
            checked_on=day,
            active=active,
        )

    def carc(self, code: str, day: dt.date | None = None) -> AdjustmentCode:
        """A claim adjustment reason code; ``active`` says if it was usable on ``day``
        (without a day: whether it is still active).

        Raises:
            CodeFormatError: not 1-5 letters and digits.
            UnknownCodeError: no such CARC.
        """
        return self._code("carc", code, day)

    def rarc(self, code: str, day: dt.date | None = None) -> AdjustmentCode:
        """A remittance advice remark code (``N130``, ``M15``...), as :meth:`carc`."""
        return self._code("rarc", code, day)

    def group(self, code: str) -> GroupCode:
        """A claim adjustment group code: CO, CR, OA, PI or PR.

        Raises:
            UnknownCodeError: any other code.
        """
        found, name, *_, cms = self._row("group", code)
        return GroupCode(str(found), str(name), cms)
