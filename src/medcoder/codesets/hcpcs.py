"""HCPCS Level II codes and modifiers, with the dose a drug code is billed in.

Example:
    >>> kb.hcpcs.lookup("J1885").long_description
    'Injection, ketorolac tromethamine, per 15 mg'
    >>> kb.hcpcs.billing_unit("J1885")
    BillingUnit(quantity=Decimal('15'), unit='mg', text='per 15 mg', up_to=False)
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import sqlite3
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from medcoder.codesets._cpt_modifiers import CPT_MODIFIERS, NCCI_PTP_MODIFIERS
from medcoder.codesets._query import fts_query, nearest_codes
from medcoder.codesets.datafiles import DataDir
from medcoder.codesets.releases import CodeSystem, register_release
from medcoder.errors import CodeFormatError, DataFileError, UnknownCodeError

if TYPE_CHECKING:
    from medcoder.codesets.kb import KnowledgeBase

__all__ = [
    "BUILDER",
    "BillingUnit",
    "Hcpcs",
    "HcpcsCode",
    "HcpcsHit",
    "HcpcsValidation",
    "Modifier",
    "parse_billing_unit",
]

CODES = "hcpcs-2026/hcpcs_codes.csv"
MODIFIERS = "code-lists/hcpcs_modifiers_2024-06.csv"
ATTRIBUTES = "ncci-2024q3/hcpcs_lvl2_attributes_2024-07.csv"
RELEASE_ID = "hcpcs-2026q1"
_SYSTEM = "hcpcs"
_CODE = re.compile(r"[A-Z][0-9]{4}")
_MODIFIER = re.compile(r"[0-9A-Z]{2}")

SCHEMA = """
CREATE TABLE hcpcs_code (
    release_id TEXT NOT NULL,
    code TEXT NOT NULL,
    short_description TEXT NOT NULL,
    long_description TEXT NOT NULL,
    -- from the July 2024 HCPCS attributes file (NULL for codes added since):
    coverage TEXT,              -- C carrier judgement, D special coverage, I not payable, ...
    pricing TEXT,               -- pricing indicator
    betos TEXT,
    type_of_service TEXT,
    date_added TEXT,
    date_terminated TEXT,
    PRIMARY KEY (release_id, code)
) WITHOUT ROWID;
CREATE TABLE hcpcs_modifier (
    release_id TEXT NOT NULL,
    code TEXT NOT NULL,
    level TEXT NOT NULL,        -- 'HCPCS' (Level II, official) or 'CPT' (medcoder's wording)
    short_description TEXT,
    description TEXT NOT NULL,
    category TEXT,
    correct_use TEXT,
    incorrect_use TEXT,
    ncci_ptp INTEGER NOT NULL,  -- 1: may bypass a PTP edit with modifier indicator 1
    PRIMARY KEY (release_id, code)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE hcpcs_fts USING fts5(
    code UNINDEXED, release_id UNINDEXED, short_description, long_description,
    tokenize = 'porter unicode61'
);
"""

#: Coverage codes of the HCPCS file (record layout, field "coverage code").
COVERAGE: dict[str, str] = {
    "C": "carrier judgment",
    "D": "special coverage instructions apply",
    "I": "not payable by Medicare",
    "M": "non-covered by Medicare",
    "S": "non-covered by Medicare statute",
}


@dataclass(frozen=True, slots=True)
class BillingUnit:
    """The amount of drug one billed unit stands for, as the descriptor states it."""

    quantity: Decimal
    unit: str
    text: str
    up_to: bool = False


@dataclass(frozen=True, slots=True)
class HcpcsCode:
    """An HCPCS Level II code."""

    code: str
    short_description: str
    long_description: str
    release_id: str
    coverage: str | None
    coverage_meaning: str | None
    betos: str | None
    date_added: dt.date | None
    billing_unit: BillingUnit | None


@dataclass(frozen=True, slots=True)
class HcpcsHit:
    code: str
    short_description: str
    long_description: str


@dataclass(frozen=True, slots=True)
class HcpcsValidation:
    code: str
    valid: bool
    reason: str
    release_id: str
    stale: bool
    description: str | None = None
    suggestions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Modifier:
    """A two-character modifier. ``level`` 'CPT' means medcoder's wording, not the AMA's."""

    code: str
    level: str
    description: str
    short_description: str | None
    category: str | None
    correct_use: str | None
    incorrect_use: str | None
    ncci_ptp: bool


# "per 250 mg", "per milligram", ", 1 microgram", "up to 1000 mcg", ", 250 cc", "per iu"
_UNITS: dict[str, str] = {
    "mg": "mg", "milligram": "mg", "milligrams": "mg",
    "mcg": "mcg", "microgram": "mcg", "micrograms": "mcg",
    "g": "g", "gm": "g", "gram": "g", "grams": "g",
    "ml": "mL", "cc": "mL",
    "unit": "units", "units": "units", "u": "units",
    "iu": "IU", "i.u.": "IU", "kiu": "KIU",
    "meq": "mEq",
}  # fmt: skip
_UNIT_WORDS = "|".join(sorted((re.escape(u) for u in _UNITS), key=len, reverse=True))
_DOSE = re.compile(
    rf"(?:^|(?P<lead>\bper|\bup to)\s+)(?P<qty>\d[\d,]*(?:\.\d+)?)?\s*(?P<unit>{_UNIT_WORDS})"
    r"(?![\w.])",
    re.IGNORECASE,
)
_REMARK = re.compile(r"\([^)]*\)")  # "(non-esrd use)", "(antihemophilic factor, human)"
# Clauses are split at commas, but not at a thousands separator ("100,000 units").
_CLAUSE = re.compile(r",(?!\d{3}(?!\d))")


def parse_billing_unit(description: str) -> BillingUnit | None:
    """The dose a drug descriptor bills per unit, e.g. ``per 15 mg`` -> 15 mg; else None.

    A dose counts when it opens a comma-separated clause (``Injection, pembrolizumab, 1 mg``)
    or follows ``per`` / ``up to``; a number inside a drug name or a combination product
    (``betamethasone acetate 3 mg and ...``) does not.
    """
    for clause in _CLAUSE.split(_REMARK.sub("", description)):
        match = _DOSE.search(clause.strip())
        if not match or (match["qty"] is None and not match["lead"]):
            continue
        qty = Decimal(match["qty"].replace(",", "")) if match["qty"] else Decimal(1)
        up_to = (match["lead"] or "").lower() == "up to"
        return BillingUnit(qty, _UNITS[match["unit"].lower()], match[0].strip(), up_to)
    return None


def _date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


class _HcpcsBuilder:
    name = "hcpcs"
    sources = (CODES, MODIFIERS, ATTRIBUTES)

    def build(self, con: sqlite3.Connection, data: DataDir) -> dict[str, int]:
        register_release(
            con,
            id=RELEASE_ID,
            system=CodeSystem.HCPCS,
            label="HCPCS Level II 2026 January quarter",
            effective_from=dt.date(2026, 1, 1),
            nominal_end=dt.date(2026, 3, 31),
            source=CODES,
        )
        con.executescript(SCHEMA)
        with data.open_text(ATTRIBUTES) as f:
            attributes = {row["hcpcs_code"]: row for row in csv.DictReader(f)}
        codes: list[tuple[str, ...]] = []
        level2_modifiers: dict[str, tuple[str, str]] = {}
        with data.open_text(CODES) as f:
            for row in csv.DictReader(f):
                code = row["HCPCS_CODE"]
                short, long = row["SHORT_DESCRIPTION"], row["LONG_DESCRIPTION"]
                if _MODIFIER.fullmatch(code):
                    level2_modifiers[code] = (short, long)
                elif _CODE.fullmatch(code):
                    codes.append((code, short, long))
                else:
                    raise DataFileError(f"unexpected HCPCS code {code!r}", path=CODES)
        con.executemany(
            "INSERT INTO hcpcs_code VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (RELEASE_ID, code, short, long, a.get("cov") or None, a.get("price") or None,
                 a.get("betos") or None, a.get("tos") or None, a.get("date_added") or None,
                 a.get("date_term") or None)
                for code, short, long in codes
                for a in (attributes.get(code, {}),)
            ),
        )  # fmt: skip
        con.executemany(
            "INSERT INTO hcpcs_fts VALUES (?, ?, ?, ?)",
            ((code, RELEASE_ID, short, long) for code, short, long in codes),
        )
        modifiers = self._modifiers(data, level2_modifiers)
        con.executemany("INSERT INTO hcpcs_modifier VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", modifiers)
        return {"hcpcs_code": len(codes), "hcpcs_modifier": len(modifiers)}

    @staticmethod
    def _modifiers(
        data: DataDir, level2: dict[str, tuple[str, str]]
    ) -> list[tuple[str | int | None, ...]]:
        details: dict[str, dict[str, str]] = {}
        with data.open_text(MODIFIERS) as f:
            for row in csv.DictReader(f):
                # KX is listed twice (General, Therapy): keep the first category.
                details.setdefault(row["mod_code"], row)
        rows: list[tuple[str | int | None, ...]] = []
        for code in sorted(set(level2) | set(details)):
            short, long = level2.get(code, (None, details[code]["mod_description"]))
            extra = details.get(code, {})
            rows.append(
                (RELEASE_ID, code, "HCPCS", short, long, extra.get("mod_category") or None,
                 extra.get("mod_correct_use") or None, extra.get("mod_incorrect_use") or None,
                 int(code in NCCI_PTP_MODIFIERS))
            )  # fmt: skip
        for code, wording in CPT_MODIFIERS.items():
            rows.append(
                (RELEASE_ID, code, "CPT", None, wording, None, None, None,
                 int(code in NCCI_PTP_MODIFIERS))
            )  # fmt: skip
        return rows


BUILDER = _HcpcsBuilder()


def _clean(code: str, shape: re.Pattern[str], what: str) -> str:
    cleaned = code.strip().upper()
    if not shape.fullmatch(cleaned):
        raise CodeFormatError(f"{code!r} is not {what}", code=code, system=_SYSTEM)
    return cleaned


_MODIFIER_COLUMNS = (
    "code, level, description, short_description, category, correct_use, incorrect_use, ncci_ptp"
)


def _modifier(row: tuple[str | None, ...]) -> Modifier:
    code, level, description, short, category, correct, incorrect, ncci_ptp = row
    return Modifier(
        code=str(code),
        level=str(level),
        description=str(description),
        short_description=short,
        category=category,
        correct_use=correct,
        incorrect_use=incorrect,
        ncci_ptp=bool(ncci_ptp),
    )


class Hcpcs:
    """HCPCS Level II codes and modifiers (``kb.hcpcs``)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self._kb = kb

    def _row(self, code: str, release_id: str) -> tuple[str, ...] | None:
        row: tuple[str, ...] | None = self._kb.con.execute(
            "SELECT code, short_description, long_description, coverage, betos, date_added "
            "FROM hcpcs_code WHERE release_id = ? AND code = ?",
            (release_id, code),
        ).fetchone()
        return row

    def lookup(self, code: str) -> HcpcsCode:
        """An HCPCS Level II code of the newest release.

        Raises:
            CodeFormatError: not a letter and four digits.
            UnknownCodeError: not in the code set (``suggestions``: codes sharing a prefix).
        """
        cleaned = _clean(code, _CODE, "an HCPCS Level II code (a letter and four digits)")
        release_id = self._kb.release_for(CodeSystem.HCPCS).id
        row = self._row(cleaned, release_id)
        if row is None:
            raise UnknownCodeError(
                f"{cleaned} is not an HCPCS Level II code",
                code=code,
                system=_SYSTEM,
                suggestions=nearest_codes(self._kb.con, "hcpcs_code", release_id, cleaned),
            )
        code_, short, long, coverage, betos, added = row
        return HcpcsCode(
            code=code_,
            short_description=short,
            long_description=long,
            release_id=release_id,
            coverage=coverage,
            coverage_meaning=COVERAGE.get(coverage or ""),
            betos=betos,
            date_added=_date(added or ""),
            billing_unit=parse_billing_unit(long),
        )

    def billing_unit(self, code: str) -> BillingUnit | None:
        """The dose one unit of ``code`` stands for (``J0696`` -> 250 mg), None if not stated."""
        return self.lookup(code).billing_unit

    def validate(self, code: str, day: dt.date | None = None) -> HcpcsValidation:
        """Is ``code`` in the HCPCS release in force on ``day``?

        Raises:
            CodeFormatError: not a letter and four digits.
            NoReleaseError: ``day`` is before the oldest HCPCS release.
        """
        cleaned = _clean(code, _CODE, "an HCPCS Level II code (a letter and four digits)")
        release = self._kb.release_for(CodeSystem.HCPCS, day)
        stale = day is not None and release.is_stale_on(day)
        row = self._row(cleaned, release.id)
        if row is not None:
            return HcpcsValidation(cleaned, True, "valid", release.id, stale, row[2])
        return HcpcsValidation(
            cleaned,
            False,
            f"not in {release.label}",
            release.id,
            stale,
            suggestions=nearest_codes(self._kb.con, "hcpcs_code", release.id, cleaned),
        )

    def search(self, text: str, limit: int = 15) -> tuple[HcpcsHit, ...]:
        """Codes whose short or long description holds every word of ``text``, best first."""
        query = fts_query(text)
        if query is None:
            return ()
        rows = self._kb.con.execute(
            "SELECT code, short_description, long_description FROM hcpcs_fts "
            "WHERE hcpcs_fts MATCH ? AND release_id = ? ORDER BY bm25(hcpcs_fts) LIMIT ?",
            (query, self._kb.release_for(CodeSystem.HCPCS).id, limit),
        ).fetchall()
        return tuple(HcpcsHit(*row) for row in rows)

    def modifier(self, code: str) -> Modifier:
        """A Level II modifier (official wording) or a common CPT modifier (medcoder's wording).

        Raises:
            CodeFormatError: not two letters/digits.
            UnknownCodeError: no such modifier.
        """
        cleaned = _clean(code, _MODIFIER, "a modifier (two letters or digits)")
        release_id = self._kb.release_for(CodeSystem.HCPCS).id
        row = self._kb.con.execute(
            f"SELECT {_MODIFIER_COLUMNS} FROM hcpcs_modifier WHERE release_id = ? AND code = ?",
            (release_id, cleaned),
        ).fetchone()
        if row is None:
            raise UnknownCodeError(
                f"{cleaned} is not a known modifier",
                code=code,
                system="modifier",
                suggestions=nearest_codes(self._kb.con, "hcpcs_modifier", release_id, cleaned),
            )
        return _modifier(row)

    def modifiers(self) -> tuple[Modifier, ...]:
        """Every modifier, in code order."""
        rows = self._kb.con.execute(
            f"SELECT {_MODIFIER_COLUMNS} FROM hcpcs_modifier WHERE release_id = ? ORDER BY code",
            (self._kb.release_for(CodeSystem.HCPCS).id,),
        ).fetchall()
        return tuple(_modifier(row) for row in rows)
