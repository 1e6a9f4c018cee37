"""Builder of the Neoplasm Table, the Table of Drugs and Chemicals and the External Cause Index.

All three are CDC index XML files (``letter/mainTerm/term[@level]``, ``title`` with inline
``nemod``, ``see``/``seeAlso``, and ``cell[@col]`` for the tables or ``code`` for the index).
They share one tree table, ``icd10cm_table_node`` (``tbl`` tells which), and the tables' code
columns go to ``icd10cm_table_cell`` (``col`` 1..6 in table order; a printed dash is a NULL
code). A cell the XML leaves out is also NULL: the printed tables show a dash there (e.g.
``sacrococcyx`` has no in-situ code), so nothing is inherited from the parent site.
"""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field

from medcoder.codesets.datafiles import DataDir
from medcoder.codesets.icd10cm.build_index import CODE_LIST, Fy2026Codes, register_fy2026
from medcoder.codesets.icd10cm.index_models import normalize_term
from medcoder.errors import DataFileError

__all__ = ["BUILDER", "SOURCES", "TablesBuilder", "read_table"]

#: ``tbl`` value -> vendored file.
SOURCES: dict[str, str] = {
    "neoplasm": "icd10cm-2026-04/icd10cm-neoplasm-April-1-2026.xml",
    "drug": "icd10cm-2026-04/icd10cm-drug-April-1-2026.xml",
    "external": "icd10cm-2026-04/icd10cm-eindex-April-1-2026.xml",
}

SCHEMA = """
CREATE TABLE icd10cm_table_node (
    release_id TEXT NOT NULL,
    tbl TEXT NOT NULL,          -- 'neoplasm', 'drug' or 'external'
    id INTEGER NOT NULL,
    parent_id INTEGER,
    main_id INTEGER NOT NULL,
    level INTEGER NOT NULL,
    term TEXT NOT NULL,
    term_norm TEXT NOT NULL,
    nonessential TEXT,
    see TEXT,
    see_also TEXT,
    code TEXT,                  -- External Cause Index code (no dot, '-' kept), else NULL
    code_status TEXT,
    path TEXT NOT NULL,
    PRIMARY KEY (release_id, tbl, id)
);
CREATE INDEX icd10cm_table_node_parent ON icd10cm_table_node (release_id, tbl, parent_id);
CREATE INDEX icd10cm_table_node_norm ON icd10cm_table_node (release_id, tbl, term_norm);
CREATE TABLE icd10cm_table_cell (
    release_id TEXT NOT NULL,
    tbl TEXT NOT NULL,
    node_id INTEGER NOT NULL,
    col INTEGER NOT NULL,       -- 1..6: behavior (neoplasm) or intent (drug) in table order
    code TEXT,                  -- no dot, '-' kept; NULL where the table prints a dash
    code_status TEXT,
    PRIMARY KEY (release_id, tbl, node_id, col)
);
"""


@dataclass(slots=True)
class _Node:
    id: int
    parent_id: int | None
    main_id: int
    level: int
    term: str
    nonessential: str | None
    see: str | None = None
    see_also: str | None = None
    code: str | None = None
    path: str = ""
    cells: dict[int, str | None] = field(default_factory=dict)


def _text(el: ET.Element | None) -> str | None:
    if el is None:
        return None
    text = " ".join("".join(el.itertext()).split())
    return text or None


def _title(el: ET.Element) -> tuple[str, str | None]:
    """Title text without its inline nonessential modifiers, and those modifiers."""
    title = el.find("title")
    if title is None:
        raise DataFileError(f"<{el.tag}> without <title>", path="icd10cm tables")
    parts = [title.text or ""]
    modifiers: list[str] = []
    for child in title:
        if child.tag == "nemod":
            modifiers.append(_text(child) or "")
        else:
            parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    manif = _text(el.find("manif"))
    if manif:
        modifiers.append(f"[{manif}]")
    term = " ".join(" ".join(parts).split())
    return term, " ".join(m for m in modifiers if m) or None


