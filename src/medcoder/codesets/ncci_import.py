"""Import a newer NCCI quarter from the CMS files as a user downloads them.

CMS publishes NCCI every quarter: procedure-to-procedure (PTP) edits for practitioners and
outpatient hospitals (tab-delimited ``.txt`` in ``.zip`` files, several per setting), MUE
tables (practitioner, outpatient hospital, DME supplier) and the add-on code edit file.
:func:`import_ncci_quarter` reads every ``.txt``/``.csv`` in a folder (or ``.zip``, also nested),
recognises each file by its header row (the preamble lines above it are skipped), converts
the rows to the layouts of the vendored ``data/ncci-2024q3/`` tables (gzip-compressed, with
the effective and deletion dates kept) and writes them with a ``release.json`` to
``<user_data>/ncci/<quarter>/``. The knowledge base then holds that quarter as a release of
its own (see :func:`medcoder.codesets.ncci.imported_quarters`).

Nothing is written unless every file reads cleanly: the quarter is assembled in a hidden
folder and renamed into place at the end.

Example:
    >>> result = import_ncci_quarter(Path("~/Downloads/ncci"), data_home, quarter="2026Q1")
    >>> result.tables["ptp_practitioner.csv"]
    1702331
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
import json
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from medcoder.codesets.ncci import (
    IMPORTED_AOC,
    IMPORTED_MUE,
    IMPORTED_PTP,
    RELEASE_FILE,
    VENDORED,
    NcciQuarterFiles,
    Setting,
    imported_quarters,
)
from medcoder.errors import DataFileError, InputError

__all__ = [
    "FileImport",
    "NcciImportResult",
    "Quarter",
    "import_ncci_quarter",
    "ncci_quarters",
    "parse_quarter",
]

Table = Literal["ptp", "mue", "aoc"]
_CODE = re.compile(r"[0-9A-Z]{5}")
_QUARTER = re.compile(r"(\d{4})\s*-?\s*Q([1-4])", re.IGNORECASE)
#: How far into a file the header row may be (CMS puts a copyright notice above it).
_HEADER_SEARCH_LINES = 200
_TEXT_SUFFIXES = (".txt", ".csv")
_PTP_COLUMNS = ("column1", "column2", "modifier_indicator", "ptp_edit_rationale")
_MUE_COLUMNS = ("hcpcs_code", "mue_units", "mue_mai", "mue_rationale", "mue_service")
_AOC_COLUMNS = ("primary_code", "add_on_code", "aoc_edit_type")
_DATES = ("effective_date", "deletion_date")
_SERVICE: dict[Setting, str] = {
    "practitioner": "Practitioner",
    "outpatient_hospital": "Outpatient Hospital",
    "dme": "DME Supplier",
}


@dataclass(frozen=True, slots=True)
class Quarter:
    """A calendar quarter, e.g. ``Quarter(2026, 1)``: NCCI 2026 Q1, January to March."""

    year: int
    number: int

    @property
    def id(self) -> str:
        return f"{self.year}q{self.number}"

    @property
    def name(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> dt.date:
        if self.number == 4:
            return dt.date(self.year, 12, 31)
        return dt.date(self.year, 3 * self.number + 1, 1) - dt.timedelta(days=1)


def parse_quarter(text: str) -> Quarter:
    """``2026Q1`` (also ``2026q1``, ``2026-Q1``) as a :class:`Quarter`.

    Raises:
        InputError: not a year and quarter.
    """
    match = _QUARTER.fullmatch(text.strip())
    if not match:
        raise InputError(
            f"quarter must look like 2026Q1 (year, Q, 1-4), got {text!r}", field="quarter"
        )
    return Quarter(int(match[1]), int(match[2]))


@dataclass(frozen=True, slots=True)
class FileImport:
    """What one CMS file contributed: its rows, and the rows skipped by reason."""

    name: str
    table: str  # the converted file, e.g. 'ptp_practitioner.csv'
    rows: int
    skipped: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NcciImportResult:
    """An imported quarter: where it was written and what each file gave."""

    quarter: str
    label: str
    effective_from: dt.date
    nominal_end: dt.date
    folder: Path
    files: tuple[FileImport, ...]
    tables: dict[str, int]
    ignored: tuple[str, ...]
    replaced: bool


#: Returns the CSV writer of a converted table, writing its header on first use.
_WriterFor = Callable[[str, tuple[str, ...]], Any]


@dataclass
class _Source:
    """One text file to read: a file on disk or a member of a (nested) zip archive."""

    name: str
    open: Callable[[], IO[bytes]]


def ncci_quarters(user_data: Path | None) -> list[NcciQuarterFiles]:
    """Every NCCI quarter the knowledge base will hold: the vendored one, then imported ones."""
    imported = imported_quarters(user_data / "ncci") if user_data is not None else []
    return [VENDORED, *imported]


def import_ncci_quarter(
    source: Path,
    user_data: Path,
    *,
    quarter: str,
    effective: dt.date | None = None,
    setting: Setting | None = None,
) -> NcciImportResult:
    """Convert the CMS NCCI files in ``source`` into ``<user_data>/ncci/<quarter>/``.

    Args:
        source: a folder of downloaded files (``.zip``, ``.txt``, ``.csv``) or one ``.zip``.
        user_data: the user's data folder (the shell passes ``default_data_home()``).
        quarter: the NCCI quarter, e.g. ``"2026Q1"``.
        effective: the first day the quarter is in force (default: the quarter's first day).
        setting: for a PTP or MUE file whose name and header do not tell practitioner from
            outpatient hospital (or DME), the setting it holds.

    Returns:
        What was imported, per file and per table. A quarter imported before is replaced.

    Raises:
        InputError: bad ``quarter``/``effective``, or a file's setting cannot be told.
        DataFileError: a file is malformed (the message names file, line and column) or a
            table is missing; nothing is written.
    """
    q = parse_quarter(quarter)
    if q.id == VENDORED.release_id.removeprefix("ncci-"):
        raise InputError(
            f"{q.name} is the NCCI quarter shipped with medcoder; import a newer one",
            field="quarter",
        )
    start = effective or q.first_day
    if not q.first_day - dt.timedelta(days=92) <= start <= q.last_day:
        raise InputError(
            f"effective date {start.isoformat()} is not in or just before {q.name} "
            f"({q.first_day.isoformat()} to {q.last_day.isoformat()})",
            field="effective",
        )
    sources, ignored, downloads = _collect(source)
    root = user_data / "ncci"
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".import-{q.id}-", dir=root))
    try:
        files = _convert(sources, tmp, start, setting, ignored)
        tables = {name: sum(f.rows for f in files if f.table == name) for name in _table_names()}
        missing = [name for name in tables if not any(f.table == name for f in files)]
        if missing:
            raise DataFileError(
                f"{source} has no file for {', '.join(_describe(m) for m in missing)}; "
                "an NCCI quarter needs both PTP tables, all three MUE tables and the add-on "
                "code edits" + (f" (not recognised: {', '.join(ignored)})" if ignored else ""),
                path=str(source),
            )
        meta = {
            "quarter": q.name,
            "effective_from": start.isoformat(),
            "nominal_end": q.last_day.isoformat(),
            "imported_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "downloads": downloads,
            "files": [
                {"name": f.name, "table": f.table, "rows": f.rows, "skipped": f.skipped}
                for f in files
            ],
            "tables": tables,
        }
        (tmp / RELEASE_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        dest = root / q.id
        replaced = dest.exists()
        if replaced:
            old = Path(tempfile.mkdtemp(prefix=f".old-{q.id}-", dir=root))
            dest.rename(old / q.id)
            tmp.rename(dest)
            shutil.rmtree(old)
        else:
            tmp.rename(dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return NcciImportResult(
        q.name, f"NCCI {q.year} Q{q.number}", start, q.last_day, dest, tuple(files), tables,
        tuple(ignored), replaced,
    )  # fmt: skip


def _table_names() -> list[str]:
    return [*IMPORTED_PTP.values(), *IMPORTED_MUE.values(), IMPORTED_AOC]


def _describe(table: str) -> str:
    return {
        IMPORTED_PTP["practitioner"]: "practitioner PTP edits",
        IMPORTED_PTP["outpatient_hospital"]: "outpatient hospital PTP edits",
        IMPORTED_MUE["practitioner"]: "practitioner MUEs",
        IMPORTED_MUE["outpatient_hospital"]: "outpatient hospital MUEs",
        IMPORTED_MUE["dme"]: "DME supplier MUEs",
        IMPORTED_AOC: "add-on code edits",
    }[table]


# -- finding the files -------------------------------------------------------------------------
def _collect(source: Path) -> tuple[list[_Source], list[str], list[dict[str, str]]]:
    """Text files under ``source`` (zips opened), files ignored, and each download's sha256."""
    if not source.exists():
        raise InputError(f"{source} does not exist", field="source")
    paths = sorted(p for p in source.rglob("*") if p.is_file()) if source.is_dir() else [source]
    sources: list[_Source] = []
    ignored: list[str] = []
    downloads: list[dict[str, str]] = []
    for path in paths:
        name = str(path.relative_to(source)) if source.is_dir() else path.name
        if path.name.startswith("."):
            continue
        suffix = path.suffix.lower()
        if suffix not in (*_TEXT_SUFFIXES, ".zip"):
            ignored.append(name)
            continue
        downloads.append({"file": name, "sha256": _sha256(path)})
        if suffix == ".zip":
            _zip_members(path.read_bytes(), name, sources, ignored)
        else:
            sources.append(_Source(name, lambda p=path: p.open("rb")))  # type: ignore[misc]
    return sources, ignored, downloads


def _zip_members(blob: bytes, name: str, sources: list[_Source], ignored: list[str]) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(blob))
    except zipfile.BadZipFile as exc:
        raise DataFileError(f"{name} is not a readable zip file: {exc}", path=name) from exc
    for member in sorted(archive.namelist()):
        full = f"{name}/{member}"
        lower = member.lower()
        if member.endswith("/") or Path(member).name.startswith((".", "__")):
            continue
        if lower.endswith(".zip"):
            _zip_members(archive.read(member), full, sources, ignored)
        elif lower.endswith(_TEXT_SUFFIXES):
            sources.append(_Source(full, lambda a=archive, m=member: a.open(m)))  # type: ignore[misc]
        else:
            ignored.append(full)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- reading one file ---------------------------------------------------------------------------
