"""ICD-10-PCS coding of a note: procedure statements -> codes built axis by axis, or queries."""

from __future__ import annotations

import weakref
from dataclasses import replace

from medcoder.codesets._pcs_axes import BODY_SYSTEMS, SECTIONS
from medcoder.codesets.kb import KnowledgeBase
from medcoder.coding.pcs.builder import (
    AxisBuilder,
    BodyWord,
    BuildOutcome,
    Cue,
    Plan,
    label_key,
)
from medcoder.coding.pcs.context import ProcedureStatus, procedure_status
from medcoder.coding.pcs.folding import folded_codes
from medcoder.coding.pcs.lexicon import PcsLexicon, load_lexicon
from medcoder.coding.pcs.reliability import Reliability
from medcoder.coding.pcs.result import PcsAxisChoice, PcsQuery, PcsResult, PcsSuggestion
from medcoder.coding.pcs.statements import Statement, StatementFinder
from medcoder.coding.result import Evidence
from medcoder.notes import Note, assert_spans

__all__ = ["COMPLETE_SCORE", "PARTIAL_SCORE", "PcsCoder", "code_pcs"]

#: Score of a code whose seven characters are all documented.
COMPLETE_SCORE = 0.9
#: Score of a 4-character partial (the note leaves approach, contrast, device... open).
PARTIAL_SCORE = 0.6
#: One side's code when the note does not say which side: for review, never assigned.
ALTERNATIVE_FACTOR = 0.4
#: A procedure the note tells as past history (done before this stay) is only suggested.
HISTORICAL_FACTOR = 0.4


