"""CPT (Level I) codes: medcoder's own short wording, or the user's licensed descriptors.

The AMA owns CPT and its descriptors, so medcoder ships none: :data:`CPT_WORDING` gives the
numbers medcoder detects (E/M families, services, office procedures) a short wording of its
own. A user with a CPT licence runs ``medcoder cpt import FILE``: :func:`import_cpt_file`
reads their file (CSV, TSV or the fixed-width text files of the AMA data set: code then
descriptor), finds the code and descriptor columns and writes one normalized table under the
user data home (``<data home>/cpt/descriptors.tsv``). The knowledge base builder below loads
it, so :class:`Cpt` (lookup, search) answers with the licensed text when it is present.

Example:
    >>> Cpt(kb).lookup("96372").source
    'medcoder'                      # or 'licensed' after `medcoder cpt import`
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from medcoder.codesets._query import fts_query
from medcoder.codesets.datafiles import DataDir
from medcoder.errors import CodeFormatError, InputError, UnknownCodeError

if TYPE_CHECKING:
    from medcoder.codesets.kb import KnowledgeBase

__all__ = [
    "BUILDER",
    "CPT_WORDING",
    "Cpt",
    "CptCode",
    "CptImportResult",
    "cpt_wording",
    "import_cpt_file",
    "parse_cpt_file",
]

_CODE = re.compile(r"[0-9]{4}[0-9FTU]")
IMPORT_DIR = "cpt"
IMPORT_FILE = "descriptors.tsv"
IMPORT_INFO = "import.json"


def _band(first: int, words: tuple[str, ...], stem: str) -> dict[str, str]:
    return {str(first + i): f"{stem}{w}" for i, w in enumerate(words)}


_MDM = ("straightforward", "low", "moderate", "high")
_AGES = ("under 1 year", "1-4 years", "5-11 years", "12-17 years", "18-39 years",
         "40-64 years", "65 years and over")  # fmt: skip

#: CPT number -> medcoder's own short wording (never the AMA descriptor).
CPT_WORDING: dict[str, str] = {
    **_band(99202, _MDM, "Office/outpatient visit, new patient; decision making: "),
    "99211": "Office/outpatient visit, established patient, minimal (often nurse) service",
    **_band(99212, _MDM, "Office/outpatient visit, established patient; decision making: "),
    **_band(99221, ("low or straightforward", "moderate", "high"),
            "Hospital inpatient/observation care, first day; decision making: "),
    **_band(99231, ("low or straightforward", "moderate", "high"),
            "Hospital inpatient/observation care, later day; decision making: "),
    "99238": "Hospital discharge day, 30 minutes or less",
    "99239": "Hospital discharge day, more than 30 minutes",
    **_band(99281, ("1 (may not need a physician)", "2", "3", "4", "5"),
            "Emergency department visit, level "),
    **_band(99381, _AGES, "Preventive medicine visit, new patient, age "),
    **_band(99391, _AGES, "Preventive medicine visit, established patient, age "),
    "99417": "Prolonged office/outpatient service, each extra 15 minutes (add-on)",
    "99418": "Prolonged hospital/observation service, each extra 15 minutes (add-on)",
    # Drug administration
    "96372": "Drug injection into muscle or under the skin",
    "96374": "Drug given by IV push, first drug",
    "96375": "Another drug given by IV push (add-on)",
    "96365": "IV drug infusion, first hour",
    "96366": "IV drug infusion, each further hour (add-on)",
    "96367": "IV infusion of another drug after the first, sequential (add-on)",
    "96360": "IV hydration, first hour",
    "96361": "IV hydration, each further hour (add-on)",
    # Vaccines and their administration
    "90471": "Giving a vaccine by injection, first one",
    "90472": "Giving a vaccine by injection, each further one (add-on)",
    "90473": "Giving a vaccine by mouth or nose, first one",
    "90474": "Giving a vaccine by mouth or nose, each further one (add-on)",
    "90460": "Giving a vaccine to a patient under 19 with counselling, first component",
    "90461": "Giving a vaccine under 19 with counselling, each further component (add-on)",
    "90686": "Flu vaccine, inactivated, four strains, no preservative, IM",
    "90688": "Flu vaccine, inactivated, four strains, multi-dose vial, IM",
    "90656": "Flu vaccine, inactivated, three strains, no preservative, IM",
    "90662": "Flu vaccine, high-dose, IM",
    "90653": "Flu vaccine with adjuvant, IM",
    "90674": "Flu vaccine grown in cell culture, IM",
    "90682": "Flu vaccine, recombinant, IM",
    "90672": "Flu vaccine, live, nasal spray",
    "90677": "Pneumococcal conjugate vaccine, 20 serotypes, IM",
    "90671": "Pneumococcal conjugate vaccine, 15 serotypes, IM",
    "90670": "Pneumococcal conjugate vaccine, 13 serotypes, IM",
    "90732": "Pneumococcal polysaccharide vaccine, 23 serotypes",
    "90715": "Tetanus, diphtheria and acellular pertussis vaccine (Tdap), age 7 and over",
    "90714": "Tetanus and diphtheria vaccine (Td), age 7 and over",
    "90750": "Shingles vaccine, recombinant, IM",
    "90746": "Hepatitis B vaccine, adult dose, 3-dose schedule",
    "90739": "Hepatitis B vaccine with adjuvant, adult, 2-dose schedule",
    "90632": "Hepatitis A vaccine, adult dose",
    "90651": "HPV vaccine, 9 types",
    "90707": "Measles, mumps and rubella vaccine (MMR), live",
    "90716": "Chickenpox (varicella) vaccine, live",
    "90734": "Meningococcal conjugate vaccine, serogroups A, C, W, Y",
    "90633": "Hepatitis A vaccine, child/adolescent dose, 2-dose schedule",
    "90744": "Hepatitis B vaccine, child/adolescent dose, 3-dose schedule",
    "90700": "Diphtheria, tetanus and acellular pertussis vaccine (DTaP), under 7",
    "90696": "DTaP and inactivated polio combined vaccine, age 4 to 6",
    "90698": "DTaP, inactivated polio and Hib combined vaccine",
    "90723": "DTaP, hepatitis B and inactivated polio combined vaccine",
    "90697": "DTaP, inactivated polio, Hib and hepatitis B combined vaccine",
    "90713": "Inactivated polio vaccine (IPV)",
    "90647": "Hib vaccine, PRP-OMP conjugate, 3-dose schedule",
    "90648": "Hib vaccine, PRP-T conjugate, 4-dose schedule",
    "90680": "Rotavirus vaccine, live, by mouth, 3-dose schedule",
    "90681": "Rotavirus vaccine, live, by mouth, 2-dose schedule",
    "90710": "Measles, mumps, rubella and varicella vaccine (MMRV), live",
    "90678": "RSV vaccine, bivalent preF, IM",
    "90679": "RSV vaccine, adjuvanted preF, IM",
    # In-office tests
    "93000": "ECG, 12 leads, tracing with reading and report",
    "93005": "ECG, 12 leads, tracing only",
    "93010": "ECG, 12 leads, reading and report only",
    "36415": "Blood draw from a vein",
    "81002": "Urine dipstick test, read by hand, no microscope",
    "81003": "Urine dipstick test, read by machine, no microscope",
    "87880": "Rapid strep A antigen test",
    "87804": "Rapid influenza antigen test",
    "87811": "Rapid COVID-19 antigen test",
    "87635": "COVID-19 nucleic acid (PCR) test",
    "82962": "Blood glucose by a home-type meter",
    "82947": "Blood glucose, measured amount",
    "94010": "Spirometry",
    "94060": "Spirometry before and after a bronchodilator",
    # Office procedures
    "69209": "Earwax removal by irrigation, one ear",
    "69210": "Impacted earwax removal with instruments, one ear",
    "11102": "Skin biopsy by shave (tangential), first lesion",
    "11103": "Skin biopsy by shave (tangential), each further lesion (add-on)",
    "11104": "Punch skin biopsy, first lesion",
    "11105": "Punch skin biopsy, each further lesion (add-on)",
    "11106": "Incisional skin biopsy, first lesion",
    "11107": "Incisional skin biopsy, each further lesion (add-on)",
    "17000": "Destroying a premalignant skin lesion (e.g. actinic keratosis), first one",
    "17003": "Destroying premalignant skin lesions, second to fourteenth, each (add-on)",
    "17004": "Destroying 15 or more premalignant skin lesions",
    "17110": "Destroying benign skin lesions such as warts, up to 14",
    "17111": "Destroying benign skin lesions such as warts, 15 or more",
    "20600": "Small joint or bursa: needle injection or drainage, no ultrasound",
    "20604": "Small joint or bursa: needle injection or drainage, with ultrasound",
    "20605": "Medium joint or bursa: needle injection or drainage, no ultrasound",
    "20606": "Medium joint or bursa: needle injection or drainage, with ultrasound",
    "20610": "Large joint or bursa: needle injection or drainage, no ultrasound",
    "20611": "Large joint or bursa: needle injection or drainage, with ultrasound",
    "11900": "Injecting drug into skin lesions, up to seven",
    "11901": "Injecting drug into skin lesions, more than seven",
    "10060": "Draining a skin abscess, simple or single",
    "10061": "Draining a skin abscess, complicated or several",
    "12001": "Simple wound repair, body/limbs group, 2.5 cm or less",
    "12002": "Simple wound repair, body/limbs group, 2.6 to 7.5 cm",
    "12004": "Simple wound repair, body/limbs group, 7.6 to 12.5 cm",
    "12005": "Simple wound repair, body/limbs group, 12.6 to 20 cm",
    "12006": "Simple wound repair, body/limbs group, 20.1 to 30 cm",
    "12007": "Simple wound repair, body/limbs group, over 30 cm",
    "12011": "Simple wound repair, face group, 2.5 cm or less",
    "12013": "Simple wound repair, face group, 2.6 to 5 cm",
    "12014": "Simple wound repair, face group, 5.1 to 7.5 cm",
    "12015": "Simple wound repair, face group, 7.6 to 12.5 cm",
    "12016": "Simple wound repair, face group, 12.6 to 20 cm",
    "12017": "Simple wound repair, face group, 20.1 to 30 cm",
    "12018": "Simple wound repair, face group, over 30 cm",
    "11720": "Nail debridement, one to five nails",
    "11721": "Nail debridement, six or more nails",
    "11730": "Removing a nail plate, first nail",
    "11732": "Removing a nail plate, each further nail (add-on)",
    "11750": "Removing a nail and its matrix (permanent)",
}  # fmt: skip


def cpt_wording(code: str) -> str | None:
    """medcoder's own wording for a CPT number it detects, or None."""
    return CPT_WORDING.get(code)


