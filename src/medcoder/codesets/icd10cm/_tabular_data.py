"""One ICD-10-CM release's Tabular List held in memory, loaded once from the knowledge base.

The whole Tabular (about 100k codes, 25k notes) loads in a fraction of a second and makes
every lookup a few dictionary reads instead of a dozen SQL queries.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass

from medcoder.codesets.icd10cm.models import (
    CodeKind,
    CodeRef,
    Note,
    NoteKind,
    SeventhCharacter,
    parse_code_ranges,
)

__all__ = ["ReleaseData", "Row", "dotted"]

_KINDS = {k.value: k for k in CodeKind}  # a dict read is cheaper than CodeKind(value) x 100k


def dotted(code: str) -> str:
    """``E119`` -> ``E11.9``; chapters, blocks and categories are returned unchanged."""
    if len(code) > 3 and "-" not in code and not code.isdigit():
        return f"{code[:3]}.{code[3:]}"
    return code


@dataclass(frozen=True, slots=True)
class Row:
    """One ``icd10cm_code`` row (code without dot)."""

    code: str
    title: str
    billable: bool
    kind: CodeKind
    parent: str | None
    depth: int
    seq: int


class ReleaseData:
    """The Tabular List of one release, indexed for lookups.

    Args:
        con: the knowledge-base connection.
        release_id: e.g. ``icd10cm-2026-04``.
    """

    def __init__(self, con: sqlite3.Connection, release_id: str) -> None:
        self.release_id = release_id
        self.rows: dict[str, Row] = {}
        self.children: dict[str, list[str]] = defaultdict(list)
        for code, title, billable, kind, parent, depth, seq in con.execute(
            "SELECT code, title, billable, kind, parent, depth, seq FROM icd10cm_code "
            "WHERE release_id = ? ORDER BY seq",
            (release_id,),
        ):
            self.rows[code] = Row(code, title, billable == 1, _KINDS[kind], parent, depth, seq)
            if parent is not None:
                self.children[parent].append(code)
        self._raw_notes: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for code, kind, text in con.execute(
            "SELECT code, kind, text FROM icd10cm_note WHERE release_id = ? ORDER BY code, seq",
            (release_id,),
        ):
            self._raw_notes[code].append((kind, text))
        self._seventh: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for code, char, meaning in con.execute(
            "SELECT code, character, meaning FROM icd10cm_seventh WHERE release_id = ? "
            "ORDER BY rowid",
            (release_id,),
        ):
            self._seventh[code].append((char, meaning))
        self.seventh_notes: dict[str, str] = dict(
            con.execute(
                "SELECT code, text FROM icd10cm_seventh_note WHERE release_id = ?", (release_id,)
            ).fetchall()
        )
        self._notes: dict[str, tuple[Note, ...]] = {}

    def chain(self, code: str) -> list[Row]:
        """``code``'s row followed by its ancestors up to the chapter."""
        out: list[Row] = []
        current = self.rows.get(code)
        while current is not None:
            out.append(current)
            current = self.rows.get(current.parent) if current.parent else None
        return out

    def ref(self, code: str) -> CodeRef:
        return CodeRef(dotted(code), self.rows[code].title)

    def notes_at(self, code: str) -> tuple[Note, ...]:
        """The notes written at ``code`` itself (parsed once, then cached)."""
        cached = self._notes.get(code)
        if cached is None:
            source = dotted(code)
            cached = tuple(
                Note(NoteKind(kind), text, source, parse_code_ranges(text))
                for kind, text in self._raw_notes.get(code, ())
            )
            self._notes[code] = cached
        return cached

    def seventh_for(self, code: str) -> tuple[SeventhCharacter, ...]:
        """The 7th characters that apply to ``code`` (declared on it or an ancestor)."""
        for row in self.chain(code):
            defs = self._seventh.get(row.code)
            if defs:
                source = dotted(row.code)
                return tuple(SeventhCharacter(c, m, source) for c, m in defs)
        return ()

    def needs_seventh(self, code: str) -> bool:
        """True for a Tabular leaf that is reported only with a 7th character (S72.001)."""
        kids = self.children.get(code, ())
        return (
            len(code) < 7
            and bool(kids)
            and all(len(k) == 7 for k in kids)
            and bool(self.seventh_for(code))
        )

    def extensions(self, code: str) -> list[str]:
        """The full 7-character codes of a leaf that needs a 7th character."""
        return list(self.children.get(code, ())) if self.needs_seventh(code) else []

    def seventh_note_for(self, code: str) -> str | None:
        for row in self.chain(code):
            if row.code in self.seventh_notes:
                return self.seventh_notes[row.code]
        return None

    def billable_descendants(self, code: str, limit: int | None = None) -> list[str]:
        """Billable codes below ``code`` in code-list order (``code`` itself if billable)."""
        out: list[str] = []
        stack = [code]
        while stack and (limit is None or len(out) < limit):
            current = stack.pop()
            if self.rows[current].billable:
                out.append(current)
            stack.extend(reversed(self.children.get(current, ())))
        return out
