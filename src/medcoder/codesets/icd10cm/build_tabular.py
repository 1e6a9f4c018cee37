"""Builder of the ICD-10-CM Tabular List (FY2026, April 1, 2026 update).

Reads the official Tabular XML (chapters, blocks, categories and their subdivisions with every
instructional note and 7th-character definition) and the official code list, which gives the
order of all codes and the full 7-character codes the Tabular only describes by rule.

Tables (every row carries ``release_id``):

* ``icd10cm_code``: one row per chapter (keyed by its number, ``"4"``), block (its range,
  ``"E08-E13"``; a one-category block such as ``T07`` is keyed ``"T07-T07"`` so that it does
  not collide with the category), category, subcategory and code, including every full
  7-character code (``S72001A``), whose title is the base title plus the 7th character's
  meaning. Codes are stored without the dot.
* ``icd10cm_note``: instructional notes and inclusion terms at the level that carries them.
* ``icd10cm_seventh`` / ``icd10cm_seventh_note``: 7th-character definitions and their lead-in
  note, at the level that declares them (they apply to everything below it).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from medcoder.codesets.datafiles import DataDir
from medcoder.codesets.icd10cm.models import CodeKind, NoteKind
from medcoder.codesets.releases import CodeSystem, register_release
from medcoder.errors import DataFileError

__all__ = ["BUILDER", "CODE_LIST", "RELEASE_ID", "TABULAR_XML", "TabularBuilder"]

RELEASE_ID = "icd10cm-2026-04"
TABULAR_XML = "icd10cm-2026-04/icd10cm-tabular-April-1-2026.xml"
CODE_LIST = "icd10cm-2026-04/code-list-April-2026.txt"

#: XML element -> note kind. ``<note>`` children of each are the individual notes.
NOTE_TAGS: dict[str, NoteKind] = {
    "inclusionTerm": NoteKind.INCLUSION,
    "includes": NoteKind.INCLUDES,
    "excludes1": NoteKind.EXCLUDES1,
    "excludes2": NoteKind.EXCLUDES2,
    "codeFirst": NoteKind.CODE_FIRST,
    "useAdditionalCode": NoteKind.USE_ADDITIONAL,
    "codeAlso": NoteKind.CODE_ALSO,
    "notes": NoteKind.NOTES,
}

SCHEMA = """
CREATE TABLE icd10cm_code (
    release_id TEXT NOT NULL,
    code TEXT NOT NULL,        -- no dot, upper case; chapter number / block range for headers
    title TEXT NOT NULL,
    billable INTEGER NOT NULL, -- 1 for a code that can be reported as it stands
    kind TEXT NOT NULL,        -- chapter | block | category | subcategory | code
    parent TEXT,               -- NULL for chapters; a 7-character code's parent is its base
    depth INTEGER NOT NULL,    -- chapter 0, block 1, category 2, ...
    seq INTEGER NOT NULL,      -- order of the official code list
    PRIMARY KEY (release_id, code)
);
CREATE INDEX icd10cm_code_parent ON icd10cm_code (release_id, parent);
CREATE TABLE icd10cm_note (
    release_id TEXT NOT NULL,
    code TEXT NOT NULL,
    kind TEXT NOT NULL,        -- NoteKind value
    text TEXT NOT NULL,
    seq INTEGER NOT NULL       -- order of the notes at this code
);
CREATE INDEX icd10cm_note_code ON icd10cm_note (release_id, code);
CREATE TABLE icd10cm_seventh (
    release_id TEXT NOT NULL,
    code TEXT NOT NULL,        -- the level that declares the 7th characters (e.g. S52)
    character TEXT NOT NULL,
    meaning TEXT NOT NULL,
    PRIMARY KEY (release_id, code, character)
);
CREATE TABLE icd10cm_seventh_note (
    release_id TEXT NOT NULL,
    code TEXT NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (release_id, code)
);
"""


@dataclass
class _Node:
    key: str
    title: str
    kind: CodeKind
    parent: str | None
    depth: int
    notes: list[tuple[NoteKind, str]] = field(default_factory=list)
    seventh: list[tuple[str, str]] = field(default_factory=list)
    seventh_note: str = ""
    has_children: bool = False


def _text(el: ET.Element | None) -> str:
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def _read_annotations(el: ET.Element, node: _Node) -> None:
    for child in el:
        kind = NOTE_TAGS.get(child.tag)
        if kind is not None:
            node.notes.extend((kind, _text(n)) for n in child.findall("note"))
        elif child.tag == "sevenChrDef":
            node.seventh = [(e.get("char", ""), _text(e)) for e in child.findall("extension")]
        elif child.tag == "sevenChrNote":
            node.seventh_note = " ".join(_text(n) for n in child.findall("note"))


class _TabularReader:
    """Walks the XML tree into :class:`_Node` objects in document order."""

    def __init__(self) -> None:
        self.nodes: dict[str, _Node] = {}
        self.single_blocks: set[str] = set()

    def add(self, node: _Node) -> None:
        if node.key in self.nodes:
            raise DataFileError(f"Tabular List repeats {node.key!r}", path=TABULAR_XML)
        self.nodes[node.key] = node

    def read(self, root: ET.Element) -> None:
        for chapter in root.iter("chapter"):
            key = _text(chapter.find("name"))
            node = _Node(key, _text(chapter.find("desc")), CodeKind.CHAPTER, None, 0)
            _read_annotations(chapter, node)
            self.add(node)
            for section in chapter.findall("section"):
                self._section(section, key)

    def _section(self, section: ET.Element, chapter: str) -> None:
        sid = section.get("id", "")
        if not sid:
            raise DataFileError("<section> without id", path=TABULAR_XML)
        if "-" not in sid:
            self.single_blocks.add(sid)
            sid = f"{sid}-{sid}"
        node = _Node(sid, _text(section.find("desc")), CodeKind.BLOCK, chapter, 1)
        _read_annotations(section, node)
        self.add(node)
        for diag in section.findall("diag"):
            self._diag(diag, node)

    def _diag(self, diag: ET.Element, parent: _Node) -> None:
        code = _text(diag.find("name")).replace(".", "").upper()
        children = diag.findall("diag")
        kind = CodeKind.CATEGORY if len(code) == 3 else CodeKind.SUBCATEGORY
        node = _Node(code, _text(diag.find("desc")), kind, parent.key, parent.depth + 1)
        node.has_children = bool(children)
        _read_annotations(diag, node)
        self.add(node)
        for child in children:
            self._diag(child, node)


def _takes_seventh(nodes: dict[str, _Node], node: _Node) -> list[tuple[str, str]]:
    """The 7th characters that apply to ``node`` (declared on it or on an ancestor)."""
    current: _Node | None = node
    while current is not None:
        if current.seventh:
            return current.seventh
        current = nodes.get(current.parent) if current.parent else None
    return []


def _base_of(code: str, nodes: dict[str, _Node]) -> str | None:
    """The Tabular code a full 7-character code extends (placeholder X's stripped)."""
    base = code[:-1]
    while base not in nodes and base.endswith("X") and len(base) > 3:
        base = base[:-1]
    return base if base in nodes else None


class TabularBuilder:
    """Builds ``icd10cm_code``, ``icd10cm_note``, ``icd10cm_seventh`` and
    ``icd10cm_seventh_note`` for the FY2026 April-1 release."""

    name = "icd10cm-tabular"
    sources = (TABULAR_XML, CODE_LIST)

    def build(self, con: sqlite3.Connection, data: DataDir) -> dict[str, int]:
        release = register_release(
            con,
            id=RELEASE_ID,
            system=CodeSystem.ICD10CM,
            label="ICD-10-CM FY2026 (April 1, 2026 update)",
            effective_from=dt.date(2026, 4, 1),
            nominal_end=dt.date(2026, 9, 30),
            source="CDC/NCHS icd10cm-tabular-April-1-2026.xml and code-list-April-2026.txt",
        )
        con.executescript(SCHEMA)
        reader = _TabularReader()
        with data.open_bytes(TABULAR_XML) as f:
            reader.read(ET.parse(f).getroot())
        with data.open_text(CODE_LIST) as f:
            listed = [line.strip() for line in f if line.strip()]
        rows = self._code_rows(release, reader, listed)
        con.executemany("INSERT INTO icd10cm_code VALUES (?,?,?,?,?,?,?,?)", rows)
        notes = [
            (release, n.key, kind.value, text, i)
            for n in reader.nodes.values()
            for i, (kind, text) in enumerate(n.notes)
        ]
        con.executemany("INSERT INTO icd10cm_note VALUES (?,?,?,?,?)", notes)
        sevenths = [
            (release, n.key, char, meaning)
            for n in reader.nodes.values()
            for char, meaning in n.seventh
        ]
        con.executemany("INSERT INTO icd10cm_seventh VALUES (?,?,?,?)", sevenths)
        seventh_notes = [
            (release, n.key, n.seventh_note) for n in reader.nodes.values() if n.seventh_note
        ]
        con.executemany("INSERT INTO icd10cm_seventh_note VALUES (?,?,?)", seventh_notes)
        return {
            "icd10cm_code": len(rows),
            "icd10cm_note": len(notes),
            "icd10cm_seventh": len(sevenths),
            "icd10cm_seventh_note": len(seventh_notes),
        }

    def _code_rows(
        self, release: str, reader: _TabularReader, listed: list[str]
    ) -> list[tuple[str, str, str, int, str, str | None, int, int]]:
        nodes = reader.nodes
        rows: list[tuple[str, str, str, int, str, str | None, int, int]] = []
        seen: set[str] = set()
        for seq, entry in enumerate(listed):
            key = entry.upper()
            # A one-category block and its category are both listed as e.g. "T07": the
            # first is the block.
            if key in reader.single_blocks and f"{key}-{key}" not in seen:
                key = f"{key}-{key}"
            if key in seen:
                raise DataFileError(f"code list repeats {entry!r}", path=CODE_LIST)
            seen.add(key)
            node = nodes.get(key)
            if node is not None:
                sevenths = _takes_seventh(nodes, node) if node.kind not in _HEADERS else []
                billable = node.kind not in _HEADERS and not node.has_children and not sevenths
                kind = node.kind
                if billable and kind is CodeKind.SUBCATEGORY:
                    kind = CodeKind.CODE
                rows.append(
                    (
                        release,
                        key,
                        node.title,
                        int(billable),
                        kind.value,
                        node.parent,
                        node.depth,
                        seq,
                    )
                )
                continue
            rows.append(self._seventh_row(release, nodes, key, seq))
        missing = set(nodes) - seen
        if missing:
            raise DataFileError(
                f"{len(missing)} Tabular entries are not in the code list, e.g. "
                f"{sorted(missing)[:3]}",
                path=CODE_LIST,
            )
        _check_billable_leaves(rows)
        return rows

    @staticmethod
    def _seventh_row(
        release: str, nodes: dict[str, _Node], code: str, seq: int
    ) -> tuple[str, str, str, int, str, str | None, int, int]:
        base = _base_of(code, nodes) if len(code) == 7 else None
        meaning = dict(_takes_seventh(nodes, nodes[base])).get(code[-1]) if base else None
        if base is None or meaning is None:
            raise DataFileError(
                f"code list entry {code!r} is neither in the Tabular List nor a "
                "7th-character extension of a Tabular code",
                path=CODE_LIST,
            )
        node = nodes[base]
        title = f"{node.title}, {meaning}"
        return (release, code, title, 1, CodeKind.CODE.value, base, node.depth + 1, seq)


_HEADERS = (CodeKind.CHAPTER, CodeKind.BLOCK)


def _check_billable_leaves(
    rows: list[tuple[str, str, str, int, str, str | None, int, int]],
) -> None:
    """The billable codes must be exactly the leaves of the code list (a consistency check
    between the Tabular's 7th-character rules and the official list)."""
    codes = {r[1] for r in rows if r[4] not in ("chapter", "block")}
    prefixes = {c[:i] for c in codes for i in range(3, len(c))}
    leaves = codes - prefixes
    billable = {r[1] for r in rows if r[3]}
    if leaves != billable:
        odd = sorted(leaves ^ billable)[:5]
        raise DataFileError(
            f"billable codes disagree with the code list's leaves, e.g. {odd}", path=CODE_LIST
        )


BUILDER = TabularBuilder()
