"""NCCI edits on a claim: procedure-to-procedure pairs, medically unlikely edits, add-on codes.

The edits read the CMS tables in the knowledge base (``kb.ncci``): the practitioner tables for
professional (outpatient) encounters, the outpatient hospital tables for
``EncounterSetting.OUTPATIENT_HOSPITAL``. NCCI does not apply to inpatient stays (they are
paid per DRG), so inpatient encounters get no NCCI finding.

When the date of service is past the newest loaded NCCI quarter, every finding says so: a
biller must not take a pass on stale tables for a clean claim.

Example:
    >>> [f.message for f in PtpRule().check(encounter, ctx)]  # 11055 + 11720, no modifier
    ['NCCI PTP edit: 11720 (column 2) is not paid with 11055 (column 1) ...']
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator

from medcoder.codesets.ncci import CONTRACTOR_DEFINED, PtpEdit, Setting
from medcoder.edits.encounter import Encounter, EncounterSetting, ServiceLine
from medcoder.edits.engine import (
    EditCategory,
    EditContext,
    EditFinding,
    EditRule,
    Severity,
    register,
)
from medcoder.errors import NoReleaseError

__all__ = [
    "ANATOMIC_MODIFIERS",
    "AddonRule",
    "DISTINCT_SERVICE_MODIFIERS",
    "EM_RANGES",
    "EM_VISIT_MODIFIERS",
    "MueRule",
    "NCCI_MODIFIERS",
    "PtpRule",
    "bypass_modifier",
    "is_em",
    "line_date",
    "ncci_day",
    "ncci_setting",
]

# The NCCI-associated modifiers, as the NCCI Policy Manual (chapter I, "Modifiers and
# Modifier Indicators") lists them: anatomic modifiers, global surgery modifiers and others.
#: Anatomic modifiers: eyelids, fingers, toes, coronary arteries, sides of the body.
ANATOMIC_MODIFIERS: frozenset[str] = frozenset(
    ["E1", "E2", "E3", "E4", "FA", *(f"F{i}" for i in range(1, 10)), "TA",
     *(f"T{i}" for i in range(1, 10)), "LC", "LD", "LM", "RC", "RI", "LT", "RT"]
)  # fmt: skip
#: Distinct procedural service (59) and its more specific X{EPSU} subsets.
DISTINCT_SERVICE_MODIFIERS: frozenset[str] = frozenset({"59", "XE", "XP", "XS", "XU"})
#: Global surgery modifiers that go on the E/M line of a pair (24 unrelated visit in the
#: postoperative period, 25 significant separately identifiable E/M, 57 decision for surgery).
EM_VISIT_MODIFIERS: frozenset[str] = frozenset({"24", "25", "57"})
#: Global surgery modifiers for the procedure (staged, return to the OR, unrelated procedure).
_GLOBAL_SURGERY: frozenset[str] = frozenset({"58", "78", "79"})
#: Others: 27 (multiple outpatient hospital E/M encounters), 91 (repeat laboratory test).
_OTHER: frozenset[str] = frozenset({"27", "91"})
_ON_EM_LINE = EM_VISIT_MODIFIERS | {"27"}  # 27 goes on outpatient hospital E/M codes
_ON_PROCEDURE_LINE = DISTINCT_SERVICE_MODIFIERS | _GLOBAL_SURGERY | {"91"}
#: Every NCCI-associated modifier.
NCCI_MODIFIERS: frozenset[str] = (
    ANATOMIC_MODIFIERS | DISTINCT_SERVICE_MODIFIERS | EM_VISIT_MODIFIERS | _GLOBAL_SURGERY | _OTHER
)

#: E/M code ranges the edits treat as visits: office/outpatient, hospital inpatient and
#: observation, emergency department, preventive medicine (new and established).
EM_RANGES: tuple[tuple[int, int], ...] = (
    (99202, 99215),
    (99221, 99239),
    (99281, 99285),
    (99381, 99397),
)
_CODE = re.compile(r"[0-9A-Z]{4}[0-9A-Z]")
_REFERENCE_PTP = "CMS NCCI procedure-to-procedure edits; NCCI Policy Manual, chapter I"
_REFERENCE_MUE = "CMS NCCI medically unlikely edits (MUE); NCCI Policy Manual, chapter I"
_REFERENCE_AOC = "CMS NCCI add-on code edits; NCCI Policy Manual, chapter I"


def is_em(code: str) -> bool:
    """True when ``code`` is an E/M visit code of :data:`EM_RANGES` (e.g. ``99213``)."""
    if not code.isdigit():
        return False
    number = int(code)
    return any(lo <= number <= hi for lo, hi in EM_RANGES)


def ncci_setting(encounter: Encounter) -> Setting | None:
    """The NCCI table set for the encounter, None when NCCI does not apply (inpatient)."""
    if encounter.setting is EncounterSetting.OUTPATIENT_HOSPITAL:
        return "outpatient_hospital"
    if encounter.setting is EncounterSetting.OUTPATIENT:
        return "practitioner"
    return None


def line_date(line: ServiceLine, encounter: Encounter) -> dt.date:
    """The line's own date of service, else the encounter's."""
    return line.date_of_service or encounter.date_of_service


def ncci_day(ctx: EditContext, day: dt.date) -> dt.date | None:
    """``day`` when an NCCI quarter covers it, else None (``kb.ncci`` then uses the newest)."""
    try:
        ctx.kb.ncci.release_for(day)
    except NoReleaseError:
        return None
    return day


def bypass_modifier(edit: PtpEdit, column1: ServiceLine, column2: ServiceLine) -> str | None:
    """The NCCI-associated modifier that lets both codes of ``edit`` be paid, or None.

    CMS asks for the modifier on the column 2 code, but its claims systems accept it on
    either code of the pair, so both lines are read. The E/M modifiers (24, 25, 57, and 27)
    count only on an E/M line, and 59, X{EPSU}, 58, 78, 79, 91 only on another line (the
    manual: 59 is never used on an E/M). Anatomic modifiers count when the two lines name
    different sites (RT on one and LT on the other, or a site on one line only). Indicator 0 and 9
    edits have no bypass (None).
    """
    if edit.modifier_indicator != 1:
        return None
    for line in (column2, column1):
        em = is_em(line.code)
        for modifier in line.modifiers:
            # The manual: 59 and X{EPSU} are never used on an E/M; 25/57 only on one.
            if modifier in (_ON_EM_LINE if em else _ON_PROCEDURE_LINE):
                return modifier
    sites1 = {m for m in column1.modifiers if m in ANATOMIC_MODIFIERS}
    sites2 = {m for m in column2.modifiers if m in ANATOMIC_MODIFIERS}
    if sites1 != sites2:
        return sorted(sites2 - sites1 or sites1 - sites2)[0]
    return None


class _NcciRule(EditRule):
    """Shared plumbing: the table quarter for the date and the stale-table sentence."""

    def _day(self, encounter: Encounter, ctx: EditContext) -> tuple[dt.date | None, str]:
        """The day to ask ``kb.ncci`` for and the sentence to add to every finding.

        A date before the oldest loaded quarter is checked against the oldest-known tables
        (``None`` asks for the newest) and the sentence says so.
        """
        day = encounter.dos
        try:
            stale = ctx.kb.ncci.staleness_warning(day)
        except NoReleaseError:
            label = ctx.kb.ncci.release_for().label
            return None, (
                f" Note: date of service {day.isoformat()} is before {label}, the oldest NCCI "
                "quarter loaded; the result uses it."
            )
        return day, (f" Stale NCCI tables: {stale}." if stale else "")

    def _finding(
        self,
        message: str,
        fix: str,
        note: str,
        *,
        codes: tuple[str, ...],
        line: int,
        severity: Severity | None = None,
    ) -> EditFinding:
        return self.finding(message + note, fix, codes=codes, line=line, severity=severity)


def _by_date(encounter: Encounter) -> dict[dt.date, list[tuple[int, ServiceLine]]]:
    groups: dict[dt.date, list[tuple[int, ServiceLine]]] = defaultdict(list)
    for i, line in enumerate(encounter.lines):
        if _CODE.fullmatch(line.code):  # a malformed code is the code-validity edit's job
            groups[line_date(line, encounter)].append((i, line))
    return groups


@register
class PtpRule(_NcciRule):
    """Two codes on the same day that NCCI bundles (column 2 not paid with column 1)."""

    id = "ncci.ptp"
    category = EditCategory.NCCI
    reference = _REFERENCE_PTP
    description = "NCCI procedure-to-procedure edit without an allowed modifier"

    def check(self, encounter: Encounter, ctx: EditContext) -> Iterable[EditFinding]:
        setting = ncci_setting(encounter)
        if setting is None or len(encounter.lines) < 2:
            return []
        day, note = self._day(encounter, ctx)
        return list(self._pairs(encounter, ctx, setting, day, note))

    def _pairs(
        self, encounter: Encounter, ctx: EditContext, setting: Setting, day: dt.date | None,
        note: str,
    ) -> Iterator[EditFinding]:  # fmt: skip
        seen: set[tuple[str, str, dt.date]] = set()
        for date, lines in _by_date(encounter).items():
            for a, (i, line_a) in enumerate(lines):
                for j, line_b in lines[a + 1 :]:
                    if line_a.code == line_b.code or (line_a.code, line_b.code, date) in seen:
                        continue
                    seen.add((line_a.code, line_b.code, date))
                    edit = ctx.kb.ncci.ptp(line_a.code, line_b.code, setting, day)
                    if edit is None or edit.modifier_indicator == 9:
                        continue
                    (i1, l1), (i2, l2) = (
                        ((i, line_a), (j, line_b))
                        if edit.column1 == line_a.code
                        else ((j, line_b), (i, line_a))
                    )
                    if bypass_modifier(edit, l1, l2) is None:
                        yield self._ptp_finding(edit, i2, note)

    def _ptp_finding(self, edit: PtpEdit, line: int, note: str) -> EditFinding:
        c1, c2 = edit.column1, edit.column2
        head = (
            f"NCCI PTP edit: {c2} (column 2) is not paid with {c1} (column 1) on the same day "
            f"({edit.rationale}); modifier indicator {edit.modifier_indicator}"
        )
        if edit.modifier_indicator == 0:
            message = f"{head}: no modifier allows both codes."
            fix = f"Remove {c2}: only {c1} is payable, and a modifier will not bypass this edit."
        else:
            message = f"{head}: an NCCI-associated modifier allows both when they were distinct."
            em = c1 if is_em(c1) else c2 if is_em(c2) else None
            if em is not None:
                fix = (
                    f"If the visit was a significant, separately identifiable E/M service, "
                    f"append modifier 25 to {em} (57 if it was the decision for major surgery) "
                    f"and document it; otherwise remove {c2}."
                )
            else:
                fix = (
                    f"If the services were distinct (different session, site or structure), "
                    f"append 59 or the more specific XE/XS/XP/XU (or anatomic modifiers such as "
                    f"RT/LT) to {c2} and document why; otherwise remove {c2}."
                )
        return self._finding(message, fix, note, codes=(c1, c2), line=line)


@register
class MueRule(_NcciRule):
    """Units of a code on one day (or one line, MAI 1) over its medically unlikely edit."""

    id = "ncci.mue"
    category = EditCategory.MUE
    reference = _REFERENCE_MUE
    description = "Units over the NCCI medically unlikely edit (MUE)"

    def check(self, encounter: Encounter, ctx: EditContext) -> Iterable[EditFinding]:
        setting = ncci_setting(encounter)
        if setting is None or not encounter.lines:
            return []
        day, note = self._day(encounter, ctx)
        findings: list[EditFinding] = []
        for date, lines in _by_date(encounter).items():
            by_code: dict[str, list[tuple[int, ServiceLine]]] = defaultdict(list)
            for i, line in lines:
                by_code[line.code].append((i, line))
            for code, same in by_code.items():
                mue = ctx.kb.ncci.mue(code, setting, day)
                if mue is None:
                    continue
                # MAI 1 limits each claim line; MAI 2 and 3 limit the day's total.
                groups = [[x] for x in same] if mue.mai == 1 else [same]
                for group in groups:
                    units = sum(line.units for _, line in group)
                    if units > mue.units:
                        findings.append(self._mue_finding(code, units, mue.units, mue.mai,
                                                          mue.mai_meaning, mue.rationale, date,
                                                          group[0][0], note))  # fmt: skip
        return findings

    def _mue_finding(
        self, code: str, units: int, limit: int, mai: int, meaning: str, rationale: str,
        date: dt.date, line: int, note: str,
    ) -> EditFinding:  # fmt: skip
        per = "on one line" if mai == 1 else f"on {date.isoformat()}"
        message = (
            f"MUE: {units} units of {code} {per} exceed the limit of {limit} "
            f"(MAI {mai}, {meaning}; {rationale})."
        )
        if mai == 1:
            fix = (
                f"Reduce the units on this line to {limit}, or report the other units on "
                "separate lines with the modifier that shows they were distinct (e.g. 76, 91, "
                "59, RT/LT) when they were."
            )
        elif mai == 2:
            fix = (
                f"Reduce the units of {code} to {limit}: units over an MAI 2 limit are not "
                "payable and the limit cannot be bypassed or appealed."
            )
        else:
            fix = (
                f"Reduce the units of {code} to {limit}, or keep them and be ready to appeal "
                "with documentation that the extra units were medically necessary."
            )
        return self._finding(message, fix, note, codes=(code,), line=line)


@register
class AddonRule(_NcciRule):
    """An add-on code on a claim without any of the primary codes it must go with."""

    id = "ncci.addon"
    category = EditCategory.ADDON
    reference = _REFERENCE_AOC
    description = "Add-on code without its primary procedure"

    def check(self, encounter: Encounter, ctx: EditContext) -> Iterable[EditFinding]:
        if ncci_setting(encounter) is None or not encounter.lines:
            return []
        day, note = self._day(encounter, ctx)
        findings: list[EditFinding] = []
        for date, lines in _by_date(encounter).items():
            codes = {line.code for _, line in lines}
            for i, line in lines:
                primaries = ctx.kb.ncci.addon_primaries(line.code, day)
                if not primaries:
                    continue
                listed = [p.primary_code for p in primaries if p.primary_code != CONTRACTOR_DEFINED]
                if not listed:
                    findings.append(self._finding(
                        f"Add-on code {line.code} is only paid with a primary procedure; its "
                        "primary codes are defined by each Medicare contractor.",
                        f"Check that {line.code} is billed with a primary procedure your "
                        "contractor lists.",
                        note, codes=(line.code,), line=i, severity=Severity.INFO,
                    ))  # fmt: skip
                    continue
                if codes.intersection(listed):
                    continue
                shown = ", ".join(listed[:8]) + (
                    f" and {len(listed) - 8} more" if len(listed) > 8 else ""
                )
                findings.append(self._finding(
                    f"Add-on code {line.code} is billed on {date.isoformat()} without a primary "
                    f"procedure: it is only paid with {shown} on the same day.",
                    f"Add the primary procedure that {line.code} adds to, or remove {line.code}.",
                    note, codes=(line.code,), line=i,
                ))  # fmt: skip
        return findings