@dataclass(frozen=True, slots=True)
class CptCode:
    """A CPT code with its wording; ``source`` is ``medcoder`` (own words) or ``licensed``."""

    code: str
    short_description: str
    long_description: str
    source: str


@dataclass(frozen=True, slots=True)
class CptImportResult:
    """What ``medcoder cpt import`` did."""

    path: Path
    rows: int
    format: str
    code_column: str
    short_column: str
    long_column: str
    duplicates: int


# -- reading a licensed file ---------------------------------------------------------------
_FIXED = re.compile(r"^\s*([0-9]{4}[0-9FTU])(?:\s+|\t)(\S.*?)\s*$")
_SHORT_HINTS = ("short", "abbrev", "brief")
_LONG_HINTS = ("long", "full", "descriptor", "description", "desc", "text", "medium", "consumer")


def _decode(data: bytes, name: str) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(f"{name}: not a text file", field="file")


def _fixed_width(lines: list[str], name: str) -> dict[str, tuple[str, str]]:
    rows: dict[str, tuple[str, str]] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        match = _FIXED.match(line)
        if match is None:
            if number == 1:  # a title line
                continue
            raise InputError(
                f"{name}, line {number}: expected a CPT code (5 characters such as 99213) "
                f"followed by its descriptor, got {line[:40]!r}",
                field=f"line {number}",
            )
        rows.setdefault(match[1], (match[2], match[2]))
    return rows


