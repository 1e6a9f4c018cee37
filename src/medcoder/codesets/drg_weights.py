"""MS-DRG relative weights (CMS IPPS Final Rule, Table 5) in the knowledge base.

msdrg groups a stay but does not carry the payment side; Table 5 gives each MS-DRG's relative
weight and mean lengths of stay for a fiscal year. Rows are keyed by fiscal year, so a later
year's table is a data drop (``data/msdrg/drg_weights_fy<YEAR>.txt``).
"""

from __future__ import annotations

import csv
import sqlite3
from dataclasses import dataclass

from medcoder.codesets.datafiles import DataDir
from medcoder.errors import DataFileError

__all__ = ["BUILDER", "DrgWeight", "drg_weight"]

_SOURCES = {2026: "msdrg/drg_weights_fy2026.txt"}

SCHEMA = """
CREATE TABLE drg_weight (
    fiscal_year INTEGER NOT NULL,
    drg INTEGER NOT NULL,
    mdc TEXT NOT NULL,
    type TEXT NOT NULL,
    title TEXT NOT NULL,
    weight REAL NOT NULL,
    gmlos REAL,
    amlos REAL,
    post_acute INTEGER NOT NULL,
    special_pay INTEGER NOT NULL,
    PRIMARY KEY (fiscal_year, drg)
);
"""


@dataclass(frozen=True, slots=True)
class DrgWeight:
    """One Table 5 row."""

    fiscal_year: int
    drg: int
    title: str
    weight: float
    geometric_mean_los: float | None
    arithmetic_mean_los: float | None
    post_acute: bool
    special_pay: bool


def _number(text: str) -> float | None:
    """A Table 5 number; CMS prints "." where none applies (DRGs 998 and 999)."""
    text = text.strip()
    return float(text) if text and text != "." else None


class _DrgWeightsBuilder:
    name = "msdrg-weights"
    sources = tuple(_SOURCES.values())

    def build(self, con: sqlite3.Connection, data: DataDir) -> dict[str, int]:
        con.executescript(SCHEMA)
        rows = 0
        for year, source in _SOURCES.items():
            with data.open_text(source, encoding="cp1252") as f:
                for line_no, row in enumerate(csv.reader(f, delimiter="\t"), 1):
                    if not row or not row[0].strip().isdigit():
                        continue  # title lines and the header
                    try:
                        weight = _number(row[7]) or _number(row[6])
                        if weight is None:
                            continue  # DRG 998 / 999: not paid, no weight
                        con.execute(
                            "INSERT INTO drg_weight VALUES (?,?,?,?,?,?,?,?,?,?)",
                            (
                                year,
                                int(row[0]),
                                row[3].strip(),
                                row[4].strip(),
                                row[5].strip(),
                                weight,
                                _number(row[8]),
                                _number(row[9]),
                                row[1].strip().lower() == "yes",
                                row[2].strip().lower() == "yes",
                            ),
                        )
                    except (IndexError, ValueError) as exc:
                        raise DataFileError(
                            f"{source}, line {line_no}: not a Table 5 row ({exc})", path=source
                        ) from exc
                    rows += 1
        return {"drg_weight": rows}


BUILDER = _DrgWeightsBuilder()


def drg_weight(con: sqlite3.Connection, fiscal_year: int, drg: int) -> DrgWeight | None:
    """The Table 5 row of ``drg`` for ``fiscal_year``, or None when that year is not vendored."""
    row = con.execute(
        "SELECT fiscal_year, drg, title, weight, gmlos, amlos, post_acute, special_pay "
        "FROM drg_weight WHERE fiscal_year = ? AND drg = ?",
        (fiscal_year, drg),
    ).fetchone()
    if row is None:
        return None
    return DrgWeight(
        fiscal_year=row[0],
        drg=row[1],
        title=row[2],
        weight=row[3],
        geometric_mean_los=row[4],
        arithmetic_mean_los=row[5],
        post_acute=bool(row[6]),
        special_pay=bool(row[7]),
    )
