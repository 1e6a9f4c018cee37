"""Roles and who may do what. Every route names the roles allowed to call it."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "AUDIT",
    "CODE_REVIEW",
    "PHI_READ",
    "PHI_WRITE",
    "Role",
    "STAFF",
    "TOKEN_ISSUE",
]


class Role(StrEnum):
    """A user's role inside their organization."""

    ADMIN = "admin"
    CODER = "coder"
    BILLER = "biller"
    AUDITOR = "auditor"
    PROVIDER = "provider"
    PATIENT = "patient"


#: Everyone who works for the organization (not patients).
STAFF = (Role.ADMIN, Role.CODER, Role.BILLER, Role.AUDITOR, Role.PROVIDER)
#: Who may read patients, encounters, documents and codes (a patient only their own).
PHI_READ = (*STAFF, Role.PATIENT)
#: Who may create patients and encounters and upload documents.
PHI_WRITE = (Role.ADMIN, Role.CODER, Role.PROVIDER)
#: Who may accept, change or reject suggested codes.
CODE_REVIEW = (Role.ADMIN, Role.CODER)
#: Who may read the audit trail (not admins: those who administer are among the audited).
AUDIT = (Role.AUDITOR,)
#: Who may create API tokens (for themselves).
TOKEN_ISSUE = (Role.ADMIN, Role.CODER, Role.BILLER, Role.AUDITOR, Role.PROVIDER)
