"""Which code system a code belongs to, from its shape (used by `medcoder lookup` and friends)."""

from __future__ import annotations

import re
from enum import StrEnum

__all__ = ["SystemName", "candidate_systems", "clean_code"]


class SystemName(StrEnum):
    """Code systems as a user names them on the command line (finer than :class:`CodeSystem`)."""

    ICD10CM = "icd10cm"
    ICD10PCS = "icd10pcs"
    HCPCS = "hcpcs"
    CPT = "cpt"
    MODIFIER = "modifier"
    POS = "pos"
    CARC = "carc"
    RARC = "rarc"
    GROUP = "group"


_SHAPES: tuple[tuple[SystemName, re.Pattern[str]], ...] = (
    (SystemName.ICD10CM, re.compile(r"[A-Z][0-9][0-9A-Z]([0-9A-Z]{1,4})?")),
    # PCS: 7 characters, no I or O; sections are 0-9, B-D, F-H, X.
    (SystemName.ICD10PCS, re.compile(r"[0-9BCDFGHX][0-9A-HJ-NP-Z]{6}")),
    (SystemName.HCPCS, re.compile(r"[A-V][0-9]{4}")),
    (SystemName.CPT, re.compile(r"[0-9]{4}[0-9FTU]")),
    (SystemName.POS, re.compile(r"[0-9]{2}")),
    (SystemName.GROUP, re.compile(r"CO|PR|OA|PI|CR")),
    (SystemName.MODIFIER, re.compile(r"[0-9A-Z]{2}")),
)


def clean_code(text: str) -> str:
    """Upper case, without dots and surrounding white space."""
    return text.strip().replace(".", "").upper()


def candidate_systems(text: str) -> list[SystemName]:
    """Systems whose code shape ``text`` has, most likely first (may be several, or none).

    >>> candidate_systems("E11.9")
    [<SystemName.ICD10CM: 'icd10cm'>]
    >>> candidate_systems("E1165")          # an ICD-10-CM code and an HCPCS shape
    [<SystemName.ICD10CM: 'icd10cm'>, <SystemName.HCPCS: 'hcpcs'>]
    """
    if "." in text:  # only ICD-10-CM is written with a dot
        return [SystemName.ICD10CM] if _SHAPES[0][1].fullmatch(clean_code(text)) else []
    code = clean_code(text)
    return [system for system, shape in _SHAPES if shape.fullmatch(code)]
