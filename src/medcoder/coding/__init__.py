"""Diagnosis coding: notes -> ICD-10-CM codes with evidence and rationale."""

from medcoder.coding.diagnosis import CodingConfig, DiagnosisCoder
from medcoder.coding.result import (
    ASSIGNED_THRESHOLD,
    CodeSuggestion,
    CodingResult,
    DocumentationQuery,
    Evidence,
    Origin,
)

__all__ = [
    "ASSIGNED_THRESHOLD",
    "CodeSuggestion",
    "CodingConfig",
    "CodingResult",
    "DiagnosisCoder",
    "DocumentationQuery",
    "Evidence",
    "Origin",
]
