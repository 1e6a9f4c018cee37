"""The service coder: every family's lines, then NCCI modifiers, MUE checks and pointers."""

from __future__ import annotations

import re
from collections.abc import Sequence

from medcoder.codesets import KnowledgeBase
from medcoder.coding.result import CodeSuggestion, Origin
from medcoder.coding.services.drugs import find_drugs
from medcoder.coding.services.lines import LineMaker
from medcoder.coding.services.model import (
    CodedService,
    ServiceContext,
    ServiceKind,
    ServicesResult,
)
from medcoder.coding.services.modifiers import apply_ncci, check_mue, drop_orphan_addons
from medcoder.coding.services.office_procedures import find_office_procedures
from medcoder.coding.services.office_tests import find_office_tests
from medcoder.coding.services.pointers import assign_pointers
from medcoder.coding.services.scan import Scanner
from medcoder.coding.services.vaccines import find_vaccines
from medcoder.errors import MedcoderError
from medcoder.notes import Note

__all__ = ["ServiceCoder"]

_MEDICARE = re.compile(r"\bmedicare\b", re.IGNORECASE)


class ServiceCoder:
    """Finds the CPT/HCPCS services a note documents as done today.

    Example:
        >>> note = parse_note(read_document("Procedure: Toradol 60 mg IM given."))
        >>> [(l.code, l.units) for l in ServiceCoder(kb).code(note).lines]
        [('J1885', 4), ('96372', 1)]
    """

    def __init__(self, kb: KnowledgeBase) -> None:
        self._kb = kb
        self._maker = LineMaker(kb)

    def code(
        self,
        note: Note,
        diagnoses: Sequence[CodeSuggestion] = (),
        context: ServiceContext | None = None,
    ) -> ServicesResult:
        """Service lines in claim order (procedures, drugs and their administration,
        vaccines, tests), with modifiers, units and diagnosis pointers.

        Args:
            note: The parsed note.
            diagnoses: The assigned diagnoses, first-listed first (pointers refer to them).
            context: Date of service, payer, age; taken from the note's document by default.
        """
        document = note.document
        ctx = context or ServiceContext(
            date_of_service=document.date_of_service, age=document.patient.age
        )
        medicare = ctx.medicare if ctx.medicare is not None else bool(_MEDICARE.search(note.text))
        scanner = Scanner(note)
        lines = [
            *find_office_procedures(scanner, self._maker, medicare=medicare),
            *find_drugs(scanner, self._maker),
            *find_vaccines(
                scanner,
                self._maker,
                medicare=medicare,
                day=ctx.date_of_service,
                age=ctx.age,
            ),
            *find_office_tests(scanner, self._maker, medicare=medicare),
        ]
        warnings = list(scanner.warnings)
        lines, ncci_warnings = apply_ncci(
            lines,
            self._kb,
            note_text=note.text,
            setting=ctx.ncci_setting,
            day=ctx.date_of_service,
        )
        warnings.extend(ncci_warnings)
        lines, addon_warnings = drop_orphan_addons(lines, self._kb, day=ctx.date_of_service)
        warnings.extend(addon_warnings)
        warnings.extend(
            check_mue(lines, self._kb, setting=ctx.ncci_setting, day=ctx.date_of_service)
        )
        added = self._required_diagnoses(lines, diagnoses)
        lines, pointer_warnings = assign_pointers(lines, note, [*diagnoses, *added])
        warnings.extend(pointer_warnings)
        return ServicesResult(tuple(lines), tuple(dict.fromkeys(warnings)), tuple(added))

    def _required_diagnoses(
        self, lines: Sequence[CodedService], diagnoses: Sequence[CodeSuggestion]
    ) -> list[CodeSuggestion]:
        """Z23 when a vaccine was given and no Z23 is assigned (guideline I.C.21.c.2)."""
        vaccines = [line for line in lines if line.kind is ServiceKind.VACCINE]
        if not vaccines or any(d.code.replace(".", "") == "Z23" for d in diagnoses):
            return []
        try:
            title = self._kb.icd10cm.lookup("Z23").title
        except MedcoderError:
            return []
        return [
            CodeSuggestion(
                code="Z23",
                title=title,
                score=0.9,
                rationale="Vaccine given at this encounter: Z23 (guideline I.C.21.c.2)",
                evidence=tuple(e for line in vaccines for e in line.evidence),
                origin=Origin.RULE,
                rules=("services.vaccine_z23",),
            )
        ]
