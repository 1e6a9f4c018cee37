"""Modifiers between service lines: NCCI procedure-to-procedure pairs, 59/X{SU}, MUE units.

For each pair of lines NCCI edits (``kb.ncci.ptp``), the column-2 code is paid with the
column-1 code only when the services are distinct and the edit allows a modifier
(indicator 1):

* both lines name different anatomic sites -> XS on the column-2 line (separate structure);
* different kinds of service documented in different sentences (an IM injection and a joint
  injection) -> XU (unusual non-overlapping service);
* the note says "separate" / "distinct" without more -> 59;
* otherwise (or indicator 0) the column-2 line is dropped with a warning: it is bundled.

E/M lines are left to :mod:`medcoder.coding.procedures` (modifier 25).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import replace

from medcoder.codesets import KnowledgeBase
from medcoder.codesets.ncci import CONTRACTOR_DEFINED, Setting
from medcoder.coding.services.model import CodedService, ServiceKind
from medcoder.edits.ncci_edits import ANATOMIC_MODIFIERS
from medcoder.errors import MedcoderError

__all__ = ["apply_ncci", "check_mue", "distinct_modifier", "drop_orphan_addons"]

_SEPARATE = re.compile(r"\b(separate|distinct|different|unrelated)\b", re.IGNORECASE)
_SKIPPED_KINDS = frozenset({ServiceKind.EM, ServiceKind.INPATIENT_PROCEDURE})
_ADMIN_KINDS = frozenset({ServiceKind.ADMINISTRATION, ServiceKind.VACCINE_ADMIN})


def _sentences(line: CodedService) -> set[int]:
    return {e.start for e in line.evidence}


def distinct_modifier(column1: CodedService, column2: CodedService, note_text: str) -> str | None:
    """The modifier that makes ``column2`` payable with ``column1``; ``""`` when the lines
    already carry different anatomic modifiers (RT and LT); None when nothing shows them
    distinct."""
    sides1 = set(column1.modifiers) & ANATOMIC_MODIFIERS
    sides2 = set(column2.modifiers) & ANATOMIC_MODIFIERS
    if sides1 and sides2 and not sides1 & sides2:
        return ""
    site1, site2 = column1.site.lower(), column2.site.lower()
    if site1 and site2 and site1 != site2:
        return "XS"
    separate = not (_sentences(column1) & _sentences(column2))
    if separate and (column1.kind is not column2.kind or column1.kind in _ADMIN_KINDS):
        return "XU"
    for evidence in column2.evidence:
        window = note_text[max(0, evidence.start - 120) : evidence.end + 120]
        if _SEPARATE.search(window):
            return "59"
    return None


def apply_ncci(
    lines: Sequence[CodedService],
    kb: KnowledgeBase,
    *,
    note_text: str,
    setting: Setting = "practitioner",
    day: dt.date | None = None,
) -> tuple[list[CodedService], list[str]]:
    """The lines after the NCCI PTP edits (modifiers added, bundled lines dropped), warnings."""
    out = list(lines)
    warnings: list[str] = []
    done: set[tuple[str, str]] = set()
    changed = True
    while changed:
        changed = False
        pairs = [(i, j) for i in range(len(out)) for j in range(i + 1, len(out))]
        for i, j in pairs:
            a, b = out[i], out[j]
            if a.kind in _SKIPPED_KINDS or b.kind in _SKIPPED_KINDS or a.code == b.code:
                continue
            if (a.code, b.code) in done:
                continue
            done.add((a.code, b.code))
            try:
                edit = kb.ncci.ptp(a.code, b.code, setting, day)
            except MedcoderError as exc:
                warnings.append(f"NCCI not checked for {a.code}/{b.code}: {exc}")
                continue
            if edit is None or edit.modifier_indicator == 9:
                continue
            first, second = (i, j) if edit.column1 == a.code else (j, i)
            modifier = distinct_modifier(out[first], out[second], note_text)
            if edit.modifier_allowed and modifier is not None:
                line = out[second].with_modifier(modifier) if modifier else out[second]
                why = (
                    modifier
                    or "different sides ("
                    + " / ".join(
                        sorted(
                            (set(out[first].modifiers) | set(line.modifiers)) & ANATOMIC_MODIFIERS
                        )
                    )
                    + ")"
                )
                out[second] = _explain(
                    line, f"NCCI pair with {edit.column1} (modifier indicator 1): {why}"
                )
                continue
            why = (
                "the edit allows no modifier"
                if not edit.modifier_allowed
                else "the note does not show a distinct site or service"
            )
            warnings.append(
                f"NCCI PTP edit: {edit.column2} is bundled into {edit.column1} "
                f"({edit.rationale}); {why}: {edit.column2} not billed"
            )
            del out[second]
            changed = True
            break
    return out, warnings


def _explain(line: CodedService, why: str) -> CodedService:
    return replace(line, rationale=f"{line.rationale}; {why}" if line.rationale else why)


def check_mue(
    lines: Sequence[CodedService],
    kb: KnowledgeBase,
    *,
    setting: Setting = "practitioner",
    day: dt.date | None = None,
) -> list[str]:
    """Warnings for lines whose units exceed the code's medically unlikely edit."""
    warnings = []
    for line in lines:
        if line.kind in _SKIPPED_KINDS:
            continue
        try:
            mue = kb.ncci.mue(line.code, setting, day)
        except MedcoderError:
            continue
        if mue is not None and line.units > mue.units:
            warnings.append(
                f"{line.code}: {line.units} units exceed the MUE of {mue.units} ({mue.mai_meaning})"
            )
    return warnings


def drop_orphan_addons(
    lines: Sequence[CodedService], kb: KnowledgeBase, *, day: dt.date | None = None
) -> tuple[list[CodedService], list[str]]:
    """The lines without add-on codes whose primary code is not billed (e.g. 17003 after an
    NCCI edit bundled 17000), with a warning for each dropped one."""
    codes = {line.code for line in lines}
    kept: list[CodedService] = []
    warnings: list[str] = []
    for line in lines:
        try:
            primaries = {p.primary_code for p in kb.ncci.addon_primaries(line.code, day)}
        except MedcoderError:
            primaries = set()
        if primaries and CONTRACTOR_DEFINED not in primaries and not primaries & codes:
            warnings.append(
                f"{line.code} is an add-on code and none of its primary codes "
                f"({', '.join(sorted(primaries)[:6])}) is billed: not billed"
            )
            continue
        kept.append(line)
    return kept, warnings