def _walk(root: ET.Element) -> Iterator[tuple[ET.Element, int]]:
    """Every mainTerm (depth 0) and term (its depth), in document order."""

    def visit(el: ET.Element, depth: int) -> Iterator[tuple[ET.Element, int]]:
        yield el, depth
        for sub in el.findall("term"):
            yield from visit(sub, depth + 1)

    for letter in root.findall("letter"):
        for main in letter.findall("mainTerm"):
            yield from visit(main, 0)


def read_table(data: DataDir, name: str) -> list[_Node]:
    """The terms of one table file with parent links and cells."""
    source = SOURCES[name]
    with data.open_bytes(source) as f:
        root = ET.parse(f).getroot()
    nodes: list[_Node] = []
    stack: list[_Node] = []
    for el, depth in _walk(root):
        term, nonessential = _title(el)
        del stack[depth:]
        parent = stack[-1] if stack else None
        node = _Node(
            id=len(nodes) + 1,
            parent_id=parent.id if parent else None,
            main_id=stack[0].id if stack else len(nodes) + 1,
            level=depth,
            term=term,
            nonessential=nonessential,
            see=_text(el.find("see")),
            see_also=_text(el.find("seeAlso")),
            # <subcat>/<seecat> point at a subcategory/category to complete in the Tabular.
            code=_text(el.find("code")) or _text(el.find("subcat")) or _text(el.find("seecat")),
            path=f"{parent.path}, {term}" if parent else term,
        )
        for cell in el.findall("cell"):
            col = int(cell.get("col", "0")) - 1  # col 1 is the term column
            value = _text(cell)
            node.cells[col] = value if value and value.strip("-") else None
        nodes.append(node)
        stack.append(node)
    if not nodes:
        raise DataFileError(f"{source} holds no terms", path=source)
    return nodes


class TablesBuilder:
    """Builds ``icd10cm_table_node`` and ``icd10cm_table_cell`` from the three XML files."""

    name = "icd10cm-tables"
    sources: tuple[str, ...] = (*SOURCES.values(), CODE_LIST)

    def build(self, con: sqlite3.Connection, data: DataDir) -> dict[str, int]:
        release = register_fy2026(con)
        fy2026 = Fy2026Codes.from_data(data)
        con.executescript(SCHEMA)
        counts: dict[str, int] = {"icd10cm_table_node": 0, "icd10cm_table_cell": 0}
        for tbl in SOURCES:
            nodes = read_table(data, tbl)
            node_rows = []
            cell_rows = []
            for n in nodes:
                check = fy2026.classify(n.code) if n.code else None
                node_rows.append(
                    (
                        release,
                        tbl,
                        n.id,
                        n.parent_id,
                        n.main_id,
                        n.level,
                        n.term,
                        normalize_term(n.term),
                        n.nonessential,
                        n.see,
                        n.see_also,
                        check.code if check else None,
                        check.status.value if check else None,
                        n.path,
                    )
                )
                for col, value in sorted(n.cells.items()):
                    cell = fy2026.classify(value) if value else None
                    cell_rows.append(
                        (
                            release,
                            tbl,
                            n.id,
                            col,
                            cell.code if cell else None,
                            cell.status.value if cell else None,
                        )
                    )
            con.executemany(
                "INSERT INTO icd10cm_table_node VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", node_rows
            )
            con.executemany("INSERT INTO icd10cm_table_cell VALUES (?,?,?,?,?,?)", cell_rows)
            counts["icd10cm_table_node"] += len(node_rows)
            counts["icd10cm_table_cell"] += len(cell_rows)
            counts[f"terms_{tbl}"] = len(node_rows)
            unknown = sum(1 for row in cell_rows if row[5] == "unmapped") + sum(
                1 for row in node_rows if row[12] == "unmapped"
            )
            counts[f"codes_not_in_fy2026_{tbl}"] = unknown
        return counts


BUILDER = TablesBuilder()