def _mostly_fixed(lines: list[str]) -> bool:
    return bool(lines) and sum(1 for line in lines if _FIXED.match(line)) >= 0.8 * len(lines)


def _pick_columns(
    header: list[str] | None, body: list[list[str]], name: str
) -> tuple[int, int, int]:
    width = max(len(r) for r in body)
    codes = [
        sum(1 for r in body if i < len(r) and _CODE.fullmatch(r[i].strip())) for i in range(width)
    ]
    code_col = max(range(width), key=lambda i: codes[i])
    if codes[code_col] < 0.5 * len(body):
        raise InputError(
            f"{name}: no column holds CPT codes (5 characters such as 99213) in most rows",
            field="file",
        )
    text_cols = [
        i for i in range(width)
        if i != code_col and sum(1 for r in body if i < len(r) and re.search(r"[A-Za-z]{3}", r[i]))
        >= 0.5 * len(body)
    ]  # fmt: skip
    if not text_cols:
        raise InputError(f"{name}: no descriptor column next to the code column", field="file")
    short_col = long_col = -1
    if header is not None:
        names = [h.strip().lower() for h in header]
        for i in text_cols:
            if short_col < 0 and i < len(names) and any(h in names[i] for h in _SHORT_HINTS):
                short_col = i
        for i in text_cols:
            if i != short_col and i < len(names) and any(h in names[i] for h in _LONG_HINTS):
                long_col = i
                break

    def mean_len(i: int) -> float:
        return sum(len(r[i]) for r in body if i < len(r)) / len(body)

    by_length = sorted(text_cols, key=mean_len)
    if short_col < 0:
        short_col = by_length[0]
    if long_col < 0:
        long_col = by_length[-1]
    return code_col, short_col, long_col


