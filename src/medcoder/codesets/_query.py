"""Small query helpers shared by the code-set APIs: full-text queries and "did you mean"."""

from __future__ import annotations

import re
import sqlite3

__all__ = ["fts_query", "nearest_codes"]

_WORD = re.compile(r"[0-9A-Za-z]+")


def fts_query(text: str) -> str | None:
    """An FTS5 query that needs every word of ``text`` (each a quoted prefix); None if no word.

    Quoting keeps user text from being read as FTS5 syntax (``AND``, ``-``, ``:``).
    """
    words = _WORD.findall(text.lower())
    if not words:
        return None
    return " AND ".join(f'"{w}"*' for w in words)


def nearest_codes(
    con: sqlite3.Connection, table: str, release_id: str, code: str, limit: int = 10
) -> tuple[str, ...]:
    """Existing codes sharing the longest prefix with ``code`` (at least one character).

    ``table`` must have ``release_id`` and ``code`` columns; it is a constant of the caller,
    never user input.
    """
    for n in range(min(len(code), 7), 0, -1):
        rows = con.execute(
            f"SELECT code FROM {table} WHERE release_id = ? AND code >= ? AND code < ? "
            "ORDER BY code LIMIT ?",
            (release_id, code[:n], code[:n] + "\U0010ffff", limit),
        ).fetchall()
        if rows:
            return tuple(r[0] for r in rows)
    return ()
