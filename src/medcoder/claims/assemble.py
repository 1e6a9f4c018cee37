"""Claim assembly: coded encounter + practice + claim details -> :class:`Claim`.

Pure: takes values, returns a value. The edit result must be handed in, so a claim cannot be
built without the edits having run; one error-severity finding stops it.

Example:
    >>> edits = Editor(kb).edit(encounter)
    >>> claim = build_claim(encounter, details, practice, edits=edits)
    >>> claim.total_charge
    Decimal('165.00')
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

from medcoder.claims.details import ClaimDetails
from medcoder.claims.errors import ClaimEditError, ClaimError
from medcoder.claims.model import (
    Claim,
    ClaimLine,
    ClaimType,
    Frequency,
    Institutional,
    Procedure,
    Relationship,
)
from medcoder.claims.practice import Practice
from medcoder.claims.revenue import revenue_code_for
from medcoder.edits.encounter import Encounter, EncounterSetting, age_on
from medcoder.edits.engine import EditResult
from medcoder.errors import InputError

__all__ = ["MAX_DIAGNOSES", "MAX_LINES", "build_claim"]

#: Diagnoses an 837 carries: 12 on a professional claim, principal + 24 on an institutional one.
MAX_DIAGNOSES = {ClaimType.PROFESSIONAL: 12, ClaimType.INSTITUTIONAL: 25}

#: Service lines per claim (LX loop repeat).
MAX_LINES = {ClaimType.PROFESSIONAL: 50, ClaimType.INSTITUTIONAL: 999}

_CENT = Decimal("0.01")


def _check_edits(encounter: Encounter, edits: EditResult, claim_id: str) -> None:
    if edits.encounter_id != encounter.id or edits.date_of_service != encounter.dos:
        raise ClaimError(f"the edit result is for encounter {edits.encounter_id!r} "
                         f"({edits.date_of_service}), not {encounter.id!r}", claim_id=claim_id)
    if not edits.passed:
        named = "; ".join(f"{f.edit_id}: {f.message}" for f in edits.errors)
        raise ClaimEditError(
            f"claim {claim_id} cannot be built: {len(edits.errors)} error edit(s) — {named}",
            claim_id=claim_id, findings=edits.errors)


def _institutional(encounter: Encounter, details: ClaimDetails) -> Institutional:
    opts = details.institutional
    inpatient = encounter.setting is EncounterSetting.INPATIENT
    facility = opts.facility_code or ("11" if inpatient else "13")
    start = encounter.date_of_service
    end = encounter.discharge_date or start
    procedures = tuple(
        Procedure(code.replace(".", "").upper(), opts.procedure_dates.get(code, start))
        for code in encounter.procedures)
    return Institutional(
        facility_code=facility,
        statement_from=start,
        statement_to=end,
        admission_date=start if inpatient else None,
        admission_type=opts.admission_type if inpatient else None,
        admission_source=opts.admission_source if inpatient else None,
        patient_status=f"{encounter.discharge_status:02d}",
        procedures=procedures,
        present_on_admission=tuple(d.present_on_admission for d in encounter.diagnoses),
    )


def build_claim(
    encounter: Encounter, details: ClaimDetails, practice: Practice, *, edits: EditResult
) -> Claim:
    """Assemble the claim for ``encounter``.

    Args:
        encounter: the coded encounter (the format of ``medcoder check``).
        details: patient, subscriber and claim options.
        practice: providers, payers and fee schedule.
        edits: the edit result for this encounter (``Editor(kb).edit(encounter)``).

    Raises:
        ClaimEditError: an error-severity edit fired (the message names each).
        InputError: something the claim needs is missing or inconsistent (field named).
        ClaimError: the edit result belongs to another encounter.
    """
    claim_id = details.patient_control_number or encounter.id
    if not claim_id:
        raise InputError("the claim needs a patient control number (or an encounter id)",
                         field="patient_control_number")
    if details.patient_control_number is None:
        # Validated by the details model when given; the encounter id was not.
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.\-]{0,19}", claim_id):
            raise InputError(f"the encounter id {claim_id!r} cannot be a patient control number"
                             " (1-20 letters, digits, '.' or '-'): set patient_control_number",
                             field="patient_control_number")
    _check_edits(encounter, edits, claim_id)
    if (details.relationship_code is Relationship.SELF) != (details.patient is None):
        raise InputError("'patient' is given exactly when the relationship is not self",
                         field="patient")

    payer_entry = practice.payer(details.payer or encounter.payer)
    claim_type = practice.claim_type_for(payer_entry)
    patient = details.patient or details.subscriber
    if encounter.patient.sex.value != patient.sex:
        raise InputError(f"the encounter says sex {encounter.patient.sex.value}, the claim's "
                         f"patient {patient.sex}", field="patient.sex")
    age = age_on(patient.birth_date, encounter.date_of_service)
    if age != encounter.patient.age:
        raise InputError(f"the encounter says age {encounter.patient.age}, the birth date "
                         f"{patient.birth_date} gives {age} on {encounter.date_of_service}",
                         field="patient.birth_date")

    if (details.frequency is Frequency.ORIGINAL) != (details.original_claim_reference is None):
        raise InputError("a replacement (7) or void (8) claim needs original_claim_reference, "
                         "an original (1) claim must not have one",
                         field="original_claim_reference")

    diagnoses = tuple(d.code.replace(".", "") for d in encounter.diagnoses)
    if not diagnoses:
        raise InputError("a claim needs at least one diagnosis", field="diagnoses")
    if len(diagnoses) > MAX_DIAGNOSES[claim_type]:
        raise InputError(f"an 837{claim_type.value} carries at most "
                         f"{MAX_DIAGNOSES[claim_type]} diagnoses, the encounter has "
                         f"{len(diagnoses)}", field="diagnoses")

    rendering = None
    if details.rendering_provider is not None:
        rendering = practice.rendering_providers.get(details.rendering_provider)
        if rendering is None:
            raise InputError(f"rendering provider {details.rendering_provider} is not in the "
                             "practice file", field="rendering_provider")

    institutional = (_institutional(encounter, details)
                     if claim_type is ClaimType.INSTITUTIONAL else None)
    lines = _lines(encounter, details, practice, claim_id, claim_type, institutional)

    return Claim(
        claim_id=claim_id,
        claim_type=claim_type,
        frequency=details.frequency,
        billing_provider=practice.billing_provider,
        payer=payer_entry.value(),
        subscriber=details.subscriber.subscriber(),
        relationship=details.relationship_code,
        patient=details.patient.value() if details.patient is not None else None,
        place_of_service=(institutional.facility_code if institutional
                          else encounter.place_of_service or "11"),
        date_of_service=encounter.date_of_service,
        diagnoses=diagnoses,
        lines=lines,
        rendering_provider=rendering,
        original_claim_reference=details.original_claim_reference,
        institutional=institutional,
        encounter_id=encounter.id,
    )


def _lines(
    encounter: Encounter,
    details: ClaimDetails,
    practice: Practice,
    claim_id: str,
    claim_type: ClaimType,
    institutional: Institutional | None,
) -> tuple[ClaimLine, ...]:
    lines: list[ClaimLine] = []
    n_dx = len(encounter.diagnoses)
    for i, line in enumerate(encounter.lines):
        where = f"lines[{i}]"
        unit = practice.fees.unit_charge(line.code, line.modifiers)
        if unit is None:
            raise InputError(f"{where}: the fee schedule has no charge for {line.code}",
                             field=f"{where}.code")
        bad = [p for p in line.diagnosis_pointers if not 1 <= p <= min(n_dx, 12)]
        if bad:
            raise InputError(f"{where}: diagnosis pointer {bad[0]} does not point at one of "
                             f"the {n_dx} diagnoses", field=f"{where}.diagnosis_pointers")
        if claim_type is ClaimType.PROFESSIONAL and not line.diagnosis_pointers:
            raise InputError(f"{where}: {line.code} has no diagnosis pointer",
                             field=f"{where}.diagnosis_pointers")
        lines.append(ClaimLine(
            number=i + 1,
            code=line.code,
            modifiers=tuple(line.modifiers),
            units=line.units,
            charge=(unit * line.units).quantize(_CENT),
            diagnosis_pointers=tuple(line.diagnosis_pointers),
            date_of_service=line.date_of_service or encounter.date_of_service,
            control_number=f"{claim_id}-{i + 1}",
            revenue_code=(revenue_code_for(line.code, practice.spec.revenue_codes)
                          if claim_type is ClaimType.INSTITUTIONAL else None),
        ))
    if institutional is not None and institutional.inpatient:
        # Room and board: one accommodation line for the nights of the stay.
        rev = details.institutional.accommodation_revenue_code
        unit = practice.fees.unit_charge(rev)
        if unit is None:
            raise InputError(f"the fee schedule has no charge for accommodation revenue code "
                             f"{rev}", field="institutional.accommodation_revenue_code")
        nights = max(1, (institutional.statement_to - institutional.statement_from).days)
        lines.insert(0, ClaimLine(
            number=1, code="", modifiers=(), units=nights,
            charge=(unit * nights).quantize(_CENT), diagnosis_pointers=(),
            date_of_service=institutional.statement_from, control_number=f"{claim_id}-R",
            revenue_code=rev, system=""))
        lines = [_renumber(line, n) for n, line in enumerate(lines, start=1)]
    if not lines:
        raise InputError("a claim needs at least one service line", field="lines")
    if len(lines) > MAX_LINES[claim_type]:
        raise InputError(f"an 837{claim_type.value} claim carries at most "
                         f"{MAX_LINES[claim_type]} service lines, "
                         f"got {len(lines)}", field="lines")
    return tuple(lines)


def _renumber(line: ClaimLine, number: int) -> ClaimLine:
    return replace(line, number=number)
