"""The Alphabetic Index as an in-memory tree a note matcher can walk without SQL per word.

Each index entry becomes an :class:`IndexNode` whose *required* words (normalised, stopwords
removed) must appear in the note near the words already matched, and whose nonessential
modifiers are *optional* words that only add support. Main terms are reachable from their head
words, so a sentence is matched by looking up its own words, never by scanning the index.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from medcoder.coding.text import content_tokens

__all__ = ["CONNECTOR_TERMS", "IndexLexicon", "IndexNode"]

#: Subterms that only link (Index convention I.A.15 "with"): they need no words of their own.
CONNECTOR_TERMS = frozenset({"with", "in", "due to", "and", "by type", "associated with", "from"})

# Main terms that name an encounter or a bare concept rather than a condition: never matched
# from free text (their codes come from explicit rules, e.g. history -> Z85-Z87).
_NOT_FROM_TEXT = frozenset(
    """admission encounter examination observation history status follow-up aftercare care
    problem problems present presence use user test testing findings procedure procedures
    counseling screening vaccination immunization prophylactic prophylaxis therapy treatment
    surgery operation pregnancy delivery birth newborn patient person evaluation investigation
    maintenance management supervision exposure contact long-term carrier absence removal
    replacement attention fitting adjustment old new year age aged follow stress
    """.split()
)

# Qualifiers of a main term that are the default reading ("Fracture, traumatic" is any
# fracture not documented as pathological): not required in the note.
_DEFAULT_QUALIFIERS = frozenset({"traumatic"})

_PAREN = re.compile(r"\(([^)]*)\)")


@dataclass(slots=True)
class IndexNode:
    """One Alphabetic Index entry prepared for matching."""

    id: int
    parent: int | None
    level: int
    term: str
    path: str
    alternatives: tuple[tuple[str, ...], ...]  # ways to write it; each tuple's words required
    optional: frozenset[str]
    code: str | None
    see: str | None
    connector: bool
    see_also: str | None = None
    negative: bool = False  # "without ...", "no ...": its words must be negated in the note
    children: list[int] = field(default_factory=list)


def _alternatives(term: str) -> list[tuple[str, ...]]:
    """Ways an entry is written, including "atrial or auricular" -> (atrial,), (auricular,)."""
    if " or " in term and "," not in term:
        # Only "word or word" is a pair of spellings; in longer phrases "or" binds tighter
        # than the words around it ("coal workers' or miners' lung").
        options = [content_tokens(part) for part in term.split(" or ")]
        if len(options) == 2 and all(len(o) == 1 for o in options):
            return options
    return _comma_alternatives(term)


def _comma_alternatives(term: str) -> list[tuple[str, ...]]:
    """Ways an entry is written: "Diabetes, diabetic" -> (diabetes,), (diabetic,).

    A comma part that shares a stem with the first part is an alternate spelling; any other
    comma part (e.g. "Fracture, traumatic") is a qualifier and not required.
    """
    parts = [p.strip() for p in _PAREN.sub(" ", term).split(",") if p.strip()]
    if not parts:
        return []
    first = content_tokens(parts[0])
    if not first:
        return []
    alternatives = [first]
    qualifiers: list[str] = []
    for part in parts[1:]:
        tokens = content_tokens(part)
        if len(tokens) == 1 and tokens[0][:4] == first[-1][:4]:
            alternatives.append(tokens)
        else:
            qualifiers.extend(t for t in tokens if t not in _DEFAULT_QUALIFIERS)
    return [alt + tuple(qualifiers) for alt in alternatives]


_Row = tuple[int, int | None, int, str, str | None, str | None, str | None, str, str | None]


def _prepare(row: _Row, children: list[int]) -> IndexNode:
    node_id, parent, level, term, nonessential, see, code, path, see_also = row
    # The flattened index keeps text that followed an inline nonessential modifier in the
    # modifier column ("and" + "(on) chronic (congestive)"): words outside the parentheses
    # belong to the term itself.
    trailing = _PAREN.sub(" ", nonessential or "")
    plain = _PAREN.sub(" ", term) + " " + trailing
    inline_optional = " ".join(_PAREN.findall(term) + _PAREN.findall(nonessential or ""))
    lowered = " ".join(plain.lower().split())
    alternatives = () if lowered in CONNECTOR_TERMS else tuple(_alternatives(plain))
    negative = lowered.startswith(("without ", "no "))
    if negative:
        alternatives = tuple(tuple("~" + w for w in alt) for alt in alternatives)
    optional = frozenset(content_tokens(inline_optional)) - {w for alt in alternatives for w in alt}
    return IndexNode(
        id=node_id,
        parent=parent,
        level=level,
        term=term,
        path=path,
        alternatives=alternatives,
        optional=optional,
        code=code or None,
        see=see or None,
        see_also=see_also or None,
        connector=not alternatives,
        negative=negative,
        children=children,
    )


class _LazyNodes(Mapping[int, IndexNode]):
    """Index entries by id, each prepared on first access."""

    def __init__(self, rows: list[_Row]) -> None:
        self._rows = {row[0]: row for row in rows}
        self._children: dict[int, list[int]] = {}
        for row in rows:
            if row[1] is not None:
                self._children.setdefault(row[1], []).append(row[0])
        self._ready: dict[int, IndexNode] = {}

    def __getitem__(self, node_id: int) -> IndexNode:
        node = self._ready.get(node_id)
        if node is None:
            node = _prepare(self._rows[node_id], self._children.get(node_id, []))
            self._ready[node_id] = node
        return node

    def __iter__(self) -> Iterator[int]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def codes(self) -> Iterator[tuple[int, str]]:
        """(id, code) of every entry that has a code, without preparing entries."""
        for node_id, row in self._rows.items():
            if row[6]:
                yield node_id, row[6]


class IndexLexicon:
    """The Index tree of one release, with head words -> main terms."""

    def __init__(
        self,
        nodes: _LazyNodes,
        heads: dict[str, list[tuple[int, tuple[str, ...]]]],
        mains: dict[str, list[int]],
    ) -> None:
        self.nodes = nodes
        self.heads = heads  # head word -> main terms matched from free text
        self.mains = mains  # first word -> every main term (for following cross-references)
        self._by_code: dict[str, list[int]] | None = None
        self._site_words: frozenset[str] | None = None

    @classmethod
    def from_connection(cls, con: sqlite3.Connection, release_id: str) -> IndexLexicon:
        """The Alphabetic Index of ``release_id``."""
        rows = con.execute(
            "SELECT id, parent_id, level, term, nonessential, see, code, path, see_also "
            "FROM icd10cm_index WHERE release_id = ? ORDER BY id",
            (release_id,),
        ).fetchall()
        return cls.from_rows(rows)

    @classmethod
    def from_table(cls, con: sqlite3.Connection, release_id: str, table: str) -> IndexLexicon:
        """The term tree of the Neoplasm Table, Drug Table or External Cause Index."""
        rows = con.execute(
            "SELECT id, parent_id, level, term, nonessential, see, code, path, see_also "
            "FROM icd10cm_table_node WHERE release_id = ? AND tbl = ? ORDER BY id",
            (release_id, table),
        ).fetchall()
        return cls.from_rows(rows)

    @classmethod
    def from_rows(
        cls,
        rows: list[
            tuple[int, int | None, int, str, str | None, str | None, str | None, str, str | None]
        ],
    ) -> IndexLexicon:
        """Build from (id, parent_id, level, term, nonessential, see, code, path, see_also).

        Only main terms are prepared up front; every other entry is prepared the first time a
        walk reaches it (a note touches a few hundred of the 81,000 entries), which keeps the
        coder's start-up short.
        """
        nodes = _LazyNodes(rows)
        heads: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
        mains: dict[str, list[int]] = {}
        for row in rows:
            if row[2] != 0:
                continue
            node = nodes[row[0]]
            for alt in node.alternatives:
                mains.setdefault(alt[0], []).append(node.id)
                # Bare letters and two-letter heads ("H disease") fire on initials.
                if alt[0] in _NOT_FROM_TEXT or len("".join(alt)) < 3:
                    continue
                heads.setdefault(alt[0], []).append((node.id, alt))
        return cls(nodes, heads, mains)

    def site_words(self) -> frozenset[str]:
        """One-word main terms the Index sends to the condition ("Skin - see also condition",
        "Knee - see condition"): anatomical sites, which never name a condition by themselves."""
        if self._site_words is None:
            sites: set[str] = set()
            for word, node_ids in self.mains.items():
                for node_id in node_ids:
                    node = self.nodes[node_id]
                    refers = (node.see or node.see_also or "").lower()
                    if node.code is None and refers.startswith("condition") and (
                        (word,) in node.alternatives
                    ):
                        sites.add(word)
            self._site_words = frozenset(sites)
        return self._site_words

    def words_for_code(self, code: str) -> set[str]:
        """Words of every Index entry (and its ancestors) that leads to ``code`` (undotted)."""
        if self._by_code is None:
            by_code: dict[str, list[int]] = {}
            for node_id, raw in self.nodes.codes():
                by_code.setdefault(raw.rstrip("-"), []).append(node_id)
            self._by_code = by_code
        words: set[str] = set()
        for node_id in self._by_code.get(code, ()):
            node: IndexNode | None = self.nodes[node_id]
            while node is not None:
                for alternative in node.alternatives:
                    words.update(alternative)
                node = self.nodes.get(node.parent) if node.parent is not None else None
        return words

    def find_path(self, path: str) -> IndexNode | None:
        """Resolve a ``see`` target such as "Diabetes, by type, with neuropathy" (best effort)."""
        parts = [p.strip().lower() for p in path.split(",") if p.strip()]
        if not parts:
            return None
        head = content_tokens(parts[0])
        if not head:
            return None
        candidates = [
            self.nodes[i]
            for i in self.mains.get(head[0], [])
            if head in self.nodes[i].alternatives or self.nodes[i].term.lower().startswith(parts[0])
        ]
        if not candidates:
            return None
        node = candidates[0]
        for part in parts[1:]:
            if part in {"by type", "by site"}:
                continue
            want = content_tokens(part)
            nxt = None
            for child_id in node.children:
                child = self.nodes[child_id]
                if child.term.lower() == part or (want and want in child.alternatives):
                    nxt = child
                    break
            if nxt is None:
                break
            node = nxt
        return node
