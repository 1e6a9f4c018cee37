"""``level_visit``: the E/M code of a visit from its note and context.

Office/outpatient and hospital visits take the higher of the level the MDM supports and the
level the documented total time supports; ED visits are leveled by MDM only; discharge day
management by time; preventive visits by age band, with a problem-oriented E/M and modifier
25 when a significant problem was addressed the same day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from medcoder.coding.em.codes import (
    DESCRIPTIONS,
    FAMILIES,
    CodeFamily,
    discharge_code,
    preventive_code,
    prolonged_units,
    tests_reported_separately,
)
from medcoder.coding.em.lexicon import EmLexicon
from medcoder.coding.em.mdm import describe_mdm, score_mdm
from medcoder.coding.em.model import (
    Basis,
    EmFamily,
    EmLine,
    EmResult,
    MdmBreakdown,
    MdmLevel,
    VisitContext,
    VisitType,
)
from medcoder.coding.em.visit import (
    is_nurse_visit,
    is_wellness_visit,
    new_patient_from_note,
    patient_age_from_note,
    visit_type_from_note,
)
from medcoder.coding.em.visit_time import find_total_time
from medcoder.coding.result import Evidence
from medcoder.errors import InputError
from medcoder.notes.model import Note

__all__ = ["level_visit"]

_OFFICE_RULES_FROM = dt.date(2021, 1, 1)
_HOSPITAL_RULES_FROM = dt.date(2023, 1, 1)
_HOSPITAL_TYPES = (VisitType.INPATIENT_INITIAL, VisitType.INPATIENT_SUBSEQUENT)


@dataclass(frozen=True, slots=True)
class _Level:
    code: str
    family: EmFamily
    basis: Basis
    rationale: str
    add_ons: tuple[EmLine, ...] = ()


def level_visit(
    note: Note, context: VisitContext | None = None, *, lexicon: EmLexicon | None = None
) -> EmResult:
    """The E/M level of a visit, with its MDM breakdown, time and rationale.

    Args:
        note: The parsed note (:func:`medcoder.notes.parse_note`).
        context: What the encounter input says (visit type, new patient, age, date, payer,
            total minutes); read from the note's document when None.
        lexicon: The condition, test and drug words; the packaged lexicon by default.

    Returns:
        The E/M result; ``result.lines`` are the E/M lines to bill.

    Raises:
        InputError: A preventive visit whose patient age is neither given nor in the note.

    Example:
        >>> from medcoder.notes import parse_note, read_document
        >>> note = parse_note(read_document(
        ...     "HPI: Here for follow-up of hypertension.\\n"
        ...     "A/P: Hypertension, stable. Continue lisinopril 10 mg daily."))
        >>> level_visit(note, VisitContext(visit_type=VisitType.OFFICE)).code
        '99213'
    """
    if context is None:
        context = VisitContext.from_document(note.document)
    warnings: list[str] = []
    visit_type = context.visit_type
    if visit_type is None:
        visit_type = visit_type_from_note(note)
        warnings.append(f"visit type not given: taken as {visit_type.value} from the note")
    reported = tests_reported_separately(context.separately_reported)
    for code, label in reported.items():
        warnings.append(f"{label} reported separately ({code}): not counted as E/M data")
    mdm, mdm_warnings = score_mdm(note, lexicon, not_counted=frozenset(reported.values()))
    warnings.extend(mdm_warnings)
    minutes: int | None = context.total_minutes
    time_evidence: Evidence | None = None
    if minutes is None and (found := find_total_time(note)) is not None:
        minutes, time_evidence = found
    date = context.date_of_service or note.document.date_of_service
    _check_rules_date(visit_type, date, warnings)

    new_patient: bool | None = None
    preventive: str | None = None
    preventive_dx: str | None = None
    needs_25 = False
    if visit_type in (VisitType.OFFICE, VisitType.PREVENTIVE):
        new_patient = _new_patient(note, context, warnings)
    billable = True
    if visit_type is VisitType.OFFICE:
        level = _office(note, mdm, minutes, bool(new_patient), context.medicare, warnings)
        if level.basis is not Basis.NURSE and is_wellness_visit(note):
            # The AWV is its own HCPCS service: an E/M goes with it only for a separate
            # problem, with modifier 25, and leveled by MDM (AWV time is not E/M time).
            billable = _has_problem_service(mdm)
            level = _wellness(mdm, family_of(bool(new_patient)), billable)
            needs_25 = billable
    elif visit_type is VisitType.PREVENTIVE:
        age = _age(note, context, warnings)
        preventive = preventive_code(age, new_patient=bool(new_patient))
        preventive_dx = _preventive_diagnosis(age, mdm)
        level = _preventive(mdm, preventive, age, bool(new_patient))
        needs_25 = level.code != preventive
    elif visit_type is VisitType.EMERGENCY:
        level = _emergency(note, mdm, minutes, warnings)
    elif visit_type is VisitType.DISCHARGE:
        level = _discharge(minutes, warnings)
    else:
        family = FAMILIES[
            EmFamily.HOSPITAL_SUBSEQUENT
            if visit_type is VisitType.INPATIENT_SUBSEQUENT
            else EmFamily.HOSPITAL_INITIAL
        ]
        level = _by_mdm_or_time(family, mdm, minutes, context.medicare)
    return EmResult(
        code=level.code,
        family=level.family,
        basis=level.basis,
        mdm=mdm,
        time_minutes=minutes,
        add_on_codes=level.add_ons,
        preventive_code=preventive,
        needs_modifier_25=needs_25,
        new_patient=new_patient,
        visit_type=visit_type,
        rationale=level.rationale,
        description=DESCRIPTIONS[level.code],
        warnings=tuple(warnings),
        preventive_diagnosis=preventive_dx,
        preventive_description="" if preventive is None else DESCRIPTIONS[preventive],
        time_evidence=time_evidence,
        billable=billable,
    )


def _office(
    note: Note,
    mdm: MdmBreakdown,
    minutes: int | None,
    new_patient: bool,
    medicare: bool,
    warnings: list[str],
) -> _Level:
    family = FAMILIES[EmFamily.OFFICE_NEW if new_patient else EmFamily.OFFICE_ESTABLISHED]
    if is_nurse_visit(note):
        if not new_patient:
            return _Level(
                "99211",
                EmFamily.OFFICE_ESTABLISHED,
                Basis.NURSE,
                "nurse visit documented, no physician/QHP decision making -> 99211",
            )
        warnings.append("nurse visit of a new patient: 99211 is for established patients only")
    return _by_mdm_or_time(family, mdm, minutes, medicare)


def family_of(new_patient: bool) -> CodeFamily:
    """The office family for a new or an established patient."""
    return FAMILIES[EmFamily.OFFICE_NEW if new_patient else EmFamily.OFFICE_ESTABLISHED]


def _wellness(mdm: MdmBreakdown, family: CodeFamily, problem: bool) -> _Level:
    code = family.code_for(mdm.level)
    if problem:
        return _Level(
            code,
            family.family,
            Basis.MDM,
            f"annual wellness visit with a separate problem-oriented service: "
            f"{describe_mdm(mdm)} -> {code}-25",
        )
    return _Level(
        code,
        family.family,
        Basis.MDM,
        "annual wellness visit without a separate problem-oriented service: no E/M billed "
        "(the wellness visit is a HCPCS service)",
    )


def _by_mdm_or_time(
    family: CodeFamily, mdm: MdmBreakdown, minutes: int | None, medicare: bool
) -> _Level:
    """The higher of the MDM level and the time level (time wins a tie only when it earns
    prolonged service)."""
    mdm_code = family.code_for(mdm.level)
    described = describe_mdm(mdm)
    if minutes is None:
        return _Level(mdm_code, family.family, Basis.MDM, f"{described}, no time -> {mdm_code}")
    time_code = family.code_for_time(minutes)
    prolonged = family.prolonged_medicare if medicare else family.prolonged_ama
    units = 0
    if prolonged is not None and time_code == family.top_code:
        units = prolonged_units(prolonged, minutes)
    use_time = time_code is not None and (
        family.rank(time_code) > family.rank(mdm_code) or (time_code == mdm_code and units > 0)
    )
    if not use_time or time_code is None:
        return _Level(
            mdm_code, family.family, Basis.MDM, f"{described} vs time {minutes} min -> {mdm_code}"
        )
    rationale = f"{described} vs time {minutes} min -> {time_code} by time"
    add_ons: tuple[EmLine, ...] = ()
    if units and prolonged is not None:
        add_ons = (EmLine(prolonged.code, DESCRIPTIONS[prolonged.code], units=units),)
        rationale += (
            f" + {prolonged.code} x{units} (each full 15 min from {prolonged.first_unit_at} min)"
        )
    return _Level(time_code, family.family, Basis.TIME, rationale, add_ons)


def _preventive(mdm: MdmBreakdown, preventive: str, age: int, new_patient: bool) -> _Level:
    status = "new" if new_patient else "established"
    head = f"preventive visit, {status} patient, age {age} -> {preventive}"
    if _has_problem_service(mdm):
        family = FAMILIES[EmFamily.OFFICE_NEW if new_patient else EmFamily.OFFICE_ESTABLISHED]
        code = family.code_for(mdm.level)
        return _Level(
            code,
            family.family,
            Basis.MDM,
            f"{head}; separate problem-oriented service: {describe_mdm(mdm)} -> {code}-25",
        )
    family_name = EmFamily.PREVENTIVE_NEW if new_patient else EmFamily.PREVENTIVE_ESTABLISHED
    return _Level(preventive, family_name, Basis.AGE, f"{head}; no separate problem addressed")


def _has_problem_service(mdm: MdmBreakdown) -> bool:
    """A significant, separately identifiable problem-oriented service: a problem beyond a
    minor one, addressed with management (risk above minimal)."""
    significant = any(f.level.rank >= MdmLevel.LOW.rank for f in mdm.problems.findings)
    return significant and mdm.risk.level.rank >= MdmLevel.LOW.rank


def _preventive_diagnosis(age: int, mdm: MdmBreakdown) -> str:
    """Z00.00/Z00.01 (adult) or Z00.129/Z00.121 (child), with abnormal findings when a
    problem other than a stable chronic illness was found."""
    abnormal = any(f.category != "stable_chronic" for f in mdm.problems.findings)
    if age >= 18:
        return "Z00.01" if abnormal else "Z00.00"
    return "Z00.121" if abnormal else "Z00.129"


def _emergency(note: Note, mdm: MdmBreakdown, minutes: int | None, warnings: list[str]) -> _Level:
    if minutes is not None:
        warnings.append("emergency department visits are leveled by MDM only: time not used")
    if is_nurse_visit(note):
        return _Level(
            "99281", EmFamily.EMERGENCY, Basis.NURSE, "ED visit without physician MDM -> 99281"
        )
    code = FAMILIES[EmFamily.EMERGENCY].code_for(mdm.level)
    return _Level(code, EmFamily.EMERGENCY, Basis.MDM, f"{describe_mdm(mdm)} -> {code}")


def _discharge(minutes: int | None, warnings: list[str]) -> _Level:
    code = discharge_code(minutes)
    if minutes is None:
        warnings.append("discharge time not documented: 99238 (99239 needs more than 30 min)")
        rationale = "discharge day management, no time documented -> 99238"
    else:
        comparison = "more than" if minutes > 30 else "at most"
        rationale = f"discharge day management, time {minutes} min ({comparison} 30) -> {code}"
    return _Level(code, EmFamily.DISCHARGE, Basis.TIME, rationale)


def _new_patient(note: Note, context: VisitContext, warnings: list[str]) -> bool:
    if context.new_patient is not None:
        return context.new_patient
    found = new_patient_from_note(note)
    if found is None:
        warnings.append("new or established patient neither given nor documented: established")
        return False
    warnings.append(
        f"new/established not given: {'new' if found else 'established'} from the note words"
    )
    return found


def _age(note: Note, context: VisitContext, warnings: list[str]) -> int:
    if context.patient_age is not None:
        return context.patient_age
    age = patient_age_from_note(note)
    if age is None:
        raise InputError(
            "a preventive visit code needs the patient's age: give patient.age", field="patient.age"
        )
    warnings.append(f"patient age not given: {age} from the note")
    return age


def _check_rules_date(visit_type: VisitType, date: dt.date | None, warnings: list[str]) -> None:
    if date is None:
        return
    hospital = visit_type in (*_HOSPITAL_TYPES, VisitType.OBSERVATION, VisitType.DISCHARGE)
    hospital = hospital or visit_type is VisitType.EMERGENCY
    since = _HOSPITAL_RULES_FROM if hospital else _OFFICE_RULES_FROM
    if date < since:
        warnings.append(
            f"date of service {date.isoformat()} is before the {since.year} E/M rules "
            "medcoder applies"
        )
