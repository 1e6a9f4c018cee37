"""ICD-10-PCS: the code list, the meaning of each of a code's seven characters, and search.

Example:
    >>> code = kb.pcs.lookup("0DTJ4ZZ")
    >>> code.root_operation, code.body_part, code.approach
    ('Resection', 'Appendix', 'Percutaneous Endoscopic')

The tables XML is not vendored: the axis values are read back from the long descriptions by
:mod:`medcoder.codesets._pcs_axes` (a heuristic; a label it cannot read is None).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

from medcoder.codesets._pcs_axes import AXIS_NAMES, BODY_SYSTEMS, SECTIONS, infer_labels
from medcoder.codesets._query import fts_query, nearest_codes
from medcoder.codesets.datafiles import DataDir
from medcoder.codesets.releases import CodeSystem, register_release
from medcoder.errors import CodeFormatError, DataFileError, UnknownCodeError

if TYPE_CHECKING:
    from medcoder.codesets.kb import KnowledgeBase

__all__ = [
    "BUILDER",
    "Icd10pcs",
    "PcsAxis",
    "PcsAxisValue",
    "PcsCode",
    "PcsHit",
    "PcsTable",
    "PcsValidation",
]

SOURCE = "icd10pcs/icd10pcs_codes.csv"
RELEASE_ID = "icd10pcs-fy2026"
_SYSTEM = "icd10pcs"
# Characters of a PCS code: digits and letters without I and O (they look like 1 and 0).
_SHAPE = re.compile(r"[0-9A-HJ-NP-Z]{1,7}")

SCHEMA = """
CREATE TABLE pcs_code (
    release_id TEXT NOT NULL,
    code TEXT NOT NULL,
    description TEXT NOT NULL,
    PRIMARY KEY (release_id, code)
) WITHOUT ROWID;
CREATE TABLE pcs_axis_value (
    release_id TEXT NOT NULL,
    tbl TEXT NOT NULL,              -- first three characters of the code
    position INTEGER NOT NULL,      -- 1..7
    value TEXT NOT NULL,
    label TEXT,                     -- NULL when it could not be read from the descriptions
    PRIMARY KEY (release_id, tbl, position, value)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE pcs_fts USING fts5(
    code UNINDEXED, release_id UNINDEXED, description, tokenize = 'porter unicode61'
);
"""


@dataclass(frozen=True, slots=True)
class PcsAxis:
    """One character of a PCS code: its axis name, value and what the value means."""

    position: int
    name: str
    value: str
    label: str | None


@dataclass(frozen=True, slots=True)
class PcsCode:
    """A valid ICD-10-PCS code with its long description and its seven axes."""

    code: str
    description: str
    release_id: str
    axes: tuple[PcsAxis, ...]

    def _label(self, position: int) -> str | None:
        return self.axes[position - 1].label

    @property
    def section(self) -> str | None:
        return self._label(1)

    @property
    def body_system(self) -> str | None:
        return self._label(2)

    @property
    def root_operation(self) -> str | None:
        return self._label(3)

    @property
    def body_part(self) -> str | None:
        return self._label(4)

    @property
    def approach(self) -> str | None:
        return self._label(5)

    @property
    def device(self) -> str | None:
        return self._label(6)

    @property
    def qualifier(self) -> str | None:
        return self._label(7)


@dataclass(frozen=True, slots=True)
class PcsAxisValue:
    """A value an axis can take, and its meaning."""

    value: str
    label: str | None


@dataclass(frozen=True, slots=True)
class PcsTable:
    """A PCS table (first three characters) and the values each later axis takes in it.

    The values of one axis are the union over the table's rows: not every combination is a
    valid code. Use :meth:`Icd10pcs.next_values` to build a code one character at a time.
    """

    table: str
    section: str | None
    body_system: str | None
    root_operation: str | None
    axes: tuple[tuple[str, tuple[PcsAxisValue, ...]], ...]  # (axis name, values), chars 4-7
    code_count: int


@dataclass(frozen=True, slots=True)
class PcsHit:
    """A search result."""

    code: str
    description: str


@dataclass(frozen=True, slots=True)
class PcsValidation:
    """Whether a code is a valid ICD-10-PCS code on a date, and what is close if it is not."""

    code: str
    valid: bool
    reason: str
    release_id: str
    stale: bool
    description: str | None = None
    suggestions: tuple[str, ...] = ()
    next_values: tuple[PcsAxisValue, ...] = ()


class _PcsBuilder:
    name = "icd10pcs"
    sources = (SOURCE,)

    def build(self, con: sqlite3.Connection, data: DataDir) -> dict[str, int]:
        register_release(
            con,
            id=RELEASE_ID,
            system=CodeSystem.ICD10PCS,
            label="ICD-10-PCS FY2026",
            effective_from=dt.date(2025, 10, 1),
            nominal_end=dt.date(2026, 9, 30),
            source=SOURCE,
        )
        descriptions: dict[str, str] = {}
        with data.open_text(SOURCE) as f:
            for row in csv.reader(f):
                if len(row) != 2 or not _SHAPE.fullmatch(row[0]) or len(row[0]) != 7:
                    raise DataFileError(f"unexpected PCS row {row!r}", path=SOURCE)
                descriptions[row[0]] = row[1]
        con.executescript(SCHEMA)
        con.executemany(
            "INSERT INTO pcs_code VALUES (?, ?, ?)",
            ((RELEASE_ID, c, d) for c, d in descriptions.items()),
        )
        con.executemany(
            "INSERT INTO pcs_fts VALUES (?, ?, ?)",
            ((c, RELEASE_ID, d) for c, d in descriptions.items()),
        )
        labels = infer_labels(descriptions)
        axis_rows: dict[tuple[str, int, str], str | None] = {}
        for code in descriptions:
            table = code[:3]
            axis_rows[(table, 1, code[0])] = SECTIONS.get(code[0])
            axis_rows[(table, 2, code[1])] = BODY_SYSTEMS.get(code[:2])
            for position in range(3, 8):
                axis_rows[(table, position, code[position - 1])] = labels.get(
                    (table, position - 1, code[position - 1])
                )
        con.executemany(
            "INSERT INTO pcs_axis_value VALUES (?, ?, ?, ?, ?)",
            ((RELEASE_ID, t, p, v, label) for (t, p, v), label in axis_rows.items()),
        )
        return {"pcs_code": len(descriptions), "pcs_axis_value": len(axis_rows)}


BUILDER = _PcsBuilder()


def _clean(code: str) -> str:
    cleaned = code.strip().replace(".", "").replace(" ", "").upper()
    if not _SHAPE.fullmatch(cleaned):
        raise CodeFormatError(
            f"{code!r} is not an ICD-10-PCS code: 1-7 characters of 0-9 and A-Z without I and O",
            code=code,
            system=_SYSTEM,
        )
    return cleaned


class Icd10pcs:
    """ICD-10-PCS lookups over the knowledge base (``kb.pcs``)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self._kb = kb

    def _release(self, day: dt.date | None = None) -> str:
        return self._kb.release_for(CodeSystem.ICD10PCS, day).id

    def _axes(self, code: str, release_id: str) -> tuple[PcsAxis, ...]:
        rows = dict(
            ((p, v), label)
            for p, v, label in self._kb.con.execute(
                "SELECT position, value, label FROM pcs_axis_value "
                "WHERE release_id = ? AND tbl = ?",
                (release_id, code[:3]),
            )
        )
        names = AXIS_NAMES[code[0]]
        return tuple(
            PcsAxis(position=i + 1, name=names[i], value=ch, label=rows.get((i + 1, ch)))
            for i, ch in enumerate(code)
        )

    def lookup(self, code: str) -> PcsCode:
        """The code's description and axes (newest release).

        Raises:
            CodeFormatError: ``code`` has characters or a length no PCS code has.
            UnknownCodeError: a well-formed code that is not in the code set; ``suggestions``
                holds codes sharing its longest prefix.
        """
        cleaned = _clean(code)
        release_id = self._release()
        row = self._kb.con.execute(
            "SELECT description FROM pcs_code WHERE release_id = ? AND code = ?",
            (release_id, cleaned),
        ).fetchone()
        if row is None:
            raise UnknownCodeError(
                f"{cleaned} is not an ICD-10-PCS code"
                + (" (PCS codes have 7 characters)" if len(cleaned) < 7 else ""),
                code=code,
                system=_SYSTEM,
                suggestions=nearest_codes(self._kb.con, "pcs_code", release_id, cleaned),
            )
        return PcsCode(cleaned, row[0], release_id, self._axes(cleaned, release_id))

    def next_values(self, prefix: str, day: dt.date | None = None) -> tuple[PcsAxisValue, ...]:
        """The characters that can follow ``prefix`` in some valid code, with their meaning."""
        cleaned = _clean(prefix) if prefix else ""
        if len(cleaned) >= 7:
            return ()
        release_id = self._release(day)
        n = len(cleaned)
        rows = self._kb.con.execute(
            "SELECT DISTINCT substr(code, ?, 1) FROM pcs_code "
            "WHERE release_id = ? AND code >= ? AND code < ? ORDER BY 1",
            (n + 1, release_id, cleaned, cleaned + "\U0010ffff"),
        ).fetchall()
        if n < 3:
            known = {
                1: SECTIONS,
                2: {k[1]: v for k, v in BODY_SYSTEMS.items() if k[0] == cleaned[:1]},
            }
            labels = known.get(n + 1, {})
            return tuple(PcsAxisValue(v, labels.get(v)) for (v,) in rows)
        table = {
            value: label
            for value, label in self._kb.con.execute(
                "SELECT value, label FROM pcs_axis_value WHERE release_id = ? AND tbl = ? "
                "AND position = ?",
                (release_id, cleaned[:3], n + 1),
            )
        }
        return tuple(PcsAxisValue(v, table.get(v)) for (v,) in rows)

    def validate(self, code: str, day: dt.date | None = None) -> PcsValidation:
        """Is ``code`` a complete, valid PCS code in the release in force on ``day``?

        A partial or unknown code is not an error here: the result says why it is not valid,
        lists close valid codes and the characters that may come next.

        Raises:
            CodeFormatError: characters no PCS code has (I, O, punctuation) or over 7 of them.
            NoReleaseError: ``day`` is before the oldest PCS release.
        """
        cleaned = _clean(code)
        release = self._kb.release_for(CodeSystem.ICD10PCS, day)
        stale = day is not None and release.is_stale_on(day)
        row = self._kb.con.execute(
            "SELECT description FROM pcs_code WHERE release_id = ? AND code = ?",
            (release.id, cleaned),
        ).fetchone()
        if row is not None:
            return PcsValidation(cleaned, True, "valid", release.id, stale, row[0])
        suggestions = nearest_codes(self._kb.con, "pcs_code", release.id, cleaned)
        if len(cleaned) < 7:
            reason = f"incomplete: {len(cleaned)} of 7 characters"
            follow = self.next_values(cleaned, day)
            if not follow:
                reason += f"; no valid code starts with {cleaned}"
        else:
            reason = f"not in {release.label}"
            follow = ()
        return PcsValidation(cleaned, False, reason, release.id, stale, None, suggestions, follow)

    def search(self, text: str, limit: int = 15) -> tuple[PcsHit, ...]:
        """Codes whose description holds every word of ``text`` (word prefixes), best first."""
        query = fts_query(text)
        if query is None:
            return ()
        rows = self._kb.con.execute(
            "SELECT code, description FROM pcs_fts WHERE pcs_fts MATCH ? AND release_id = ? "
            "ORDER BY bm25(pcs_fts), length(description) LIMIT ?",
            (query, self._release(), limit),
        ).fetchall()
        return tuple(PcsHit(c, d) for c, d in rows)

    def table(self, prefix3: str) -> PcsTable:
        """The table named by a code's first three characters and its axes 4-7.

        Raises:
            CodeFormatError: ``prefix3`` is not three PCS characters.
            UnknownCodeError: no table has that prefix (``suggestions``: tables close to it).
        """
        cleaned = _clean(prefix3)
        if len(cleaned) != 3:
            raise CodeFormatError(
                f"{prefix3!r}: a PCS table is named by 3 characters", code=prefix3, system=_SYSTEM
            )
        release_id = self._release()
        rows = self._kb.con.execute(
            "SELECT position, value, label FROM pcs_axis_value WHERE release_id = ? AND tbl = ? "
            "ORDER BY position, value",
            (release_id, cleaned),
        ).fetchall()
        if not rows:
            near = nearest_codes(self._kb.con, "pcs_code", release_id, cleaned, limit=200)
            raise UnknownCodeError(
                f"no ICD-10-PCS table {cleaned}",
                code=prefix3,
                system=_SYSTEM,
                suggestions=tuple(dict.fromkeys(c[:3] for c in near)),
            )
        (count,) = self._kb.con.execute(
            "SELECT count(*) FROM pcs_code WHERE release_id = ? AND code >= ? AND code < ?",
            (release_id, cleaned, cleaned + "\U0010ffff"),
        ).fetchone()
        by_position: dict[int, list[PcsAxisValue]] = {}
        for position, value, label in rows:
            by_position.setdefault(position, []).append(PcsAxisValue(value, label))
        names = AXIS_NAMES[cleaned[0]]
        return PcsTable(
            table=cleaned,
            section=by_position[1][0].label,
            body_system=by_position[2][0].label,
            root_operation=by_position[3][0].label,
            axes=tuple((names[p - 1], tuple(by_position[p])) for p in range(4, 8)),
            code_count=count,
        )