@dataclass
class _Layout:
    """A recognised header: the kind of table, its setting, and column positions by role."""

    table: Table
    setting: Setting | None
    columns: dict[str, int]
    labels: list[str]


def _open_text(src: _Source) -> IO[str]:
    """Text of a CMS file: UTF-8 when its start decodes as such, else Windows-1252."""
    with src.open() as f:
        head = f.read(1 << 16)
    try:
        head.decode("utf-8")
        encoding = "utf-8-sig"
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still UTF-8.
        encoding = "utf-8-sig" if exc.start >= len(head) - 3 else "cp1252"
    return io.TextIOWrapper(src.open(), encoding=encoding, errors="replace", newline="")


def _norm(cell: str) -> str:
    return " ".join(cell.replace("\ufeff", "").split()).lower()


def _find(labels: list[str], *tests: Callable[[str], bool]) -> int | None:
    """The first column whose label passes the earliest test that any column passes."""
    for test in tests:
        for i, label in enumerate(labels):
            if test(label):
                return i
    return None


def _layout(labels: list[str], name: str, setting: Setting | None) -> _Layout | None:
    """Recognise a PTP, MUE or add-on code header from its (merged) column labels."""
    cols: dict[str, int | None]
    lower = name.lower()
    if any(x.startswith("column 1") for x in labels) and any(
        x.startswith("column 2") for x in labels
    ):
        cols = {
            "column1": _find(labels, lambda x: x.startswith("column 1")),
            "column2": _find(labels, lambda x: x.startswith("column 2")),
            "modifier": _find(labels, lambda x: "modifier" in x),
            "rationale": _find(labels, lambda x: "rationale" in x),
            "effective": _find(labels, lambda x: "effective" in x),
            "deletion": _find(labels, lambda x: "deletion" in x),
        }
        pra = "practitioner" in lower or "pra" in lower
        oph = "hospital" in lower or "oph" in lower
        found: Setting | None = "practitioner" if pra and not oph else None
        found = "outpatient_hospital" if oph and not pra else found
        return _checked("ptp", found or _ptp_setting(setting, name), cols, labels, name)
    if any("mue value" in x for x in labels):
        units = _find(labels, lambda x: "mue value" in x)
        assert units is not None
        cols = {
            "code": _find(labels, lambda x: "hcpcs" in x, lambda x: "code" in x and "mue" not in x),
            "units": units,
            "mai": _find(labels, lambda x: "adjudication" in x),
            "rationale": _find(labels, lambda x: "rationale" in x),
        }
        return _checked("mue", _mue_setting(labels[units], name, setting), cols, labels, name)
    addon_names = ("add-on code", "add on code", "addon code", "aoc")
    if any(x in addon_names for x in labels) and any("primary code" in x for x in labels):
        cols = {
            "addon": _find(labels, lambda x: x in addon_names),
            "primary": _find(labels, lambda x: x == "primary code", lambda x: "primary code" in x),
            "type": _find(labels, lambda x: "type" in x and "date" not in x),
            "effective": _find(
                labels,
                lambda x: "effective" in x and ("edit" in x or x.startswith("aoc")),
                lambda x: "effective" in x and "code" not in x,
            ),
            "deletion": _find(
                labels,
                lambda x: "deletion" in x and ("edit" in x or x.startswith("aoc")),
                lambda x: "deletion" in x and "code" not in x,
            ),
        }
        return _checked("aoc", None, cols, labels, name)
    return None


