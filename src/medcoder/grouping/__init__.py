"""Inpatient and risk-adjustment views of a coded encounter: MS-DRG grouping and CMS-HCC V28.

A short tour::

    with KnowledgeBase.open() as kb, DrgGrouper(kb) as grouper:
        stay = grouper.group(encounter)          # DRG, MDC, CC/MCC roles, queries
    risk = score(encounter, payment_year=2026)   # HCCs after hierarchies, RAF score
"""

from medcoder.grouping.drg import (
    CcLevel,
    DiagnosisRole,
    DocumentationOpportunity,
    DrgGrouper,
    DrgResult,
    GrouperVersion,
    ProcedureRole,
    grouper_version_for,
)
from medcoder.grouping.hcc import (
    DualStatus,
    ExcludedDiagnosis,
    HccCategory,
    HccDemographics,
    HccResult,
    RafComponent,
    SupersededHcc,
    score,
)

__all__ = [
    "CcLevel",
    "DiagnosisRole",
    "DocumentationOpportunity",
    "DrgGrouper",
    "DrgResult",
    "DualStatus",
    "ExcludedDiagnosis",
    "GrouperVersion",
    "HccCategory",
    "HccDemographics",
    "HccResult",
    "ProcedureRole",
    "RafComponent",
    "SupersededHcc",
    "grouper_version_for",
    "score",
]