def parse_cpt_file(
    data: bytes, name: str = "file"
) -> tuple[dict[str, tuple[str, str]], str, tuple[str, str, str], int]:
    """Read a licensed CPT file: ``{code: (short, long)}``, its format, columns, duplicates.

    The format is detected: tab-separated, comma-separated (with or without a header row) or
    fixed-width text (code, white space, descriptor on each line).

    Raises:
        InputError: no code column, no descriptor, an empty file, a line that is not a code.
    """
    text = _decode(data, name)
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise InputError(f"{name}: the file is empty", field="file")
    sample = "\n".join(lines[:50])
    if "\t" in sample:
        fmt, delimiter = "tsv", "\t"
    elif not _mostly_fixed(lines[1:21] if not _FIXED.match(lines[0]) else lines[:20]):
        fmt, delimiter = "csv", ","
    else:
        fixed = _fixed_width(lines, name)
        if not fixed:
            raise InputError(f"{name}: no CPT codes found", field="file")
        return fixed, "fixed-width", ("1", "2", "2"), 0
    table = [
        r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if any(c.strip() for c in r)
    ]
    header: list[str] | None = None
    if table and not any(_CODE.fullmatch(c.strip()) for c in table[0]):
        header, table = table[0], table[1:]
    if not table:
        raise InputError(f"{name}: a header but no rows", field="file")
    code_col, short_col, long_col = _pick_columns(header, table, name)
    rows: dict[str, tuple[str, str]] = {}
    duplicates = 0
    first_line = 2 if header is not None else 1
    for number, row in enumerate(table, first_line):
        code = row[code_col].strip().upper() if code_col < len(row) else ""
        if not _CODE.fullmatch(code):
            raise InputError(
                f"{name}, row {number}: {code!r} is not a CPT code (5 characters such as 99213)",
                field=f"row {number}",
            )
        short = row[short_col].strip() if short_col < len(row) else ""
        long = row[long_col].strip() if long_col < len(row) else ""
        if not (short or long):
            raise InputError(
                f"{name}, row {number}: code {code} has no descriptor", field=f"row {number}"
            )
        if code in rows:
            duplicates += 1
            continue
        rows[code] = (short or long, long or short)

    def col(i: int) -> str:
        return header[i] if header is not None and i < len(header) else str(i + 1)

    return rows, fmt, (col(code_col), col(short_col), col(long_col)), duplicates