_REQUIRED: dict[Table, tuple[str, ...]] = {
    "ptp": ("column1", "column2", "modifier"),
    "mue": ("code", "units", "mai"),
    "aoc": ("addon", "primary", "type"),
}
_ROLE_NAMES = {
    "column1": "Column 1", "column2": "Column 2", "modifier": "Modifier", "code": "HCPCS/CPT Code",
    "units": "MUE Values", "mai": "MUE Adjudication Indicator", "addon": "Add-on Code",
    "primary": "Primary Code", "type": "AOC Edit Type",
}  # fmt: skip


def _checked(
    table: Table, setting: Setting | None, cols: dict[str, int | None], labels: list[str], name: str
) -> _Layout:
    missing = [_ROLE_NAMES[r] for r in _REQUIRED[table] if cols.get(r) is None]
    if missing:
        raise DataFileError(
            f"{name}: the header has no {', '.join(repr(m) for m in missing)} column", path=name
        )
    return _Layout(table, setting, {r: i for r, i in cols.items() if i is not None}, labels)


def _ptp_setting(setting: Setting | None, name: str) -> Setting:
    if setting in ("practitioner", "outpatient_hospital"):
        return setting
    raise InputError(
        f"{name}: cannot tell whether it holds practitioner or outpatient hospital PTP edits "
        "(the name has neither 'practitioner'/'pra' nor 'hospital'/'oph'); "
        "pass --setting practitioner or --setting outpatient_hospital",
        field="setting",
    )


