"""What the worker saves for a document: every suggested code as a plain value.

:class:`DocumentCoder` is the one port the ``code_document`` job needs: a parsed
:class:`~medcoder.notes.Document` in, a :class:`DocumentCoding` out. It is pure (no database);
the store side (:mod:`medcoder.worker.code_document`) turns the values into CodingRun and
CodeAssignment rows. :class:`EngineCoder` is the real implementation: diagnosis coding with
:class:`~medcoder.coding.DiagnosisCoder`, plus procedure coding through
``medcoder.coding.procedures.ProcedureCoder`` when that module is installed (it is being built;
the adapter is small and isolated so the worker does not depend on its shape elsewhere).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from medcoder.coding import CodingConfig, CodingResult, DiagnosisCoder, Evidence
from medcoder.notes import Document

if TYPE_CHECKING:
    from medcoder.codesets import KnowledgeBase

__all__ = [
    "DocumentCoder",
    "DocumentCoding",
    "EngineCoder",
    "SuggestedCode",
    "evidence_json",
    "from_diagnosis_result",
]

log = logging.getLogger(__name__)

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


ProcedureHook = Callable[[Document, CodingResult], tuple[SuggestedCode, ...]]


class EngineCoder:
    """Diagnosis coding, and procedure coding when ``medcoder.coding.procedures`` exists.

    Args:
        kb: the open knowledge base (one per process; opening it costs about a second).
        config: diagnosis coding options (the defaults of ``medcoder code``).
        procedures: a function adding service lines; by default the adapter over
            ``ProcedureCoder`` if that module is importable, else none.
    """

    def __init__(
        self,
        kb: KnowledgeBase,
        config: CodingConfig | None = None,
        *,
        procedures: ProcedureHook | None = None,
        owns_kb: bool = False,
    ) -> None:
        self._kb = kb
        self._owns_kb = owns_kb
        self._diagnoses = DiagnosisCoder(kb, config)
        self._procedures = procedures if procedures is not None else _procedure_adapter(kb)
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
        extra: tuple[SuggestedCode, ...] = ()
        if self._procedures is not None:
            extra = self._procedures(document, result)
        return DocumentCoding(
            codes=coding.codes + extra,
            queries=coding.queries,
            warnings=coding.warnings,
            engine=self.engine,
            kb_fingerprint=self._kb_fingerprint,
        )


_SYSTEM_NAMES: Mapping[str, str] = {
    "CPT": "CPT",
    "HCPCS": "HCPCS",
    "PCS": "PCS",
    "ICD-10-PCS": "PCS",
    "ICD10PCS": "PCS",
}


def _procedure_adapter(kb: KnowledgeBase) -> ProcedureHook | None:
    """An adapter over ``medcoder.coding.procedures.ProcedureCoder``, if it is installed.

    Its output is read by attribute names of the service-line contract (code, system,
    modifiers, units, evidence, rationale, score); a line that lacks them is skipped with a
    warning rather than failing the job.
    """
    try:
        module = importlib.import_module("medcoder.coding.procedures")
    except ModuleNotFoundError as exc:
        if exc.name != "medcoder.coding.procedures":
            raise
        return None
    coder: Any = module.ProcedureCoder(kb)

    def add_procedures(document: Document, result: CodingResult) -> tuple[SuggestedCode, ...]:
        out: list[SuggestedCode] = []
        counters: dict[str, int] = {}
        for line in _service_lines(coder, document, result):
            try:
                system = _SYSTEM_NAMES.get(str(line.system).upper(), str(line.system))
                counters[system] = counters.get(system, 0) + 1
                detail = {
                    "modifiers": [str(m) for m in getattr(line, "modifiers", ()) or ()],
                    "units": getattr(line, "units", 1),
                    "diagnosis_pointers": list(getattr(line, "diagnosis_pointers", ()) or ()),
                }
                out.append(
                    SuggestedCode(
                        code=str(line.code),
                        system=system,
                        score=float(line.score),
                        rationale=str(line.rationale),
                        evidence=tuple(line.evidence),
                        sequence=counters[system],
                        detail=detail,
                    )
                )
            except AttributeError as exc:
                log.warning("procedure line skipped: %s", exc)
        return tuple(out)

    return add_procedures


def _service_lines(coder: Any, document: Document, result: CodingResult) -> list[Any]:
    """The service lines of ``ProcedureCoder.code`` (a result with ``.lines`` or a list)."""
    try:
        produced = coder.code(document, diagnoses=result)
    except TypeError:
        produced = coder.code(document)
    lines = getattr(produced, "lines", None)
    if lines is None:
        lines = getattr(produced, "service_lines", produced)
    return list(lines)