class PcsCoder:
    """Codes procedures of notes against one knowledge base (reuse it across notes).

    Args:
        kb: The open knowledge base (its ICD-10-PCS code list decides every value).
        lexicon: The procedure lexicon; the packaged one by default.
        reliability: Scores per lexicon entry; by default none (the engine's scores: 0.9 for a
            complete code, 0.6 for a partial). ``load_reliability()`` gives the rates learned on
            CodiEsp train: they rank better on CodiEsp, but they also carry its annotators'
            conventions (orotracheal intubation truncated to 4 characters, codes deleted
            since), which would keep a well-documented US procedure from being assigned.
    """

    def __init__(
        self,
        kb: KnowledgeBase,
        lexicon: PcsLexicon | None = None,
        reliability: Reliability | None = None,
    ) -> None:
        self._kb = kb
        self._builder = AxisBuilder(kb.pcs)
        self._finder = StatementFinder(lexicon or load_lexicon())
        self._reliability = Reliability() if reliability is None else reliability
        self._operation_names: dict[str, str | None] = {}

    def code(self, note: Note) -> PcsResult:
        """The PCS codes the note documents, best first, and queries for what it leaves open."""
        text = note.text
        found: list[tuple[Statement, int, int]] = []
        for sentence in note.sentences:
            for statement in self._finder.find(text, sentence.start, sentence.end):
                found.append((statement, sentence.start, sentence.end))
        if not found:
            return PcsResult(())
        statuses = assert_spans(note, [(s.cue.start, s.cue.end) for s, _, _ in found])
        suggestions: dict[str, PcsSuggestion] = {}
        queries: dict[tuple[str, int], PcsQuery] = {}
        for (statement, start, end), context in zip(found, statuses, strict=True):
            status = procedure_status(
                text,
                (start, end),
                (statement.cue.start, statement.cue.end),
                context,
                note.document.date_of_service,
            )
            if status in (ProcedureStatus.NOT_DONE, ProcedureStatus.PLANNED):
                continue
            historical = status is ProcedureStatus.PAST
            section = note.section_at(statement.cue.start).name
            for outcome, alternative in self._outcomes(statement.plan):
                self._collect(
                    statement, outcome, historical, alternative, section, suggestions, queries
                )
        complete_prefixes = {c[:4] for c, s in suggestions.items() if s.complete}
        folded = folded_codes(suggestions.values())
        ranked = sorted(
            (
                s
                for s in suggestions.values()
                if (s.complete or s.code not in complete_prefixes or s.historical)
                and s.code not in folded
            ),
            key=lambda s: (-s.score, s.evidence[0].start if s.evidence else 0, s.code),
        )
        kept_queries = tuple(q for q in queries.values() if q.prefix[:4] not in folded)
        return PcsResult(tuple(ranked), kept_queries)

    def _outcomes(self, plan: Plan) -> list[tuple[BuildOutcome, bool]]:
        """The outcome of a plan, and, when only the side is missing, one per side.

        Each side's code is an alternative (``True``): ranked for review, never assigned.
        """
        first = plan.body[0] if plan.body else None
        if first is not None and first.parts:
            alone = self._builder.build(replace(plan, body=(first,)))
            if len(alone.prefix) < 4 and not alone.missing_axis.endswith("(laterality)"):
                # No value for the combined region here: code each region it is made of.
                return [
                    (self._builder.build(replace(plan, body=(self._part(first, p),))), False)
                    for p in first.parts
                ]
        outcome = self._builder.build(plan)
        if not outcome.missing_axis.endswith("(laterality)"):
            return [(outcome, False)]
        word = next((w for w in plan.body if w.cue in outcome.cues), None)
        if word is None:
            return [(outcome, False)]
        sides = [label_key(v.label or "")[1] for v in outcome.candidates]
        if word.side == "bilateral" and {"right", "left"} <= set(sides):
            # "both eyes" where the table has only a right and a left value: one code each.
            return [
                (self._builder.build(replace(plan, body=(replace(word, side=side),))), False)
                for side in ("right", "left")
            ]
        alternatives = [
            (self._builder.build(replace(plan, body=(replace(word, side=side),))), True)
            for side in sides
            if side is not None
        ]
        return [(outcome, False), *alternatives]

    @staticmethod
    def _part(word: BodyWord, labels: tuple[str, ...]) -> BodyWord:
        return replace(word, labels=labels, parts=())

    def _collect(
        self,
        statement: Statement,
        outcome: BuildOutcome,
        historical: bool,
        alternative: bool,
        section: str,
        suggestions: dict[str, PcsSuggestion],
        queries: dict[tuple[str, int], PcsQuery],
    ) -> None:
        evidence = _evidence(statement.cue, outcome.cues, section)
        if not outcome.complete and not alternative and not historical:
            query = self._query(statement, outcome, evidence)
            queries.setdefault((query.prefix, query.position), query)
        if len(outcome.prefix) < 4:
            return
        code = outcome.prefix if outcome.complete else outcome.prefix[:4]
        score = self._reliability.score(
            statement.action.id,
            outcome.complete,
            COMPLETE_SCORE if outcome.complete else PARTIAL_SCORE,
        )
        if historical:
            score *= HISTORICAL_FACTOR
        if alternative:
            score *= ALTERNATIVE_FACTOR
        axes = self._labelled(outcome.axes[: len(code)], statement.why)
        description = (
            self._kb.pcs.lookup(code).description if outcome.complete else _partial_title(axes)
        )
        suggestion = PcsSuggestion(
            code=code,
            description=description,
            score=round(score, 3),
            rationale=_rationale(axes, statement.why, code, outcome),
            axes=axes,
            evidence=evidence,
            complete=outcome.complete,
            historical=historical,
            procedure=statement.action.id,
        )
        known = suggestions.get(code)
        if known is None or known.score < suggestion.score:
            if known is not None:
                suggestion = replace(suggestion, evidence=_merge(suggestion, known))
            suggestions[code] = suggestion
        else:
            suggestions[code] = replace(known, evidence=_merge(known, suggestion))

    def _labelled(self, axes: tuple[PcsAxisChoice, ...], why: str) -> tuple[PcsAxisChoice, ...]:
        out = []
        for axis in axes:
            if axis.position == 1:
                axis = replace(axis, label=SECTIONS.get(axis.value))
            elif axis.position == 2:
                axis = replace(axis, label=BODY_SYSTEMS.get(axes[0].value + axis.value))
            elif axis.position == 3:
                table = axes[0].value + axes[1].value + axis.value
                if table not in self._operation_names:
                    self._operation_names[table] = self._kb.pcs.table(table).root_operation
                axis = replace(axis, label=self._operation_names[table], cue=why)
            out.append(axis)
        return tuple(out)

    def _query(
        self, statement: Statement, outcome: BuildOutcome, evidence: tuple[Evidence, ...]
    ) -> PcsQuery:
        candidates = tuple((v.value, v.label) for v in outcome.candidates)
        shown = ", ".join(f"{v} {label or '?'}" for v, label in candidates[:12])
        what = statement.cue.text
        message = (
            f"'{what}': the note does not document the {outcome.missing_axis.lower()}"
            + (f" after {outcome.prefix}" if outcome.prefix else "")
            + (f"; candidates: {shown}" if shown else "")
        )
        return PcsQuery(
            axis=outcome.missing_axis,
            position=outcome.missing_position,
            prefix=outcome.prefix,
            candidates=candidates,
            message=message,
            evidence=evidence,
        )