_MUE_WORDS: dict[Setting, tuple[str, ...]] = {
    "practitioner": ("practitioner",),
    "outpatient_hospital": ("hospital", "oph"),
    "dme": ("dme",),
}


def _mue_setting(label: str, name: str, setting: Setting | None) -> Setting:
    for text in (label, name.lower()):
        hits = [s for s, words in _MUE_WORDS.items() if any(w in text for w in words)]
        if len(hits) == 1:
            return hits[0]
    if setting is not None:
        return setting
    raise InputError(
        f"{name}: cannot tell which MUE table it is (practitioner, outpatient hospital or "
        "DME supplier); pass --setting",
        field="setting",
    )


def _convert(
    sources: list[_Source],
    out: Path,
    start: dt.date,
    setting: Setting | None,
    ignored: list[str],
) -> list[FileImport]:
    """Read every source into the converted tables under ``out``; returns per-file counts."""
    results: list[FileImport] = []
    with ExitStack() as stack:
        writers: dict[str, Any] = {}

        def writer(table: str, header: tuple[str, ...]) -> Any:
            if table not in writers:
                f = stack.enter_context(
                    gzip.open(out / (table + ".gz"), "wt", encoding="utf-8", newline="")
                )
                writers[table] = csv.writer(f, lineterminator="\n")
                writers[table].writerow(header)
            return writers[table]

        for src in sources:
            result = _convert_one(src, start, setting, writer)
            if result is None:
                ignored.append(src.name)
            else:
                results.append(result)
    return results


def _convert_one(
    src: _Source, start: dt.date, setting: Setting | None, writer: _WriterFor
) -> FileImport | None:
    with _open_text(src) as text:
        head: list[str] = []
        for _ in range(5):
            line = text.readline()
            head.append(line)
        delimiter = "\t" if any("\t" in h for h in head) else ","
        rows = csv.reader(_chain(head, text), delimiter=delimiter)
        header: list[list[str]] = []
        layout: _Layout | None = None
        for row in rows:
            if layout is None and not header:
                if rows.line_num > _HEADER_SEARCH_LINES:
                    return None
                if _layout([_norm(c) for c in row], src.name, setting) is None:
                    continue
                header.append(row)
                continue
            if layout is None:
                if not any(_CODE.fullmatch(c.strip()) for c in row):
                    header.append(row)  # a header split over several lines
                    continue
                layout = _layout(_merge(header), src.name, setting)
                assert layout is not None
            return _rows_into(src.name, layout, _chain_rows(row, rows), rows, start, writer)
    return None


def _chain(head: list[str], rest: IO[str]) -> Iterator[str]:
    yield from head
    yield from rest


def _chain_rows(first: list[str], rest: Iterator[list[str]]) -> Iterator[list[str]]:
    yield first
    yield from rest


