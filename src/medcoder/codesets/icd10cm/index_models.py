"""Result values of the ICD-10-CM Alphabetic Index, Neoplasm Table, Drug Table and External
Cause Index, and the term normalisation shared by their builders and their reader."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "Behavior",
    "CodeStatus",
    "DrugEntry",
    "IndexChild",
    "IndexEntry",
    "Intent",
    "NeoplasmEntry",
    "TableCode",
    "dotted",
    "normalize_term",
    "split_nonessential",
]

_NON_WORD = re.compile(r"[^0-9a-z]+")
_GROUP = re.compile(r"\(([^()]*)\)")


def normalize_term(text: str) -> str:
    """Lower case, accents and punctuation removed, single spaces: ``"Hb-SS"`` -> ``"hb ss"``."""
    folded = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", plain).strip()


def split_nonessential(text: str | None) -> tuple[str, ...]:
    """The parenthesised groups of a nonessential-modifier string, normalised.

    ``"(-astasia) (hysterical)"`` -> ``("astasia", "hysterical")``.
    """
    if not text:
        return ()
    groups = _GROUP.findall(text) or [text]
    return tuple(g for g in (normalize_term(x) for x in groups) if g)


def dotted(code: str | None) -> str | None:
    """``"J690"`` -> ``"J69.0"``, ``"C504-"`` -> ``"C50.4-"``, ``"C50-"`` -> ``"C50.-"``."""
    if not code:
        return None
    dash = code.endswith("-")
    body = code.rstrip("-")
    if len(body) > 3:
        body = f"{body[:3]}.{body[3:]}"
    elif dash:
        body += "."
    return body + ("-" if dash else "")


class CodeStatus(StrEnum):
    """What a code printed in the Index or a Table is worth for the FY2026 release."""

    VALID = "valid"  # a complete, billable FY2026 code
    INCOMPLETE = "incomplete"  # more characters needed (a dash, a 7th character, a subcategory)
    EXPANDED = "expanded"  # complete in FY2025, subdivided in FY2026: more characters needed
    MAPPED = "mapped"  # not in FY2026; replaced by the CMS FY2025->FY2026 conversion
    UNMAPPED = "unmapped"  # not in FY2026 and no conversion: the Index gives no usable code

    @property
    def needs_more_characters(self) -> bool:
        return self in (CodeStatus.INCOMPLETE, CodeStatus.EXPANDED)


class Behavior(StrEnum):
    """The six code columns of the Neoplasm Table, in table order."""

    MALIGNANT_PRIMARY = "malignant-primary"
    MALIGNANT_SECONDARY = "malignant-secondary"
    IN_SITU = "in-situ"
    BENIGN = "benign"
    UNCERTAIN = "uncertain"
    UNSPECIFIED = "unspecified"


class Intent(StrEnum):
    """The six code columns of the Table of Drugs and Chemicals, in table order."""

    POISONING_ACCIDENTAL = "poisoning-accidental"
    POISONING_INTENTIONAL = "poisoning-intentional"
    POISONING_ASSAULT = "poisoning-assault"
    POISONING_UNDETERMINED = "poisoning-undetermined"
    ADVERSE_EFFECT = "adverse-effect"
    UNDERDOSING = "underdosing"


@dataclass(frozen=True, slots=True)
class IndexChild:
    """A subterm below an entry, with its own subterms down to the requested depth."""

    id: int
    term: str
    nonessential: str | None
    code: str | None
    see: str | None
    see_also: str | None
    children: tuple[IndexChild, ...]
    has_more: bool  # subterms exist below the depth limit


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One term of the Alphabetic Index or the External Cause Index, as a coder reads it.

    ``code`` is dotted; when ``more_characters_needed`` is True it is incomplete (a trailing
    dash, a missing 7th character, or a code FY2026 subdivided) and must be completed in the
    Tabular List. ``followed`` lists the ``see`` cross-references followed to reach this entry
    (``"Abdominalgia -> see Pain, abdominal"``); ``matched_nonessential`` names the nonessential
    modifier a requested subterm matched (the entry itself is then the answer).
    """

    id: int
    source: str  # "index" or "external-cause"
    path: tuple[str, ...]
    term: str
    nonessential: str | None
    code: str | None
    code_status: CodeStatus | None
    more_characters_needed: bool
    code_fy2025: str | None
    see: str | None
    see_also: str | None
    followed: tuple[str, ...]
    matched_nonessential: tuple[str, ...]
    children: tuple[IndexChild, ...]
    note: str | None = None


@dataclass(frozen=True, slots=True)
class TableCode:
    """One cell of the Neoplasm Table or the Drug Table: ``code`` is None where the table
    prints a dash (no code for that column)."""

    path: tuple[str, ...]
    column: str
    code: str | None
    code_status: CodeStatus | None
    more_characters_needed: bool
    followed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NeoplasmEntry:
    """A Neoplasm Table site with its six behavior columns (dotted codes, None for a dash)."""

    id: int
    path: tuple[str, ...]
    nonessential: str | None
    see: str | None
    see_also: str | None
    malignant_primary: str | None
    malignant_secondary: str | None
    in_situ: str | None
    benign: str | None
    uncertain: str | None
    unspecified: str | None
    followed: tuple[str, ...]
    children: tuple[IndexChild, ...]

    def code(self, behavior: Behavior | str) -> str | None:
        return getattr(self, Behavior(behavior).name.lower())  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class DrugEntry:
    """A Table of Drugs and Chemicals substance with its six intent columns."""

    id: int
    path: tuple[str, ...]
    nonessential: str | None
    see: str | None
    see_also: str | None
    poisoning_accidental: str | None
    poisoning_intentional: str | None
    poisoning_assault: str | None
    poisoning_undetermined: str | None
    adverse_effect: str | None
    underdosing: str | None
    followed: tuple[str, ...]
    children: tuple[IndexChild, ...]

    def code(self, intent: Intent | str) -> str | None:
        return getattr(self, Intent(intent).name.lower())  # type: ignore[no-any-return]