def import_cpt_file(source: Path, data_home: Path) -> CptImportResult:
    """Convert a licensed CPT file into ``<data_home>/cpt/descriptors.tsv`` (all or nothing).

    The knowledge base picks it up on its next open (its fingerprint covers the file).

    Raises:
        InputError: the file cannot be read or holds no CPT codes (nothing is written).
    """
    if not source.is_file():
        raise InputError(f"no such file: {source}", field="file")
    rows, fmt, (code_col, short_col, long_col), duplicates = parse_cpt_file(
        source.read_bytes(), source.name
    )
    folder = data_home / IMPORT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".import-", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
        for code in sorted(rows):
            short, long = rows[code]
            out.write(f"{code}\t{_one_line(short)}\t{_one_line(long)}\n")
    target = folder / IMPORT_FILE
    os.replace(tmp, target)
    info = {"source": source.name, "rows": len(rows), "format": fmt,
            "imported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}  # fmt: skip
    (folder / IMPORT_INFO).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return CptImportResult(target, len(rows), fmt, code_col, short_col, long_col, duplicates)


def _one_line(text: str) -> str:
    return " ".join(text.replace("\t", " ").split())


# -- knowledge base --------------------------------------------------------------------------
SCHEMA = """
CREATE TABLE cpt_code (
    code TEXT PRIMARY KEY,
    short_description TEXT NOT NULL,
    long_description TEXT NOT NULL,
    source TEXT NOT NULL          -- 'medcoder' (own wording) or 'licensed' (user import)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE cpt_fts USING fts5(
    code UNINDEXED, short_description, long_description, tokenize = 'porter unicode61'
);
"""


class _CptBuilder:
    """medcoder's own wording, replaced by the user's licensed descriptors when imported."""

    name = "cpt"
    sources: tuple[str, ...] = ()

    def __init__(self, user_data: Path | None = None) -> None:
        imported = user_data / IMPORT_DIR / IMPORT_FILE if user_data is not None else None
        self.user_files: tuple[Path, ...] = (
            (imported,) if imported is not None and imported.is_file() else ()
        )

    def for_user_data(self, user_data: Path) -> _CptBuilder:
        return _CptBuilder(user_data)

    def build(self, con: sqlite3.Connection, data: DataDir) -> dict[str, int]:
        con.executescript(SCHEMA)
        rows = {code: (text, text, "medcoder") for code, text in CPT_WORDING.items()}
        for path in self.user_files:
            with path.open(encoding="utf-8") as f:
                for line in f:
                    code, short, long = line.rstrip("\n").split("\t")
                    rows[code] = (short, long, "licensed")
        values = [(code, *rows[code]) for code in sorted(rows)]
        con.executemany("INSERT INTO cpt_code VALUES (?, ?, ?, ?)", values)
        con.executemany(
            "INSERT INTO cpt_fts VALUES (?, ?, ?)", ((c, s, long) for c, s, long, _ in values)
        )
        return {"cpt_code": len(values)}


BUILDER = _CptBuilder()


class Cpt:
    """CPT codes in the knowledge base: medcoder's wording or the imported licensed text.

    A knowledge base built before the CPT table existed still answers, from
    :data:`CPT_WORDING`.
    """

    def __init__(self, kb: KnowledgeBase) -> None:
        self._kb = kb

    def _query(self, sql: str, args: tuple[object, ...]) -> list[tuple[str, ...]] | None:
        try:
            return list(self._kb.con.execute(sql, args).fetchall())
        except sqlite3.OperationalError:
            return None  # no cpt_code table in this knowledge base

    def lookup(self, code: str) -> CptCode:
        """The wording of a CPT code.

        Raises:
            CodeFormatError: not five characters (four digits and a digit, F, T or U).
            UnknownCodeError: neither medcoder's table nor an imported file has it.
        """
        cleaned = code.strip().upper()
        if not _CODE.fullmatch(cleaned):
            raise CodeFormatError(f"{code!r} is not a CPT code", code=code, system="cpt")
        rows = self._query(
            "SELECT code, short_description, long_description, source FROM cpt_code WHERE code = ?",
            (cleaned,),
        )
        if rows:
            return CptCode(*rows[0])
        if rows is None and cleaned in CPT_WORDING:
            text = CPT_WORDING[cleaned]
            return CptCode(cleaned, text, text, "medcoder")
        raise UnknownCodeError(
            f"CPT {cleaned}: medcoder has no wording for it; CPT descriptors are AMA-licensed: "
            "load your licensed file with `medcoder cpt import FILE`",
            code=code,
            system="cpt",
        )

    def description(self, code: str) -> str:
        """The long wording of ``code``, or ``""`` when there is none."""
        try:
            return self.lookup(code).long_description
        except (UnknownCodeError, CodeFormatError):
            return ""

    def licensed(self) -> bool:
        """True when a licensed CPT file was imported into this knowledge base."""
        rows = self._query("SELECT 1 FROM cpt_code WHERE source = 'licensed' LIMIT 1", ())
        return bool(rows)

    def search(self, text: str, limit: int = 15) -> tuple[CptCode, ...]:
        """Codes whose wording holds every word of ``text``, best first."""
        query = fts_query(text)
        if query is None:
            return ()
        rows = self._query(
            "SELECT c.code, c.short_description, c.long_description, c.source FROM cpt_fts f "
            "JOIN cpt_code c ON c.code = f.code WHERE cpt_fts MATCH ? "
            "ORDER BY bm25(cpt_fts) LIMIT ?",
            (query, limit),
        )
        if rows is None:
            words = text.lower().split()
            return tuple(
                CptCode(c, t, t, "medcoder")
                for c, t in CPT_WORDING.items()
                if all(w in t.lower() for w in words)
            )[:limit]
        return tuple(CptCode(*row) for row in rows)
