"""A coding result as a coded encounter, so a coded note flows into the edits without glue.

``medcoder code NOTE --encounter out.json`` writes what :func:`encounter_from_coding`
returns; ``medcoder check out.json`` reads it back.

Example:
    >>> result = DiagnosisCoder(kb).code(document)
    >>> encounter = encounter_from_coding(result, patient=Patient(age=67, sex="F"))
    >>> Editor(kb).edit(encounter).passed
    True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from medcoder.coding.procedures import ProcedureResult
from medcoder.coding.result import CodingResult
from medcoder.coding.services import CodedService
from medcoder.edits.encounter import (
    Diagnosis,
    Encounter,
    EncounterSetting,
    Patient,
    ServiceLine,
    Sex,
    parse_encounter,
)
from medcoder.notes.document import Patient as NotePatient
from medcoder.notes.document import Sex as NoteSex

__all__ = ["encounter_from_coding", "encounter_to_json", "patient_from_note"]

_NOTE_SEX = {NoteSex.MALE: Sex.MALE, NoteSex.FEMALE: Sex.FEMALE}


def patient_from_note(patient: NotePatient) -> Patient | None:
    """The encounter's patient from what a note says, or None when it gives no age.

    An unknown sex becomes ``U`` (the age and sex edits then skip what needs it).
    """
    if patient.age is None:
        return None
    sex = _NOTE_SEX.get(patient.sex, Sex.UNKNOWN) if patient.sex else Sex.UNKNOWN
    return Patient(age=patient.age, sex=sex)


def encounter_from_coding(
    result: CodingResult,
    *,
    patient: Patient,
    setting: EncounterSetting | str | None = None,
    lines: Sequence[ServiceLine] = (),
    procedures: Sequence[str] = (),
    encounter_id: str | None = None,
    date_of_service: dt.date | None = None,
    place_of_service: str | None = None,
    payer: str | None = None,
    procedure_result: ProcedureResult | None = None,
) -> Encounter:
    """The coded encounter for ``result``: its assigned diagnoses, first-listed first.

    Only assigned codes (score at or above the threshold) are exported; suggestions for
    review are not billed.

    Args:
        result: what :class:`~medcoder.coding.diagnosis.DiagnosisCoder` returned.
        patient: age and sex for the age/sex edits.
        setting: overrides the setting of the result (``inpatient`` or ``outpatient``).
        lines: service lines (CPT/HCPCS) to bill with the diagnoses.
        procedures: inpatient ICD-10-PCS codes, principal first.
        encounter_id: your id (default: the note's source name).
        date_of_service: overrides the result's date.
        place_of_service: CMS POS code.
        payer: payer id for payer-specific rules.
        procedure_result: what :class:`~medcoder.coding.procedures.ProcedureCoder` found:
            its lines (E/M and services, with modifiers, units and pointers) fill ``lines``
            of an outpatient encounter, its assigned complete ICD-10-PCS codes fill
            ``procedures`` of an inpatient one (explicit ``lines`` / ``procedures`` win), and
            the diagnoses it added (Z23) follow the assigned ones.

    Raises:
        InputError: a value the encounter format rejects (field path in the message).
    """
    chosen = EncounterSetting(setting) if setting else _setting(result.setting)
    diagnoses = [Diagnosis(code=d.code) for d in result.assigned]
    if procedure_result is not None:
        diagnoses.extend(Diagnosis(code=d.code) for d in procedure_result.added_diagnoses)
        if not lines and chosen is not EncounterSetting.INPATIENT:
            lines = [_service_line(line) for line in procedure_result.lines]
        if not procedures and procedure_result.pcs is not None:
            procedures = [s.code for s in procedure_result.pcs.assigned if s.complete]
    data: dict[str, Any] = {
        "id": encounter_id if encounter_id is not None else result.source,
        "date_of_service": date_of_service or result.date_of_service,
        "setting": chosen,
        "place_of_service": place_of_service,
        "payer": payer,
        "patient": patient,
        "diagnoses": diagnoses,
        "procedures": list(procedures),
        "lines": list(lines),
    }
    return parse_encounter(data)


def encounter_to_json(encounter: Encounter) -> str:
    """The encounter as the JSON ``medcoder check`` reads (unset optional fields left out)."""
    return encounter.model_dump_json(indent=2, exclude_none=True) + "\n"


def _service_line(line: CodedService) -> ServiceLine:
    return ServiceLine(
        code=line.code,
        modifiers=list(line.modifiers[:4]),
        units=min(line.units, 9999),
        diagnosis_pointers=list(line.diagnosis_pointers[:4]),
    )


def _setting(value: str) -> EncounterSetting:
    return EncounterSetting.INPATIENT if value == "inpatient" else EncounterSetting.OUTPATIENT
