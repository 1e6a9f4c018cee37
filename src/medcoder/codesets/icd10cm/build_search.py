"""Builder of the ICD-10-CM full-text search index (SQLite FTS5).

Runs after the Tabular and Alphabetic Index builders and reads what they wrote:

* code titles from ``icd10cm_code`` (categories, subcategories and codes; the generated
  7-character codes are left out: their titles only add an encounter type to the leaf's, and
  the leaf is what a search should land on);
* inclusion terms from ``icd10cm_note``;
* Alphabetic Index term paths from ``icd10cm_index_term`` (``"Pneumonia, aspiration"``),
  when that table exists -- without it the index covers titles and inclusion terms only.

Table ``icd10cm_fts(text, code UNINDEXED, source UNINDEXED, release_id UNINDEXED)``, with the
Porter stemmer so that "diabetic" finds "diabetes" and "ulcers" finds "ulcer".
"""

from __future__ import annotations

import sqlite3

from medcoder.codesets.datafiles import DataDir
from medcoder.codesets.icd10cm.models import MatchSource

__all__ = ["BUILDER", "SearchBuilder"]

SCHEMA = """
CREATE VIRTUAL TABLE icd10cm_fts USING fts5(
    text,
    code UNINDEXED,        -- no dot
    source UNINDEXED,      -- MatchSource value: title | inclusion | index
    release_id UNINDEXED,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
"""

_INCLUSIONS = """
INSERT INTO icd10cm_fts (text, code, source, release_id)
SELECT n.text, n.code, ?, n.release_id FROM icd10cm_note n
JOIN icd10cm_code c ON c.release_id = n.release_id AND c.code = n.code
WHERE n.kind = 'inclusion' AND c.kind NOT IN ('chapter', 'block')
"""

# Index terms whose code the Tabular does not hold (an unmapped FY2025 code) are left out:
# search must never offer a code that is not in the release.
_INDEX_TERMS = """
INSERT INTO icd10cm_fts (text, code, source, release_id)
SELECT DISTINCT t.term_path, t.code, ?, t.release_id FROM icd10cm_index_term t
JOIN icd10cm_code c ON c.release_id = t.release_id AND c.code = t.code
WHERE t.code IS NOT NULL
"""


def _title_rows(con: sqlite3.Connection) -> list[tuple[str, str, str, str]]:
    """Title rows of every category, subcategory and code except the generated
    7-character codes (a 7-character code below a level that declares 7th characters)."""
    declares = set(con.execute("SELECT release_id, code FROM icd10cm_seventh").fetchall())
    parents: dict[tuple[str, str], str | None] = {}
    rows: list[tuple[str, str, str, str | None]] = []
    for release, code, title, kind, parent in con.execute(
        "SELECT release_id, code, title, kind, parent FROM icd10cm_code"
    ):
        parents[(release, code)] = parent
        if kind not in ("chapter", "block"):
            rows.append((release, code, title, parent))

    def under_seventh(release: str, code: str | None) -> bool:
        while code is not None:
            if (release, code) in declares:
                return True
            code = parents.get((release, code))
        return False

    return [
        (title, code, MatchSource.TITLE.value, release)
        for release, code, title, parent in rows
        if not (len(code) == 7 and under_seventh(release, parent))
    ]


def _has_table(con: sqlite3.Connection, name: str) -> bool:
    row = con.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone()
    return row is not None


class SearchBuilder:
    """Builds ``icd10cm_fts`` from titles, inclusion terms and Alphabetic Index terms."""

    name = "icd10cm-search"
    sources: tuple[str, ...] = ()  # reads only tables that earlier builders wrote

    def build(self, con: sqlite3.Connection, data: DataDir) -> dict[str, int]:
        con.executescript(SCHEMA)
        counts: dict[str, int] = {}
        titles = _title_rows(con)
        con.executemany(
            "INSERT INTO icd10cm_fts (text, code, source, release_id) VALUES (?, ?, ?, ?)", titles
        )
        counts[f"icd10cm_fts:{MatchSource.TITLE.value}"] = len(titles)
        steps = [(MatchSource.INCLUSION, _INCLUSIONS)]
        if _has_table(con, "icd10cm_index_term"):
            steps.append((MatchSource.INDEX, _INDEX_TERMS))
        for source, sql in steps:
            counts[f"icd10cm_fts:{source.value}"] = con.execute(sql, (source.value,)).rowcount
        con.execute("INSERT INTO icd10cm_fts (icd10cm_fts) VALUES ('optimize')")
        return counts


BUILDER = SearchBuilder()
