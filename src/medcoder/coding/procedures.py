"""Procedure coding for one note: the E/M line(s), the services, and inpatient ICD-10-PCS.

:class:`ProcedureCoder` puts three engines together and settles what lies between them:

* E/M leveling (:mod:`medcoder.coding.em`) gives the visit's code(s) with the MDM breakdown;
* service coding (:mod:`medcoder.coding.services`) gives the CPT/HCPCS lines done in the
  office, with units, modifiers and diagnosis pointers (outpatient notes);
* ICD-10-PCS (:mod:`medcoder.coding.pcs`) codes the procedures of inpatient notes.

Between them: the E/M line takes modifier 25 when a procedure, a preventive service or a
service NCCI pairs with the visit (modifier indicator 1) is billed the same day; a pair NCCI
never allows (indicator 0, e.g. 99211 with 96372) drops the E/M line with a warning. E/M
lines point to the problems addressed (the preventive line to its Z00.0x diagnosis).

Example:
    >>> diagnoses = DiagnosisCoder(kb).code(document)
    >>> result = ProcedureCoder(kb).code(parse_note(document), diagnoses)
    >>> [(line.code, line.modifiers) for line in result.lines]
    [('99213', ('25',)), ('69210', ('RT',))]
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from medcoder.codesets import KnowledgeBase
from medcoder.codesets.cpt import Cpt
from medcoder.coding.em import EmResult, VisitContext, VisitType, level_visit
from medcoder.coding.result import CodeSuggestion, CodingResult, Evidence
from medcoder.coding.services import (
    CodedService,
    LineSystem,
    ServiceCoder,
    ServiceContext,
    ServiceKind,
)
from medcoder.errors import MedcoderError
from medcoder.notes import Note, Setting

if TYPE_CHECKING:
    from medcoder.coding.pcs import PcsResult

__all__ = [
    "ProcedureCoder",
    "ProcedureResult",
    "diagnoses_from_service_words",
    "line_to_dict",
    "procedures_to_dict",
    "professional_only",
    "settle_em_line",
]

_MEDICARE = re.compile(r"\bmedicare\b", re.IGNORECASE)
#: Services that make a same-day problem-oriented E/M take modifier 25 even without an NCCI
#: pair: minor procedures (global surgery package) and preventive services.
_NEEDS_25 = frozenset({ServiceKind.PROCEDURE, ServiceKind.PREVENTIVE})
_NOT_A_PROBLEM = ("Z00", "Z01", "Z23")


@dataclass(frozen=True, slots=True)
class ProcedureResult:
    """What procedure coding found for one note.

    Attributes:
        em: The E/M leveling (None when it could not be done, see ``warnings``).
        lines: Every line to bill, in claim order: E/M lines, then services.
        pcs: ICD-10-PCS codes and queries (inpatient notes), else None.
        added_diagnoses: Diagnoses the services require that diagnosis coding did not assign
            (Z23 for a vaccination); they follow the assigned diagnoses, and pointers count
            them there.
        warnings: What a coder must check (bundled pairs, missing doses, modifier 25 ...).
    """

    em: EmResult | None
    lines: tuple[CodedService, ...]
    pcs: PcsResult | None = None
    added_diagnoses: tuple[CodeSuggestion, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def services(self) -> tuple[CodedService, ...]:
        """The lines other than E/M."""
        return tuple(line for line in self.lines if line.kind is not ServiceKind.EM)


class ProcedureCoder:
    """E/M + services (outpatient) or E/M + ICD-10-PCS (inpatient) for a note.

    Args:
        kb: The knowledge base (NCCI tables, HCPCS, CPT wording, PCS tables).
    """

    def __init__(self, kb: KnowledgeBase) -> None:
        self._kb = kb
        self._services = ServiceCoder(kb)

    def code(
        self, note: Note, diagnoses: CodingResult, *, medicare: bool | None = None
    ) -> ProcedureResult:
        """Procedure codes for ``note``, pointing into ``diagnoses.assigned``.

        Args:
            note: The parsed note.
            diagnoses: Its diagnosis coding (pointers are positions in its assigned codes).
            medicare: The payer is Medicare; None: the note says so or not.
        """
        document = note.document
        is_medicare = medicare if medicare is not None else bool(_MEDICARE.search(note.text))
        warnings: list[str] = []
        em: EmResult | None = None
        try:
            em = level_visit(note, VisitContext.from_document(document, medicare=is_medicare))
        except MedcoderError as exc:
            warnings.append(f"E/M not leveled: {exc}")
        assigned = list(diagnoses.assigned)
        services: tuple[CodedService, ...] = ()
        added: tuple[CodeSuggestion, ...] = ()
        pcs: PcsResult | None = None
        if document.setting is Setting.INPATIENT:
            # Imported here: outpatient coding (and the CLI) never needs the PCS engine.
            from medcoder.coding.pcs import code_pcs

            pcs = code_pcs(note, self._kb)
            warnings.extend(q.message for q in pcs.queries)
        else:
            found = self._services.code(
                note,
                assigned,
                ServiceContext(
                    date_of_service=diagnoses.date_of_service,
                    medicare=is_medicare,
                    age=document.patient.age,
                ),
            )
            services, added = found.lines, found.added_diagnoses
            warnings.extend(found.warnings)
            warnings.extend(diagnoses_from_service_words(assigned, services))
            if em is not None and em.visit_type is VisitType.EMERGENCY:
                services = professional_only(self._kb, services, warnings)
        em_lines: list[CodedService] = []
        if em is not None:
            warnings.extend(em.warnings)
            em_lines = self._em_lines(em, services, [*assigned, *added], diagnoses, warnings)
        return ProcedureResult(
            em=em,
            lines=(*em_lines, *services),
            pcs=pcs,
            added_diagnoses=added,
            warnings=tuple(dict.fromkeys(warnings)),
        )

    def _em_lines(
        self,
        em: EmResult,
        services: tuple[CodedService, ...],
        diagnoses: list[CodeSuggestion],
        coding: CodingResult,
        warnings: list[str],
    ) -> list[CodedService]:
        evidence = tuple({(e.start, e.end): e for e in _em_evidence(em)}.values())
        problems = [d for d in diagnoses if not _plain(d.code).startswith(_NOT_A_PROBLEM)]
        lines: list[CodedService] = []
        for line in em.lines:
            preventive = line.code == em.preventive_code
            add_on = line.code not in (em.code, em.preventive_code)
            if services and diagnoses and not problems and not preventive and not add_on:
                # A vaccination or preventive service with no problem addressed: the visit
                # is the service itself.
                warnings.append(
                    f"{line.code}: no problem is addressed besides the services "
                    f"({', '.join(d.code for d in diagnoses)}): the E/M line is not billed"
                )
                continue
            coded = CodedService(
                code=line.code,
                system=LineSystem.HCPCS if line.code[0].isalpha() else LineSystem.CPT,
                description=line.description,
                kind=ServiceKind.EM,
                units=line.units,
                modifiers=line.modifiers,
                diagnosis_pointers=_em_pointers(diagnoses, preventive=preventive),
                evidence=evidence,
                rationale=em.rationale if not add_on else "prolonged service past the top level",
                score=0.9,
            )
            checked = (
                coded
                if add_on
                else settle_em_line(self._kb, coded, services, coding.date_of_service, warnings)
            )
            if checked is not None:
                lines.append(checked)
        return lines


#: Facility setting: the hospital bills the supplies, drugs, their administration and the
#: tests it runs; the physician bills the reading (ECG 93010, spirometry -26).
_READING_ONLY = {"93000": "93010", "93005": ""}
_PROFESSIONAL_26 = frozenset({"94010", "94060"})
_FACILITY_KINDS = frozenset(
    {ServiceKind.DRUG, ServiceKind.ADMINISTRATION, ServiceKind.VACCINE, ServiceKind.VACCINE_ADMIN}
)


def professional_only(
    kb: KnowledgeBase, lines: Sequence[CodedService], warnings: list[str]
) -> tuple[CodedService, ...]:
    """The lines a physician bills for an emergency department visit.

    Drugs, their administration, vaccines, venipuncture and lab tests are the hospital's
    (facility claim); ECG becomes the reading 93010, spirometry takes 26; procedures stay.
    """
    kept: list[CodedService] = []
    dropped: list[str] = []
    for line in lines:
        if line.code in _READING_ONLY:
            reading = _READING_ONLY[line.code]
            if reading:
                kept.append(
                    replace(
                        line,
                        code=reading,
                        description=Cpt(kb).description(reading),
                        rationale=f"{line.rationale}; emergency department: reading only",
                    )
                )
            else:
                dropped.append(line.code)
        elif line.code in _PROFESSIONAL_26:
            kept.append(line.with_modifier("26"))
        elif line.kind in _FACILITY_KINDS or line.kind is ServiceKind.TEST:
            dropped.append(line.code)
        else:
            kept.append(line)
    if dropped:
        warnings.append(
            "emergency department: " + ", ".join(dropped) + " are billed by the hospital "
            "(facility claim), not on the physician's claim"
        )
    return tuple(kept)


def settle_em_line(
    kb: KnowledgeBase,
    line: CodedService,
    services: Sequence[CodedService],
    day: dt.date | None,
    warnings: list[str],
) -> CodedService | None:
    """The E/M line with modifier 25 when the services need it, or None when NCCI never
    pays it with one of them (modifier indicator 0); what was decided goes to ``warnings``.
    """
    reasons: list[str] = []
    for service in services:
        try:
            edit = kb.ncci.ptp(line.code, service.code, "practitioner", day)
        except MedcoderError:
            edit = None
        if edit is not None and edit.modifier_indicator == 0:
            warnings.append(
                f"NCCI PTP edit: {line.code} is never paid with {service.code} "
                f"({edit.rationale}): the E/M line is not billed"
            )
            return None
        if (edit is not None and edit.modifier_allowed) or service.kind in _NEEDS_25:
            reasons.append(service.code)
    if not reasons or "25" in line.modifiers:
        return line
    warnings.append(
        f"{line.code}-25: billed with {', '.join(reasons)} the same day; the note must show "
        "a significant, separately identifiable E/M beyond the procedure's own work"
    )
    return replace(
        line.with_modifier("25"),
        rationale=f"{line.rationale}; modifier 25: same-day {', '.join(reasons)}",
    )


def _em_evidence(em: EmResult) -> list[Evidence]:
    found: list[Evidence] = []
    for element in (em.mdm.problems, em.mdm.data, em.mdm.risk):
        found.extend(element.evidence)
    if em.time_evidence is not None:
        found.append(em.time_evidence)
    return sorted(found, key=lambda e: e.start)[:8]


def diagnoses_from_service_words(
    diagnoses: Sequence[CodeSuggestion], services: Sequence[CodedService]
) -> list[str]:
    """Warnings for diagnoses whose only evidence is the name of a service ("flu shot" ->
    influenza): the words name what was given, not what the patient has."""
    spans = [(e.start, e.end, line.code) for line in services for e in line.evidence]
    out = []
    for dx in diagnoses:
        overlaps = [
            code
            for ev in dx.evidence
            for start, end, code in spans
            if start < ev.end and ev.start < end
        ]
        if dx.evidence and len(overlaps) >= len(dx.evidence):
            out.append(
                f"{dx.code} rests on the words of a service ({overlaps[0]}: "
                f"{dx.evidence[0].text!r}): check that the patient has the condition"
            )
    return out


def _plain(code: str) -> str:
    return code.replace(".", "")


def _em_pointers(diagnoses: list[CodeSuggestion], *, preventive: bool) -> tuple[int, ...]:
    if not diagnoses:
        return ()
    positions = list(enumerate(diagnoses, 1))
    if preventive:
        chosen = [p for p, d in positions if d.code.replace(".", "").startswith("Z00")]
    else:
        chosen = [p for p, d in positions if not d.code.replace(".", "").startswith(_NOT_A_PROBLEM)]
    return tuple(chosen[:4]) or (1,)


def _evidence_dict(evidence: Evidence) -> dict[str, Any]:
    return {"start": evidence.start, "end": evidence.end, "text": evidence.text,
            "section": evidence.section}  # fmt: skip


def line_to_dict(line: CodedService) -> dict[str, Any]:
    """A service line as JSON-ready values."""
    return {
        "code": line.code,
        "system": line.system.value,
        "description": line.description,
        "kind": line.kind.value,
        "modifiers": list(line.modifiers),
        "units": line.units,
        "diagnosis_pointers": list(line.diagnosis_pointers),
        "evidence": [_evidence_dict(e) for e in line.evidence],
        "rationale": line.rationale,
        "score": line.score,
        "site": line.site,
    }


def procedures_to_dict(result: ProcedureResult) -> dict[str, Any]:
    """``em``, ``services`` (every line, E/M first), ``pcs``, ``added_diagnoses``, ``warnings``."""
    pcs: dict[str, Any] | None = None
    if result.pcs is not None:
        pcs = {
            "codes": [
                {
                    "code": s.code,
                    "system": LineSystem.PCS.value,
                    "description": s.description,
                    "score": s.score,
                    "complete": s.complete,
                    "rationale": s.rationale,
                    "evidence": [_evidence_dict(e) for e in s.evidence],
                    "axes": [
                        {
                            "position": a.position,
                            "axis": a.axis,
                            "value": a.value,
                            "label": a.label,
                            "basis": a.basis,
                            "cue": a.cue,
                        }
                        for a in s.axes
                    ],  # fmt: skip
                }
                for s in result.pcs.suggestions
            ],
            "queries": [
                {
                    "axis": q.axis,
                    "position": q.position,
                    "prefix": q.prefix,
                    "message": q.message,
                    "candidates": [list(c) for c in q.candidates],
                }
                for q in result.pcs.queries
            ],  # fmt: skip
        }
    return {
        "em": None if result.em is None else result.em.to_dict(),
        "services": [line_to_dict(line) for line in result.lines],
        "pcs": pcs,
        "added_diagnoses": [
            {"code": d.code, "title": d.title, "score": d.score, "rationale": d.rationale}
            for d in result.added_diagnoses
        ],
        "warnings": list(result.warnings),
    }
