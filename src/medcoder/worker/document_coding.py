"""What the worker saves for a document: every suggested code as a plain value.

:class:`DocumentCoder` is the one port the ``code_document`` job needs: a parsed
:class:`~medcoder.notes.Document` in, a :class:`DocumentCoding` out. It is pure (no database);
the store side (:mod:`medcoder.worker.code_document`) turns the values into CodingRun and
CodeAssignment rows. :class:`EngineCoder` is the real implementation: diagnosis coding with
:class:`~medcoder.coding.DiagnosisCoder`, then procedure coding with
:class:`~medcoder.coding.procedures.ProcedureCoder` (E/M, CPT/HCPCS service lines, inpatient
ICD-10-PCS), turned into the same values by :func:`from_procedure_result`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from medcoder.coding import CodingConfig, CodingResult, DiagnosisCoder, Evidence
from medcoder.coding.procedures import ProcedureCoder, ProcedureResult
from medcoder.notes import Document, parse_note

if TYPE_CHECKING:
    from medcoder.codesets import KnowledgeBase

__all__ = [
    "DocumentCoder",
    "DocumentCoding",
    "EngineCoder",
    "SuggestedCode",
    "evidence_json",
    "from_diagnosis_result",
    "from_procedure_result",
]

ICD10CM = "ICD10CM"


@dataclass(frozen=True, slots=True)
class SuggestedCode:
    """One code the engine suggests, with what a coder needs to check it.

    Attributes:
        code: the code as the code set writes it (``E11.22``, ``99214``).
        system: ``ICD10CM``, ``CPT``, ``HCPCS`` or ``PCS`` (the store's spelling).
        score: the engine's confidence, 0..1.
        rationale: one line: the Index path or rule that produced it.
        evidence: the words of the note that support it (offsets into the note text).
        sequence: 1-based position among the codes of its system (first-listed first).
        detail: what else a service line carries (modifiers, units, diagnosis pointers).
    """

    code: str
    system: str
    score: float
    rationale: str
    evidence: tuple[Evidence, ...]
    sequence: int
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DocumentCoding:
    """Everything coding one document produced, ready to be stored."""

    codes: tuple[SuggestedCode, ...]
    queries: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    engine: str = "diagnosis"
    kb_fingerprint: str = ""


class DocumentCoder(Protocol):
    """Codes one parsed document (the worker loads one per process: it holds the KB)."""

    def code(self, document: Document) -> DocumentCoding: ...


def evidence_json(evidence: Iterable[Evidence]) -> list[dict[str, Any]]:
    """Evidence as stored in a CodeAssignment (JSON): offsets, words and section."""
    return [
        {"start": e.start, "end": e.end, "text": e.text, "section": e.section} for e in evidence
    ]


def from_diagnosis_result(result: CodingResult) -> DocumentCoding:
    """The ICD-10-CM part of a document's coding, in the engine's order."""
    codes = tuple(
        SuggestedCode(
            code=dx.code,
            system=ICD10CM,
            score=float(dx.score),
            rationale=dx.rationale,
            evidence=dx.evidence,
            sequence=i,
        )
        for i, dx in enumerate(result.diagnoses, 1)
    )
    return DocumentCoding(
        codes=codes,
        queries=tuple(f"{q.topic}: {q.message}" for q in result.queries),
        warnings=result.warnings,
    )


ProcedureHook = Callable[[Document, CodingResult], DocumentCoding]


def from_procedure_result(result: ProcedureResult, diagnoses: CodingResult) -> DocumentCoding:
    """The procedure part of a document's coding: E/M and service lines, ICD-10-PCS codes,
    and the diagnoses the services require (Z23 for a vaccination) after the others.

    A line's diagnosis pointers are positions in the *assigned* diagnoses followed by the
    added ones; they are kept as given and resolved to codes (``detail.diagnosis_codes``), since
    the stored positions count every suggestion.
    """
    pointed = [*diagnoses.assigned, *result.added_diagnoses]
    codes: list[SuggestedCode] = []
    counters: dict[str, int] = {}

    def sequence(system: str) -> int:
        counters[system] = counters.get(system, 0) + 1
        return counters[system]

    for line in result.lines:
        system = line.system.value
        codes.append(
            SuggestedCode(
                code=line.code,
                system=system,
                score=float(line.score),
                rationale=line.rationale,
                evidence=line.evidence,
                sequence=sequence(system),
                detail={
                    "kind": line.kind.value,
                    "modifiers": list(line.modifiers),
                    "units": line.units,
                    "diagnosis_pointers": list(line.diagnosis_pointers),
                    "diagnosis_codes": [
                        pointed[p - 1].code
                        for p in line.diagnosis_pointers
                        if 0 < p <= len(pointed)
                    ],
                },
            )
        )
    if result.pcs is not None:
        for suggestion in result.pcs.suggestions:
            codes.append(
                SuggestedCode(
                    code=suggestion.code,
                    system="PCS",
                    score=float(suggestion.score),
                    rationale=suggestion.rationale,
                    evidence=suggestion.evidence,
                    sequence=sequence("PCS"),
                    detail={"complete": suggestion.complete},
                )
            )
    first_added = len(diagnoses.diagnoses) + 1
    for i, dx in enumerate(result.added_diagnoses):
        codes.append(
            SuggestedCode(
                code=dx.code,
                system=ICD10CM,
                score=float(dx.score),
                rationale=dx.rationale,
                evidence=dx.evidence,
                sequence=first_added + i,
                detail={"required_by_service": True},
            )
        )
    return DocumentCoding(codes=tuple(codes), warnings=result.warnings)


class EngineCoder:
    """Diagnosis coding, then procedure coding (E/M, services, inpatient ICD-10-PCS).

    Args:
        kb: the open knowledge base (one per process; opening it costs about a second).
        config: diagnosis coding options (the defaults of ``medcoder code``).
        procedures: codes the procedures of a document given its diagnoses; by default
            :class:`~medcoder.coding.procedures.ProcedureCoder`. ``with_procedures=False``
            codes diagnoses only.
        owns_kb: close ``kb`` in :meth:`close` (when the coder opened it for a worker).
    """

    def __init__(
        self,
        kb: KnowledgeBase,
        config: CodingConfig | None = None,
        *,
        procedures: ProcedureHook | None = None,
        with_procedures: bool = True,
        owns_kb: bool = False,
    ) -> None:
        self._kb = kb
        self._owns_kb = owns_kb
        self._diagnoses = DiagnosisCoder(kb, config)
        self._procedures: ProcedureHook | None = None
        if with_procedures:
            self._procedures = procedures or _procedure_coder(kb)
        self._kb_fingerprint = kb.path.stem

    @property
    def engine(self) -> str:
        return "diagnosis+procedures" if self._procedures is not None else "diagnosis"

    def close(self) -> None:
        """Close the knowledge base if this coder owns it."""
        if self._owns_kb:
            self._kb.close()

    def code(self, document: Document) -> DocumentCoding:
        result = self._diagnoses.code(document)
        coding = from_diagnosis_result(result)
        if self._procedures is None:
            return replace(coding, engine=self.engine, kb_fingerprint=self._kb_fingerprint)
        procedures = self._procedures(document, result)
        return DocumentCoding(
            codes=coding.codes + procedures.codes,
            queries=coding.queries + procedures.queries,
            warnings=tuple(dict.fromkeys(coding.warnings + procedures.warnings)),
            engine=self.engine,
            kb_fingerprint=self._kb_fingerprint,
        )


def _procedure_coder(kb: KnowledgeBase) -> ProcedureHook:
    coder = ProcedureCoder(kb)

    def code_procedures(document: Document, diagnoses: CodingResult) -> DocumentCoding:
        return from_procedure_result(coder.code(parse_note(document), diagnoses), diagnoses)

    return code_procedures
