"""Neoplasm mentions: "Cancer - see Neoplasm, malignant, by site" followed into the Table.

The Alphabetic Index sends cancers, carcinomas, tumors and metastases to the Neoplasm Table.
A coder then finds the site in the Table (walking its subterms with the words of the note)
and reads the column of the behavior: malignant primary, secondary, in situ, benign,
uncertain or unspecified behavior.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from enum import IntEnum

from medcoder.coding.index_lexicon import IndexLexicon, IndexNode
from medcoder.coding.index_matcher import IndexMatcher
from medcoder.coding.text import Token

__all__ = ["Behavior", "NeoplasmFinding", "NeoplasmTable", "behavior_of"]


class Behavior(IntEnum):
    """The Neoplasm Table's columns, in table order."""

    MALIGNANT_PRIMARY = 1
    MALIGNANT_SECONDARY = 2
    IN_SITU = 3
    BENIGN = 4
    UNCERTAIN = 5
    UNSPECIFIED = 6


_SECONDARY_WORDS = frozenset({"metastatic", "metastasis", "secondary", "metastases"})


def behavior_of(see: str, words: frozenset[str]) -> Behavior | None:
    """The column a cross-reference and the note's words point to, or None if not neoplasm."""
    lowered = see.lower()
    if not lowered.startswith("neoplasm"):
        return None
    if "secondary" in lowered or words & _SECONDARY_WORDS:
        return Behavior.MALIGNANT_SECONDARY
    if "in situ" in lowered:
        return Behavior.IN_SITU
    if "benign" in lowered:
        return Behavior.BENIGN
    if "uncertain" in lowered:
        return Behavior.UNCERTAIN
    if "unspecified" in lowered:
        return Behavior.UNSPECIFIED
    if "malignant" in lowered:
        return Behavior.MALIGNANT_PRIMARY
    return None


@dataclass(frozen=True, slots=True)
class NeoplasmFinding:
    code: str  # undotted, may end in "-"
    path: tuple[str, ...]
    behavior: Behavior


class NeoplasmTable:
    """The Neoplasm Table of one release, walkable with note words."""

    def __init__(self, con: sqlite3.Connection, release_id: str) -> None:
        self.lexicon = IndexLexicon.from_table(con, release_id, "neoplasm")
        self.matcher = IndexMatcher(self.lexicon)
        self.cells: dict[int, dict[int, str]] = {}
        for node_id, col, code in con.execute(
            "SELECT node_id, col, code FROM icd10cm_table_cell "
            "WHERE release_id = ? AND tbl = 'neoplasm' AND code IS NOT NULL",
            (release_id,),
        ):
            self.cells.setdefault(node_id, {})[col] = code
        self.root: IndexNode | None = next(
            (n for n in self.lexicon.nodes.values() if n.level == 0), None
        )

    def find(
        self, tokens: list[Token], chain: list[int], behavior: Behavior
    ) -> NeoplasmFinding | None:
        """The site the sentence names near ``chain`` and the code in the behavior column."""
        if self.root is None:
            return None
        positions = self.matcher.positions(tokens)
        _, path, _ = self.matcher.walk(self.root, positions, chain)
        for depth in range(len(path), 0, -1):
            node = path[depth - 1]
            code = self.cells.get(node.id, {}).get(int(behavior))
            if code:
                return NeoplasmFinding(code, tuple(n.term for n in path[:depth]), behavior)
        return None
