"""Checks a coder's replacement code against the knowledge base, and runs the edits on an
encounter's final code set. Takes values, returns values (no database, no HTTP)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from medcoder.codesets import KnowledgeBase
from medcoder.edits.encounter import Diagnosis, EncounterSetting, ServiceLine, Sex
from medcoder.edits.encounter import Encounter as EditEncounter
from medcoder.edits.encounter import Patient as EditPatient
from medcoder.edits.encounter import age_on as years_on
from medcoder.edits.engine import Editor, EditResult
from medcoder.errors import CodeError, InputError

__all__ = ["FinalCodes", "age_on", "check_code", "edit_final_codes"]

_CPT = re.compile(r"^[0-9]{4}[0-9FTU]$")
_DIAGNOSIS_SYSTEMS = ("ICD10CM",)
_LINE_SYSTEMS = ("CPT", "HCPCS")


def check_code(kb: KnowledgeBase, system: str, code: str, day: dt.date) -> str:
    """The code as the code set writes it, if it can be reported on ``day``.

    Raises:
        InputError: the code is not valid for ``system`` on ``day`` (field ``code``; the
            message names the reason and close valid codes).
    """
    try:
        if system == "ICD10CM":
            checked = kb.icd10cm.validate(code, day)
            if not checked.valid:
                near = f"; try {', '.join(checked.completions[:5])}" if checked.completions else ""
                raise InputError(f"{checked.code}: {checked.message}{near}", field="code")
            return checked.code
        if system == "HCPCS":
            hcpcs = kb.hcpcs.validate(code, day)
            if not hcpcs.valid:
                raise InputError(f"{hcpcs.code}: {hcpcs.reason}", field="code")
            return hcpcs.code
        if system == "PCS":
            pcs = kb.pcs.validate(code, day)
            if not pcs.valid:
                raise InputError(f"{pcs.code}: {pcs.reason}", field="code")
            return pcs.code
    except CodeError as exc:
        raise InputError(str(exc), field="code") from exc
    if system == "CPT":
        cleaned = code.strip().upper()
        if not _CPT.match(cleaned):
            raise InputError(f"{code!r} is not the shape of a CPT code", field="code")
        return cleaned
    raise InputError(f"codes of system {system} cannot be changed here", field="code")


def age_on(birth: dt.date, day: dt.date) -> int:
    """Age in whole years on ``day`` (clamped to 0..130 for the edits)."""
    return min(max(years_on(birth, day), 0), 130)


@dataclass(frozen=True, slots=True)
class FinalCodes:
    """The codes to bill, in sequence, per system."""

    diagnoses: Sequence[str]
    lines: Sequence[Mapping[str, Any]]  # service lines: code, modifiers, units, pointers
    procedures: Sequence[str]  # ICD-10-PCS


def edit_final_codes(
    kb: KnowledgeBase,
    codes: FinalCodes,
    *,
    encounter_id: str,
    date_of_service: dt.date,
    end_date: dt.date | None,
    setting: str,
    place_of_service: str | None,
    birth_date: dt.date,
    sex: str,
) -> EditResult:
    """The claim edits (:class:`~medcoder.edits.Editor`) on the final code set."""
    inpatient = setting == "inpatient"
    encounter = EditEncounter(
        id=encounter_id,
        date_of_service=date_of_service,
        discharge_date=end_date if inpatient else None,
        setting=EncounterSetting.INPATIENT if inpatient else EncounterSetting.OUTPATIENT,
        place_of_service=place_of_service,
        patient=EditPatient(
            age=age_on(birth_date, date_of_service),
            sex=Sex(sex) if sex in ("M", "F") else Sex.UNKNOWN,
        ),
        diagnoses=[Diagnosis(code=c) for c in codes.diagnoses],
        procedures=list(codes.procedures) if inpatient else [],
        lines=[ServiceLine.model_validate(line) for line in codes.lines],
    )
    return Editor(kb).edit(encounter)
