"""Walk the ICD-10-CM Alphabetic Index, Neoplasm Table, Drug Table and External Cause Index
the way a coder does: main term, then the subterms the documentation supports, ``see``
references followed, the code verified in the Tabular List afterwards.

Example:
    >>> entry = kb.index.index("Pneumonia, aspiration")
    >>> entry.code
    'J69.0'
    >>> kb.index.neoplasm("breast", "upper-outer quadrant", behavior="malignant-primary").code
    'C50.4-'

Each tree (Index, External Cause Index, Neoplasm Table, Drug Table) of a release is loaded
into memory on first use, so a walk is a few dictionary look-ups (microseconds).
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar

from rapidfuzz import fuzz, process

from medcoder.codesets.icd10cm.index_models import (
    Behavior,
    CodeStatus,
    DrugEntry,
    IndexChild,
    IndexEntry,
    Intent,
    NeoplasmEntry,
    TableCode,
    dotted,
    normalize_term,
    split_nonessential,
)
from medcoder.codesets.releases import CodeSystem
from medcoder.errors import InputError, TermNotFoundError

if TYPE_CHECKING:
    from medcoder.codesets.kb import KnowledgeBase

__all__ = ["AlphabeticIndex", "IndexSource"]

#: How many ``see`` references are followed in a row before giving up (guards cycles).
_MAX_HOPS = 5
# Pieces of a cross-reference that tell the coder what to do, not where to go.
_INSTRUCTION_WORDS = frozenset({"condition", "category", "subcategory", "also"})


class IndexSource(StrEnum):
    """The four trees of the ICD-10-CM index."""

    INDEX = "index"
    EXTERNAL_CAUSE = "external-cause"
    NEOPLASM = "neoplasm"
    DRUG = "drug"


_E = TypeVar("_E", bound=StrEnum)
_PARENS = re.compile(r"\s*\([^)]*\)")

_TABLE_NAME = {
    IndexSource.EXTERNAL_CAUSE: "external",
    IndexSource.NEOPLASM: "neoplasm",
    IndexSource.DRUG: "drug",
}


def _stem(norm: str) -> str:
    """Crude singular form for a fallback match (``complications`` ~ ``complication``)."""
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") else w for w in norm.split())


def _alternatives(term: str) -> tuple[list[str], list[str]]:
    """Other keys a term answers to, strong and weak.

    Strong: the term without NEC/NOS, and its head before a comma (``"Disease, diseased"``
    answers to ``disease``). Weak: the other comma-separated variants (``abdominal`` for
    ``"Abdomen, abdominal"``), which must not shadow another term's head
    (``"Blood-forming organs, disease"`` is not ``disease``).
    """
    norm = normalize_term(term)
    strong = [norm[: -len(s)] for s in (" nec", " nos") if norm.endswith(s)]
    weak: list[str] = []
    if "," in term:
        head, *others = (normalize_term(part) for part in term.split(","))
        strong.append(head)
        weak.extend(others)
    return [k for k in strong if k], [k for k in weak if k]


@dataclass(slots=True)
class _Tree:
    """One tree held in memory, lists indexed by node id (ids are 1..n)."""

    source: IndexSource
    term: list[str]
    norm: list[str]
    parent: list[int]  # 0 for a main term
    nonessential: list[str | None]
    modifiers: list[tuple[str, ...]]
    see: list[str | None]
    see_also: list[str | None]
    code: list[str | None]
    status: list[str | None]
    code_fy2025: list[str | None]
    children: list[list[int]]
    cells: dict[int, tuple[tuple[str | None, str | None], ...]] = field(default_factory=dict)
    _keys: dict[int, dict[str, int]] = field(default_factory=dict)

    def keys(self, node: int) -> dict[str, int]:
        """Look-up keys of the children of ``node`` (0: the main terms), built on first use."""
        found = self._keys.get(node)
        if found is None:
            kids = self.children[node]
            found = {}
            for kid in kids:  # exact terms win over every variant
                found.setdefault(self.norm[kid], kid)
            variants = [_alternatives(self.term[kid]) for kid in kids]
            for kid, (strong, _) in zip(kids, variants, strict=True):
                for key in strong:
                    found.setdefault(key, kid)
            for kid, (_, weak) in zip(kids, variants, strict=True):
                for key in weak:
                    found.setdefault(key, kid)
            for kid in kids:
                found.setdefault("~" + _stem(self.norm[kid]), kid)
            self._keys[node] = found
        return found

    def match(
        self, node: int, pieces: Sequence[str], *, fuzzy: bool = False
    ) -> tuple[int, int] | None:
        """The child of ``node`` named by the longest run of ``pieces`` -> (child, run).

        ``fuzzy`` also accepts a near-identical child for one piece: official cross-references
        sometimes name a subterm slightly differently (``retina`` for ``retinal``).
        """
        keys = self.keys(node)
        for run in range(len(pieces), 0, -1):
            key = normalize_term(", ".join(pieces[:run]))
            kid = keys.get(key) or keys.get("~" + _stem(key))
            if kid:
                return kid, run
        if fuzzy and self.children[node]:
            best = process.extractOne(
                normalize_term(pieces[0]),
                {kid: self.norm[kid] for kid in self.children[node]},
                scorer=fuzz.ratio,
                score_cutoff=90,
            )
            if best is not None:
                return best[2], 1
        return None

    def match_modifier(self, node: int, pieces: Sequence[str]) -> int:
        """How many ``pieces`` a nonessential modifier of ``node`` accounts for (0: none)."""
        groups = self.modifiers[node]
        if not groups:
            return 0
        for run in range(len(pieces), 0, -1):
            key = normalize_term(", ".join(pieces[:run]))
            for group in groups:
                if key == group or key in group.split(" or "):
                    return run
        return 0

    def path(self, node: int) -> tuple[str, ...]:
        parts: list[str] = []
        while node:
            parts.append(self.term[node])
            node = self.parent[node]
        return tuple(reversed(parts))

    def suggest(self, node: int, text: str, limit: int = 5) -> tuple[str, ...]:
        """Close child terms of ``node`` for an unknown ``text``."""
        kids = self.children[node]
        choices = {kid: self.norm[kid] for kid in kids}
        hits = process.extract(
            normalize_term(text), choices, scorer=fuzz.ratio, limit=limit, score_cutoff=60
        )
        return tuple(self.term[kid] for _, _, kid in hits)


@dataclass(frozen=True, slots=True)
class _Walk:
    node: int
    modifiers: tuple[str, ...]
    followed: tuple[str, ...]


def _pieces(parts: Sequence[str]) -> list[str]:
    pieces = [p.strip() for part in parts for p in part.split(",") if p.strip()]
    if not pieces:
        raise InputError("a main term is required", field="main_term")
    return pieces


class AlphabeticIndex:
    """The ICD-10-CM Alphabetic Index and its tables for one knowledge base.

    Args:
        kb: the knowledge base; the newest ICD-10-CM release is used unless a method is
            given ``day`` (the date of service).
    """

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._trees: dict[tuple[str, IndexSource], _Tree] = {}
        self._lock = threading.Lock()

    # -- loading -----------------------------------------------------------------------------
    def _tree(self, source: IndexSource, day: dt.date | None = None) -> _Tree:
        release = self.kb.release_for(CodeSystem.ICD10CM, day).id
        key = (release, source)
        tree = self._trees.get(key)
        if tree is None:
            with self._lock:
                tree = self._trees.get(key)
                if tree is None:
                    tree = _load(self.kb.con, release, source)
                    self._trees[key] = tree
        return tree

    # -- walking -----------------------------------------------------------------------------
    def _walk(self, tree: _Tree, pieces: list[str], start: int = 0) -> _Walk:
        first = tree.match(start, pieces)
        if first is None:
            label = "site" if tree.source is IndexSource.NEOPLASM else "main term"
            raise TermNotFoundError(
                f"{pieces[0]!r} is not a {label} of the {_title(tree.source)}",
                term=pieces[0],
                suggestions=tree.suggest(start, pieces[0]),
            )
        node, used = first
        rest = pieces[used:]
        modifiers: list[str] = []
        followed: list[str] = []
        while rest:
            step = tree.match(node, rest)
            if step is not None:
                node, used = step
                rest = rest[used:]
                continue
            used = tree.match_modifier(node, rest)
            if used:
                modifiers.append(", ".join(rest[:used]))
                rest = rest[used:]
                continue
            if not tree.children[node] and tree.see[node] and len(followed) < _MAX_HOPS:
                # The entry only says "see X": the subterm is to be found under X.
                target = self._resolve(tree, tree.see[node] or "")
                if target and target != node:
                    followed.append(f"{', '.join(tree.path(node))} -> see {tree.see[node]}")
                    node = target
                    continue
            where = ", ".join(tree.path(node))
            raise TermNotFoundError(
                f"{where!r} has no subterm {rest[0]!r} in the {_title(tree.source)}",
                term=rest[0],
                suggestions=tree.suggest(node, rest[0]),
            )
        node, more = self._follow(tree, node)
        return _Walk(node, tuple(modifiers), (*followed, *more))

    def _resolve(self, tree: _Tree, reference: str) -> int | None:
        """The node a cross-reference names, or None when it cannot be followed in ``tree``.

        Trailing instructions ("by site", "condition", "subcategory") are dropped: they tell
        the coder to choose among the subterms, which the caller then does.
        """
        # "Dye(s)", "goiter (diffuse)": parenthesised words are modifiers, not part of the name.
        pieces = [_PARENS.sub("", p).strip() for p in reference.split(",")]
        pieces = [
            p
            for p in pieces
            if p
            and not normalize_term(p).startswith("by ")
            and normalize_term(p) not in _INSTRUCTION_WORDS
        ]
        if not pieces or normalize_term(pieces[0]).startswith("table of"):
            return None
        first = tree.match(0, pieces)
        if first is None:
            return None
        node, used = first
        rest = pieces[used:]
        while rest:
            step = tree.match(node, rest, fuzzy=True)
            if step is not None:
                node, used = step
            else:
                used = tree.match_modifier(node, rest)
                if not used:
                    return None
            rest = rest[used:]
        return node

    def _follow(self, tree: _Tree, node: int) -> tuple[int, tuple[str, ...]]:
        """Follow ``see`` references from an entry that has no code of its own."""
        followed: list[str] = []
        seen = {node}
        while tree.see[node] and not tree.code[node] and node not in tree.cells:
            target = self._resolve(tree, tree.see[node] or "")
            if target is None or target in seen or len(followed) >= _MAX_HOPS:
                break
            followed.append(f"{', '.join(tree.path(node))} -> see {tree.see[node]}")
            seen.add(target)
            node = target
        return node, tuple(followed)

    def _children(self, tree: _Tree, node: int, depth: int) -> tuple[IndexChild, ...]:
        if depth <= 0:
            return ()
        return tuple(
            IndexChild(
                id=kid,
                term=tree.term[kid],
                nonessential=tree.nonessential[kid],
                code=dotted(tree.code[kid]),
                see=tree.see[kid],
                see_also=tree.see_also[kid],
                children=self._children(tree, kid, depth - 1),
                has_more=depth == 1 and bool(tree.children[kid]),
            )
            for kid in tree.children[node]
        )

    def _entry(self, tree: _Tree, walk: _Walk, depth: int, note: str | None = None) -> IndexEntry:
        node = walk.node
        raw = tree.status[node]
        status = CodeStatus(raw) if raw else None
        if note is None and tree.see[node] and not tree.code[node]:
            note = _see_note(tree.see[node] or "")
        return IndexEntry(
            id=node,
            source=tree.source.value,
            path=tree.path(node),
            term=tree.term[node],
            nonessential=tree.nonessential[node],
            code=dotted(tree.code[node]),
            code_status=status,
            more_characters_needed=bool(status and status.needs_more_characters),
            code_fy2025=dotted(tree.code_fy2025[node]),
            see=tree.see[node],
            see_also=tree.see_also[node],
            followed=walk.followed,
            matched_nonessential=walk.modifiers,
            children=self._children(tree, node, depth),
            note=note,
        )

    # -- public API ----------------------------------------------------------------------------
    def index(
        self, main_term: str, *subterms: str, depth: int = 1, day: dt.date | None = None
    ) -> IndexEntry:
        """Look a main term and its subterms up in the Alphabetic Index.

        Case and punctuation do not matter; ``"Pneumonia, aspiration"`` is the same as
        ``("Pneumonia", "aspiration")``. A subterm that only matches a nonessential modifier
        of the entry leaves the entry as the answer; an entry that only says ``see X`` is
        followed to X (``followed`` says so).

        Args:
            main_term: the main term, optionally followed by subterms after commas.
            subterms: further subterms, outermost first.
            depth: how many levels of subterms below the entry to return.
            day: the date of service (chooses the release); newest when None.

        Returns:
            The :class:`IndexEntry`; check ``more_characters_needed`` before using ``code``.

        Raises:
            TermNotFoundError: a term is not there; ``suggestions`` holds close ones.
        """
        tree = self._tree(IndexSource.INDEX, day)
        return self._entry(tree, self._walk(tree, _pieces((main_term, *subterms))), depth)

    def external_cause(
        self, term: str, *subterms: str, depth: int = 1, day: dt.date | None = None
    ) -> IndexEntry:
        """Look a term up in the External Cause of Injuries Index (like :meth:`index`)."""
        tree = self._tree(IndexSource.EXTERNAL_CAUSE, day)
        return self._entry(tree, self._walk(tree, _pieces((term, *subterms))), depth)

    def neoplasm(
        self,
        site: str,
        *subsites: str,
        behavior: Behavior | str | None = None,
        depth: int = 1,
        day: dt.date | None = None,
    ) -> NeoplasmEntry | TableCode:
        """Look an anatomical site up in the Neoplasm Table.

        Args:
            site: the site (``"breast"``), optionally followed by subsites after commas.
            subsites: further subsites (``"upper-outer quadrant"``).
            behavior: one column (``"malignant-primary"`` ...); all six when None.
            depth: levels of subsites to list below the site (all columns only).
            day: the date of service (chooses the release); newest when None.

        Returns:
            A :class:`TableCode` for one behavior, else a :class:`NeoplasmEntry`.

        Raises:
            TermNotFoundError: the site or a subsite is not in the table.
            InputError: ``behavior`` is not one of :class:`Behavior`.
        """
        column = _enum(Behavior, behavior, "behavior")
        tree = self._tree(IndexSource.NEOPLASM, day)
        pieces = _pieces((site, *subsites))
        # The table has one main term, "Neoplasm, neoplastic"; sites are its subterms.
        start = 0 if normalize_term(pieces[0]).startswith("neoplas") else _single_main(tree)
        walk = self._walk(tree, pieces, start)
        codes = _cells(tree, walk.node)
        if column is not None:
            return _table_code(tree, walk, list(Behavior).index(column), column.value)
        return NeoplasmEntry(
            id=walk.node,
            path=tree.path(walk.node),
            nonessential=tree.nonessential[walk.node],
            see=tree.see[walk.node],
            see_also=tree.see_also[walk.node],
            malignant_primary=codes[0],
            malignant_secondary=codes[1],
            in_situ=codes[2],
            benign=codes[3],
            uncertain=codes[4],
            unspecified=codes[5],
            followed=walk.followed,
            children=self._children(tree, walk.node, depth),
        )

    def drug(
        self,
        substance: str,
        *subterms: str,
        intent: Intent | str | None = None,
        depth: int = 1,
        day: dt.date | None = None,
    ) -> DrugEntry | TableCode:
        """Look a substance up in the Table of Drugs and Chemicals.

        Args:
            substance: the drug or chemical, optionally followed by subterms after commas.
            subterms: further subterms.
            intent: one column (``"poisoning-accidental"``, ``"adverse-effect"`` ...); all
                six when None.
            depth: levels of subterms to list below the substance (all columns only).
            day: the date of service (chooses the release); newest when None.

        Returns:
            A :class:`TableCode` for one intent, else a :class:`DrugEntry`. Drug Table codes
            always need a 7th character (A, D or S) from the Tabular List.

        Raises:
            TermNotFoundError: the substance or a subterm is not in the table.
            InputError: ``intent`` is not one of :class:`Intent`.
        """
        column = _enum(Intent, intent, "intent")
        tree = self._tree(IndexSource.DRUG, day)
        walk = self._walk(tree, _pieces((substance, *subterms)))
        if column is not None:
            return _table_code(tree, walk, list(Intent).index(column), column.value)
        codes = _cells(tree, walk.node)
        return DrugEntry(
            id=walk.node,
            path=tree.path(walk.node),
            nonessential=tree.nonessential[walk.node],
            see=tree.see[walk.node],
            see_also=tree.see_also[walk.node],
            poisoning_accidental=codes[0],
            poisoning_intentional=codes[1],
            poisoning_assault=codes[2],
            poisoning_undetermined=codes[3],
            adverse_effect=codes[4],
            underdosing=codes[5],
            followed=walk.followed,
            children=self._children(tree, walk.node, depth),
        )

    # -- for the diagnosis-coding engine: walk the tree without SQL ------------------------------
    def main_terms(
        self, source: IndexSource | str = IndexSource.INDEX, *, day: dt.date | None = None
    ) -> tuple[tuple[str, int], ...]:
        """``(term_norm, id)`` of every main term of ``source``."""
        tree = self._tree(IndexSource(source), day)
        return tuple((tree.norm[i], i) for i in tree.children[0])

    def children(
        self,
        node_id: int,
        source: IndexSource | str = IndexSource.INDEX,
        *,
        day: dt.date | None = None,
    ) -> tuple[tuple[str, int], ...]:
        """``(term_norm, id)`` of the subterms directly below ``node_id``."""
        tree = self._tree(IndexSource(source), day)
        _check_id(tree, node_id)
        return tuple((tree.norm[i], i) for i in tree.children[node_id])

    def modifiers(
        self,
        node_id: int,
        source: IndexSource | str = IndexSource.INDEX,
        *,
        day: dt.date | None = None,
    ) -> tuple[str, ...]:
        """The normalised nonessential modifiers of ``node_id`` (``("acute", "double")``)."""
        tree = self._tree(IndexSource(source), day)
        _check_id(tree, node_id)
        return tree.modifiers[node_id]

    def entry(
        self,
        node_id: int,
        source: IndexSource | str = IndexSource.INDEX,
        *,
        follow_see: bool = False,
        depth: int = 0,
        day: dt.date | None = None,
    ) -> IndexEntry:
        """The entry with id ``node_id`` (from :meth:`main_terms` / :meth:`children`)."""
        tree = self._tree(IndexSource(source), day)
        _check_id(tree, node_id)
        node, followed = self._follow(tree, node_id) if follow_see else (node_id, ())
        return self._entry(tree, _Walk(node, (), followed), depth)


# -- helpers ---------------------------------------------------------------------------------
def _title(source: IndexSource) -> str:
    return {
        IndexSource.INDEX: "Alphabetic Index",
        IndexSource.EXTERNAL_CAUSE: "External Cause Index",
        IndexSource.NEOPLASM: "Neoplasm Table",
        IndexSource.DRUG: "Table of Drugs and Chemicals",
    }[source]


def _see_note(see: str) -> str:
    norm = normalize_term(see)
    if norm.startswith("table of drugs") or norm.startswith("table of neoplasm"):
        return f"see {see}: use the table (kb.index.drug / kb.index.neoplasm)"
    if norm.startswith("neoplasm"):
        return f"see {see}: look the site up in the Neoplasm Table (kb.index.neoplasm)"
    return f"see {see}: the reference could not be followed automatically"


def _check_id(tree: _Tree, node_id: int) -> None:
    if not 0 < node_id < len(tree.term):
        raise InputError(f"no {tree.source.value} entry has id {node_id}", field="node_id")


def _single_main(tree: _Tree) -> int:
    mains = tree.children[0]
    return mains[0] if len(mains) == 1 else 0


def _enum(kind: type[_E], value: _E | str | None, name: str) -> _E | None:
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(v.value for v in kind)
        raise InputError(f"{name!r} must be one of {allowed}, got {value!r}", field=name) from None


def _cells(tree: _Tree, node: int) -> tuple[str | None, ...]:
    row = tree.cells.get(node, ((None, None),) * 6)
    return tuple(dotted(code) for code, _ in row)


def _table_code(tree: _Tree, walk: _Walk, col: int, column: str) -> TableCode:
    code, status = tree.cells.get(walk.node, ((None, None),) * 6)[col]
    state = CodeStatus(status) if status else None
    return TableCode(
        path=tree.path(walk.node),
        column=column,
        code=dotted(code),
        code_status=state,
        more_characters_needed=bool(state and state.needs_more_characters),
        followed=walk.followed,
    )


def _load(con: sqlite3.Connection, release: str, source: IndexSource) -> _Tree:
    if source is IndexSource.INDEX:
        rows = con.execute(
            "SELECT id, parent_id, term, term_norm, nonessential, see, see_also, code, "
            "code_status, code_fy2025 FROM icd10cm_index WHERE release_id = ? ORDER BY id",
            (release,),
        ).fetchall()
    else:
        rows = con.execute(
            "SELECT id, parent_id, term, term_norm, nonessential, see, see_also, code, "
            "code_status, NULL FROM icd10cm_table_node WHERE release_id = ? AND tbl = ? "
            "ORDER BY id",
            (release, _TABLE_NAME[source]),
        ).fetchall()
    size = len(rows) + 1
    tree = _Tree(
        source=source,
        term=[""] * size,
        norm=[""] * size,
        parent=[0] * size,
        nonessential=[None] * size,
        modifiers=[()] * size,
        see=[None] * size,
        see_also=[None] * size,
        code=[None] * size,
        status=[None] * size,
        code_fy2025=[None] * size,
        children=[[] for _ in range(size)],
    )
    for nid, parent, term, norm, ness, see, see_also, code, status, fy2025 in rows:
        tree.term[nid] = term
        tree.norm[nid] = norm
        tree.parent[nid] = parent or 0
        tree.nonessential[nid] = ness
        tree.modifiers[nid] = split_nonessential(ness)
        tree.see[nid] = see
        tree.see_also[nid] = see_also
        tree.code[nid] = code
        tree.status[nid] = status
        tree.code_fy2025[nid] = fy2025
        tree.children[parent or 0].append(nid)
    if source in (IndexSource.NEOPLASM, IndexSource.DRUG):
        cells: dict[int, list[tuple[str | None, str | None]]] = {}
        for nid, col, code, status in con.execute(
            "SELECT node_id, col, code, code_status FROM icd10cm_table_cell "
            "WHERE release_id = ? AND tbl = ?",
            (release, _TABLE_NAME[source]),
        ):
            cells.setdefault(nid, [(None, None)] * 6)[col - 1] = (code, status)
        tree.cells = {nid: tuple(row) for nid, row in cells.items()}
    return tree