def code_pcs(note: Note, kb: KnowledgeBase) -> PcsResult:
    """ICD-10-PCS codes for the procedures a note documents, with queries for missing axes.

    Each procedure statement ("laparoscopic appendectomy") is coded axis by axis against the
    knowledge base's code list; an axis the note leaves open (approach, laterality, contrast,
    qualifier...) stops the code at that axis: the result then holds the 4-character partial
    (for ranking) and a query naming the axis and its candidate values.

    Args:
        note: A parsed note (:func:`medcoder.notes.parse_note`).
        kb: The open knowledge base.

    Returns:
        The codes, best first, and the queries.

    Example:
        >>> note = parse_note(read_document("Laparoscopic appendectomy was performed."))
        >>> code_pcs(note, kb).codes
        ('0DTJ4ZZ',)
    """
    coder = _CODERS.get(kb)
    if coder is None:
        coder = _CODERS[kb] = PcsCoder(kb)
    return coder.code(note)


# One coder per open knowledge base: its phrase tables and table caches are built once.
_CODERS: weakref.WeakKeyDictionary[KnowledgeBase, PcsCoder] = weakref.WeakKeyDictionary()


def _evidence(action: Cue, cues: tuple[Cue, ...], section: str) -> tuple[Evidence, ...]:
    spans = {(c.start, c.end): c.text for c in (action, *cues)}
    return tuple(Evidence(s, e, t, section) for (s, e), t in sorted(spans.items()))


def _merge(first: PcsSuggestion, second: PcsSuggestion) -> tuple[Evidence, ...]:
    seen = {(e.start, e.end): e for e in (*first.evidence, *second.evidence)}
    return tuple(seen[k] for k in sorted(seen))


def _partial_title(axes: tuple[PcsAxisChoice, ...]) -> str:
    return ", ".join(a.label or a.value for a in axes)


def _rationale(axes: tuple[PcsAxisChoice, ...], why: str, code: str, outcome: BuildOutcome) -> str:
    parts = [why or f"{axes[2].axis} {axes[2].label or axes[2].value}"]
    for axis in axes[3:]:
        if axis.basis == "note" and axis.cue:
            source = f"'{axis.cue}'"
        elif axis.basis == "lexicon" and axis.cue:
            source = f"lexicon ({axis.cue})"
        else:
            source = axis.basis
        parts.append(f"{axis.axis.lower()} {axis.label or '?'} ({axis.value}) from {source}")
    tail = f" -> {code}"
    if not outcome.complete:
        tail += f" (partial: {outcome.missing_axis.lower()} not documented)"
    return "; ".join(parts) + tail