def _merge(header: list[list[str]]) -> list[str]:
    width = max(len(r) for r in header)
    return [_norm(" ".join(r[i] for r in header if i < len(r))) for i in range(width)]


_DISPLAY = {**_ROLE_NAMES, "effective": "Effective Date", "deletion": "Deletion Date"}


def _rows_into(
    name: str,
    layout: _Layout,
    rows: Iterator[list[str]],
    reader: Any,
    start: dt.date,
    writer_for: _WriterFor,
) -> FileImport:
    """Validate and write the data rows of one file; every problem names file, line, column."""
    cols = layout.columns
    header: tuple[str, ...]
    if layout.table == "ptp":
        assert layout.setting is not None
        table, header = IMPORTED_PTP[layout.setting], (*_PTP_COLUMNS, *_DATES)
    elif layout.table == "mue":
        assert layout.setting is not None
        table, header = IMPORTED_MUE[layout.setting], _MUE_COLUMNS
    else:
        table, header = IMPORTED_AOC, (*_AOC_COLUMNS, *_DATES)
    out = writer_for(table, header)
    written = 0
    skipped: dict[str, int] = {}
    deleted = f"deleted before {start.isoformat()}"
    for row in rows:
        filled = [c.strip() for c in row if c.strip()]
        if not filled:
            continue
        line = reader.line_num

        def cell(role: str, row: list[str] = row, line: int = line) -> str:
            index = cols.get(role)
            if index is None:
                return ""
            if index >= len(row):
                raise DataFileError(
                    f"{name}, line {line}: {len(row)} columns, no {_DISPLAY[role]!r} column "
                    f"(the header has {len(layout.labels)})",
                    path=name,
                )
            return row[index].strip()

        def bad(role: str, expected: str, line: int = line) -> DataFileError:
            return DataFileError(
                f"{name}, line {line}, column {_DISPLAY[role]!r}: {cell(role)!r} is not "
                + expected,
                path=name,
            )

        first = cell("column1" if layout.table == "ptp" else "code" if layout.table == "mue"
                     else "addon")  # fmt: skip
        if len(filled) == 1 and not _CODE.fullmatch(first):
            skipped["text line, not an edit"] = skipped.get("text line, not an edit", 0) + 1
            continue
        codes = {"ptp": ("column1", "column2"), "mue": ("code",), "aoc": ("addon", "primary")}
        for role in codes[layout.table]:
            if not _CODE.fullmatch(cell(role)):
                raise bad(role, "a CPT/HCPCS code (5 capital letters or digits)")
        if layout.table == "mue":
            units, mai = cell("units"), re.match(r"([123])\b", cell("mai"))
            if not units.isdigit():
                raise bad("units", "a number of units")
            if mai is None:
                raise bad("mai", "an MUE adjudication indicator 1, 2 or 3")
            service = _SERVICE[layout.setting or "practitioner"]
            out.writerow((cell("code"), int(units), mai[1], cell("rationale"), service))
            written += 1
            continue
        effective, deletion = _date(cell("effective")), _date(cell("deletion"))
        if effective is False:
            raise bad("effective", "a date (YYYYMMDD)")
        if deletion is False:
            raise bad("deletion", "a date (YYYYMMDD) or *")
        if deletion is not None and deletion <= start:
            skipped[deleted] = skipped.get(deleted, 0) + 1
            continue
        dates = (effective.isoformat() if effective else "",
                 deletion.isoformat() if deletion else "")  # fmt: skip
        if layout.table == "ptp":
            indicator = re.match(r"([019])\b", cell("modifier"))
            if indicator is None:
                raise bad("modifier", "a modifier indicator 0, 1 or 9")
            out.writerow((cell("column1"), cell("column2"), indicator[1], cell("rationale"),
                          *dates))  # fmt: skip
        else:
            edit_type = re.match(r"([123])\b", cell("type"))
            if edit_type is None:
                raise bad("type", "an add-on code edit type 1, 2 or 3")
            out.writerow((cell("primary"), cell("addon"), edit_type[1], *dates))
        written += 1
    return FileImport(name, table, written, skipped)


def _date(text: str) -> dt.date | None | Literal[False]:
    """A CMS date (``20260101``; ISO and ``01/01/2026`` accepted); None for ``*``/empty.

    False when the text is not a date, so the caller can name the line and column.
    """
    if text in ("", "*"):
        return None
    try:
        if re.fullmatch(r"\d{8}", text):
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", text):
            month, day, year = (int(x) for x in text.split("/"))
            return dt.date(year, month, day)
        return dt.date.fromisoformat(text)
    except ValueError:
        return False
