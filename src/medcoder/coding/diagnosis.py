"""Diagnosis coding: from a parsed note to ranked ICD-10-CM codes with evidence.

The flow is the coder's (DESIGN.md, "How coders actually find a code"):

1. every sentence / list item is read for Alphabetic Index main terms and the subterms the
   documentation supports (:mod:`medcoder.coding.index_matcher`);
2. each mention gets its assertion from ConText and its section (:mod:`medcoder.notes`):
   negated and hypothetical mentions are not coded; uncertain ones are coded only inpatient;
   family and personal history go to their own Index entries (History, family / personal);
3. the Index code is verified and completed in the Tabular List (site, laterality, 7th
   character) (:mod:`medcoder.coding.specificity`);
4. rules combine and prune (hypertension presumption, specific over unspecified, Excludes1,
   integral symptoms) (:mod:`medcoder.coding.rules`);
5. codes are sequenced: the reason for the encounter first.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from medcoder.codesets.releases import CodeSystem
from medcoder.coding.abbreviations import Abbreviations
from medcoder.coding.calibration import TermReliability
from medcoder.coding.combine import ModelCombiner, restack
from medcoder.coding.encounter import EncounterCodes
from medcoder.coding.index_lexicon import IndexLexicon, IndexNode
from medcoder.coding.index_matcher import IndexMatch, IndexMatcher
from medcoder.coding.mentions import Mention, prune_overlaps
from medcoder.coding.model import LearnedRanker
from medcoder.coding.model.stacker import Stacker
from medcoder.coding.neoplasm import NeoplasmTable, behavior_of
from medcoder.coding.result import (
    ASSIGNED_THRESHOLD,
    CodeSuggestion,
    CodingResult,
    DocumentationQuery,
    Evidence,
    Origin,
)
from medcoder.coding.rules import (
    CHRONIC_CATEGORIES,
    Candidate,
    Rule,
    RuleContext,
    demote,
    documentation_queries,
    drop_integral_symptoms,
    drop_less_specific,
    drop_unspecified_injury,
    hypertension_presumption,
    merge,
    resolve_excludes1,
    use_additional_queries,
)
from medcoder.coding.specificity import CodeCompleter, encounter_cues
from medcoder.coding.tabular_facts import TabularFacts
from medcoder.coding.text import STOPWORDS, Token, content_tokens, mark_negated
from medcoder.coding.title_matcher import TitleMatcher
from medcoder.notes import Assertion, Document, Setting, assert_spans, parse_note
from medcoder.notes.model import Note

if TYPE_CHECKING:
    from medcoder.codesets.kb import DatedView, KnowledgeBase

__all__ = ["CodingConfig", "DiagnosisCoder"]

log = logging.getLogger(__name__)

# Sections that state the reason for the encounter, in order of authority.
_OUTPATIENT_ORDER = (
    "assessment",
    "assessment_and_plan",
    "impression",
    "diagnoses",
    "postoperative_diagnosis",
    "chief_complaint",
    "reason_for_visit",
    "history_of_present_illness",
)
_INPATIENT_ORDER = (
    "principal_diagnosis",
    "discharge_diagnoses",
    "postoperative_diagnosis",
    "diagnoses",
    "assessment",
    "assessment_and_plan",
    "impression",
    "hospital_course",
    "chief_complaint",
    "reason_for_visit",
    "history_of_present_illness",
)
_FIRST_LISTED_Z = ("Z00", "Z01", "Z02", "Z08", "Z09", "Z11", "Z12", "Z13", "Z23", "Z51")
# Sections whose words are not conditions of the patient (drug names, allergens).
_NO_CONDITIONS_SECTIONS = frozenset({"allergies", "medications"})
# "PMH: none. Meds: none. Allergies: NKDA." puts lists after inline labels mid-line.
_INLINE_LIST_LABEL = re.compile(r"\s*(allerg\w*|meds|medications|current medications)\s*:", re.I)
_PAST_SECTIONS = frozenset({"past_medical_history", "past_surgical_history"})
_STATUS_CUE = re.compile(r"s/p|status|post", re.IGNORECASE)
_HISTORY_PATHS = {Assertion.HISTORICAL: "History, personal", Assertion.FAMILY: "History, family"}


@dataclass(frozen=True)
class CodingConfig:
    """Options of diagnosis coding (defaults are what `medcoder code` uses).

    Attributes:
        min_score: suggestions below this are not returned.
        calibrate: blend each Index walk's prior score with its precision on coded training
            notes (:mod:`medcoder.coding.calibration`).
        use_model: combine the learned ranker (:mod:`medcoder.coding.model`) with the Index
            walks: agreement raises a code's score, and codes only the model proposes are
            added with its evidence (never when that evidence is negated).
        stack: with the model, score every candidate with the learned combination
            (:mod:`medcoder.coding.model.stacker`) instead of the hand-set scores.
        rules: rule names to run, in order (all by default).
    """

    min_score: float = 0.1
    calibrate: bool = True
    use_model: bool = True
    stack: bool = True
    rules: tuple[str, ...] = (
        "hypertension_presumption",
        "drop_less_specific",
        "drop_unspecified_injury",
        "resolve_excludes1",
        "drop_integral_symptoms",
        "use_additional_queries",
        "documentation_queries",
    )


_RULES: dict[str, Rule] = {
    "hypertension_presumption": hypertension_presumption,
    "drop_less_specific": drop_less_specific,
    "drop_unspecified_injury": drop_unspecified_injury,
    "resolve_excludes1": resolve_excludes1,
    "drop_integral_symptoms": drop_integral_symptoms,
    "use_additional_queries": use_additional_queries,
    "documentation_queries": documentation_queries,
}


def _section_assertion(status: Assertion, mention: Mention) -> Assertion:
    """A past-history section makes an acute condition historical (chronic ones stay current).

    "PMH: TIA (2021), DVT (2019)" lists past events; "PMH: HTN, T2DM" lists conditions the
    patient still has, which a coder codes as current.
    """
    if status is not Assertion.PRESENT or mention.section not in _PAST_SECTIONS:
        return status
    code = (mention.match.code or "").replace(".", "")
    if not code or code[:3] in CHRONIC_CATEGORIES:
        return status
    return Assertion.HISTORICAL


def _support_score(match: IndexMatch) -> float:
    """Prior confidence of an Index walk from how much of it the note supports."""
    if match.title:  # a Tabular title said word for word
        return min(0.9, 0.6 + 0.05 * match.words)
    depth = len(match.path) - 1
    return min(0.95, 0.55 + 0.08 * min(match.words - 1, 3) + 0.05 * min(depth, 2))


class DiagnosisCoder:
    """Codes notes with one knowledge base. Build once, call :meth:`code` per note.

    Example:
        >>> coder = DiagnosisCoder(kb)
        >>> result = coder.code(read_document("Assessment: Type 2 diabetes with CKD stage 3b."))
        >>> [d.code for d in result.assigned]
        ['E11.22', 'N18.32']
    """

    def __init__(self, kb: KnowledgeBase, config: CodingConfig | None = None) -> None:
        self.kb = kb
        self.config = config or CodingConfig()
        release = kb.release_for(CodeSystem.ICD10CM)
        self.lexicon = IndexLexicon.from_connection(kb.con, release.id)
        self.matcher = IndexMatcher(self.lexicon)
        self.neoplasms = NeoplasmTable(kb.con, release.id)
        self.titles = TitleMatcher.from_connection(kb.con, release.id)
        self.abbreviations = Abbreviations.load()
        self.icd = TabularFacts(kb.icd10cm)
        self.completer = CodeCompleter(self.icd)
        self.reliability = TermReliability.load() if self.config.calibrate else TermReliability({})
        self.encounter = EncounterCodes(self.icd, self.lexicon, self.matcher, self.completer)
        self.combiner = (
            ModelCombiner(LearnedRanker.load(), self.icd, self.lexicon)
            if self.config.use_model
            else None
        )
        self.stacker = Stacker.load() if self.config.use_model and self.config.stack else None
        self._status_root = self.lexicon.find_path("Status")
        self._history_roots = {
            kind: self.lexicon.find_path(path) for kind, path in _HISTORY_PATHS.items()
        }

    # -- public ------------------------------------------------------------------------------
    def code(self, document: Document) -> CodingResult:
        """Code one document. Raises NoReleaseError if no code set covers its date."""
        note, cands, ctx, view = self.candidates(document)
        if self.stacker is not None and self.combiner is not None:
            cands = restack(cands, self.stacker, self.reliability, self.combiner.ranker)
            self.encounter.settle_preventive_visit(note, cands)
        cands = self._sequence(cands, note)
        diagnoses = tuple(self._suggestion(c) for c in cands if c.score >= self.config.min_score)
        return CodingResult(
            source=document.source,
            setting=document.setting.value,
            date_of_service=document.date_of_service or dt.date.today(),
            diagnoses=diagnoses,
            queries=tuple(_dedupe_queries(ctx.queries)),
            warnings=tuple(w for w in view.warnings if w.startswith("icd10cm")),
        )

    def candidates(
        self, document: Document
    ) -> tuple[Note, list[Candidate], RuleContext, DatedView]:
        """Every candidate code of ``document`` after the rules, before the learned combination.

        :meth:`code` finishes from here; ``scripts/train_codiesp_combiner.py`` learns the
        combination from these candidates.
        """
        dos = document.date_of_service or dt.date.today()
        view = self.kb.for_date(dos)
        note = parse_note(document)
        mentions, tokens_by_sentence = self._mentions(note)
        note_words = frozenset(
            t.norm for tokens in tokens_by_sentence for t in tokens if t.norm not in STOPWORDS
        ) | encounter_cues(note.text)
        ctx = RuleContext(icd=self.icd)
        cands = self._candidates(note, mentions, note_words, ctx)
        cands = self._link_with(cands, note_words)
        cands.extend(self.encounter.drug_therapy(note))
        cands.extend(
            self.encounter.status_codes(
                note, tokens_by_sentence, by_existing={c.code for c in cands}
            )
        )
        if self.combiner is not None:
            cands = self.combiner.combine(cands, note)
        cands.extend(self.encounter.preventive_visit(note, cands))
        for name in self.config.rules:
            cands = _RULES[name](cands, ctx)
        cands = self._check_date(cands, view)
        return note, cands, ctx, view

    # -- steps -------------------------------------------------------------------------------
    def _units(self, note: Note) -> list[tuple[int, int]]:
        return [(s.start, s.end) for s in note.sentences]

    def _mentions(self, note: Note) -> tuple[list[Mention], list[list[Token]]]:
        text = note.text
        found: list[Mention] = []
        all_tokens: list[list[Token]] = []
        spans: list[tuple[int, int]] = []
        for start, end in self._units(note):
            tokens = mark_negated(self.abbreviations.tokenize(text[start:end], start))
            all_tokens.append(tokens)
            matches = self.matcher.match(tokens) + [
                IndexMatch(
                    path=(),
                    code=t.code,
                    see=None,
                    token_indexes=t.token_indexes,
                    words=len(t.token_indexes),
                    title=t.text,
                )
                for t in self.titles.match(tokens)
            ]
            matches = prune_overlaps(matches)
            words = frozenset(t.norm for t in tokens if t.norm not in STOPWORDS)
            section = note.section_at(start).name
            if section in _NO_CONDITIONS_SECTIONS or _INLINE_LIST_LABEL.match(text, start, end):
                continue
            for match in matches:
                if match.code is None and not (match.see and "condition" not in match.see):
                    continue
                head = [tokens[i] for i in match.token_indexes]
                m_start, m_end = min(t.start for t in head), max(t.end for t in head)
                found.append(
                    Mention(
                        match=match,
                        start=m_start,
                        end=m_end,
                        sentence_words=words,
                        section=section,
                        tokens=tuple(tokens),
                    )
                )
                spans.append((m_start, m_end))
        if spans:
            results = assert_spans(note, spans)
            found = [
                Mention(
                    match=m.match,
                    start=m.start,
                    end=m.end,
                    sentence_words=m.sentence_words,
                    section=m.section,
                    assertion=_section_assertion(r.status, m),
                    cue=r.cue_text,
                    tokens=m.tokens,
                )
                for m, r in zip(found, results, strict=True)
            ]
        return found, all_tokens

    def _see_code(self, match: IndexMatch) -> str | None:
        if not match.see or "condition" in match.see.lower():
            return None
        target = self.lexicon.find_path(match.see)
        return target.code if target is not None else None

    def _neoplasm(self, mention: Mention, see: str) -> tuple[str, str] | None:
        """Follow "see Neoplasm, ..." into the Neoplasm Table with the sentence's words."""
        behavior = behavior_of(see, mention.sentence_words)
        if behavior is None:
            return None
        found = self.neoplasms.find(
            list(mention.tokens), list(mention.match.token_indexes), behavior
        )
        if found is None:
            return None
        column = behavior.name.lower().replace("_", " ")
        return found.code, (
            f"{mention.match.rationale} -> see {see} -> Neoplasm Table: "
            f"{', '.join(found.path)} ({column})"
        )

    def _history_code(self, mention: Mention) -> tuple[str, str] | None:
        """Walk "History, personal/family (of)" or "Status (post)" as a coder finds Z80-Z99.

        The walk starts at the mention and may use every word of its sentence ("mother had
        breast cancer" -> History, family, malignant neoplasm, breast -> Z80.3).
        """
        roots = []
        if mention.assertion is Assertion.HISTORICAL and _STATUS_CUE.search(mention.cue):
            roots.append(self._status_root)
        roots.append(self._history_roots.get(mention.assertion))
        tokens = list(mention.tokens)
        positions = self.matcher.positions(tokens)
        chain = list(mention.match.token_indexes)
        best: tuple[int, str, str] | None = None
        for root in roots:
            if root is None:
                continue
            score, path, _ = self.matcher.walk(root, positions, chain)
            nodes: list[IndexNode] = [root, *path]
            code = next((n.code for n in reversed(nodes) if n.code), None)
            if not path or code is None:
                continue
            names = [self.lexicon.nodes[root.parent].term] if root.parent is not None else []
            rationale = "Index: " + ", ".join(names + [n.term for n in nodes])
            if best is None or score > best[0]:
                best = (score, code, rationale)
        return (best[1], best[2]) if best else None

    def _candidates(
        self, note: Note, mentions: list[Mention], note_words: frozenset[str], ctx: RuleContext
    ) -> list[Candidate]:
        setting = note.document.setting
        by_code: dict[str, Candidate] = {}
        for mention in mentions:
            match = mention.match
            raw = match.code or self._see_code(match)
            rationale = match.rationale
            rules: list[str] = []
            score = _support_score(match)
            status = mention.assertion
            if status in (Assertion.NEGATED, Assertion.HYPOTHETICAL):
                continue
            if status is Assertion.POSSIBLE:
                if setting is Setting.OUTPATIENT:
                    continue  # IV.H: code the documented symptoms instead
                rules.append("uncertain-diagnosis-inpatient (II.H)")
                score -= 0.05
            if status in (Assertion.HISTORICAL, Assertion.FAMILY):
                chronic = raw is not None and raw[:3] in CHRONIC_CATEGORIES
                if status is Assertion.HISTORICAL and chronic:
                    rules.append("history-of-chronic-condition-still-current")
                    score -= 0.02
                else:
                    found = self._history_code(mention)
                    if found is None:
                        continue
                    raw, rationale = found
                    rules.append(
                        "family-history (Z80-Z84)"
                        if status is Assertion.FAMILY
                        else "personal-history (Z85-Z87)"
                    )
            reference = match.see or next(
                (n.see or n.see_also for n in reversed(match.path) if n.see or n.see_also), None
            )
            if raw is None and reference and not rules:
                found_neoplasm = self._neoplasm(mention, reference)
                if found_neoplasm is not None:
                    raw, rationale = found_neoplasm
                    rules.append("neoplasm-table")
            if raw is None:
                continue
            completion = self.completer.complete(raw, mention.sentence_words, note_words)
            if completion is None:
                log.debug("index code %s could not be completed", raw)
                continue
            code = completion.code
            if completion.steps:
                rationale = f"{rationale} -> {'; '.join(completion.steps)}"
            if completion.query:
                ctx.queries.append(
                    DocumentationQuery(
                        topic=completion.query,
                        message=f"{self.icd.format(code)}: {completion.query} not documented",
                        evidence=(
                            Evidence(
                                mention.start,
                                mention.end,
                                note.text[mention.start : mention.end],
                                mention.section,
                            ),
                        ),
                        code=self.icd.format(code),
                    )
                )
            evidence = Evidence(
                mention.start, mention.end, note.text[mention.start : mention.end], mention.section
            )
            rationale = f"{rationale} -> {self.icd.format(code)}"
            index_path = ", ".join(n.term for n in match.path) or f"tabular: {match.title}"
            if rules == ["neoplasm-table"]:
                index_path += " -> " + rationale.rsplit("Neoplasm Table: ", 1)[-1]
            elif rules:
                index_path = ""
            if index_path:
                score = self.reliability.adjust(index_path, score)
            existing = by_code.get(code)
            if existing:
                if evidence not in existing.evidence:
                    existing.evidence.append(evidence)
                existing.score = min(0.99, max(existing.score, score) + 0.03)
                continue
            by_code[code] = Candidate(
                code=code,
                score=score,
                rationale=rationale,
                evidence=[evidence],
                origin=Origin.RULE if rules and "history" in rules[-1] else Origin.INDEX,
                rules=rules,
                first_offset=mention.start,
                section=mention.section,
                words=frozenset(w for n in match.path for alt in n.alternatives[:1] for w in alt)
                or frozenset(content_tokens(match.title)),
                path=tuple(n.id for n in match.path) if not rules else (),
                index_path=index_path,
            )
        return list(by_code.values())

    def _link_with(self, cands: list[Candidate], note_words: frozenset[str]) -> list[Candidate]:
        """I.A.15: conditions linked by "with" in the Index are coded together note-wide.

        For each code found through an Index entry that has a "with" subterm (Diabetes, type 2,
        with ...), the other conditions of the note are tried below "with"; a combination code
        found there replaces the base code (the other condition keeps its own code, as the
        Tabular's use-additional notes ask).
        """
        out = list(cands)
        for i, cand in enumerate(cands):
            if not cand.path:
                continue
            nodes = [self.lexicon.nodes[n] for n in cand.path]
            with_node = next(
                (
                    self.lexicon.nodes[c]
                    for node in reversed(nodes)
                    for c in node.children
                    if self.lexicon.nodes[c].term.lower() == "with"
                ),
                None,
            )
            if with_node is None:
                continue
            for other in cands:
                if (
                    other is cand
                    or not other.words
                    or other.code[:3] == cand.code[:3]
                    or other.score < ASSIGNED_THRESHOLD
                ):
                    continue
                words = sorted(other.words)
                positions = {w: [k] for k, w in enumerate(words)}
                score, path, _ = self.matcher.walk(with_node, positions, list(range(len(words))))
                code = next((n.code for n in reversed(path) if n.code), None)
                # The linked condition must be named, not just share a word ("stage 3b").
                if not path or code is None or score < min(2, len(other.words)):
                    continue
                completion = self.completer.complete(code, cand.words | other.words, note_words)
                if completion is None or completion.code == cand.code:
                    continue
                linked = self.icd.format(completion.code)
                # The base code stays when the combination code asks for it as an additional
                # code (I11.0 "use additional code to identify type of heart failure (I50.-)").
                keeps_base = any(
                    self.icd.satisfies(cand.code, ranges)
                    for ranges in self.icd.use_additional_refs(completion.code)
                )
                # A base that is already a combination code (E11.42 from "Diabetes, with,
                # polyneuropathy") stays too: each diabetic complication has its own code.
                already_combined = any(
                    self.lexicon.nodes[n].term.lower() == "with" for n in cand.path
                )
                if keeps_base or already_combined:
                    out.append(cand)
                out[i] = Candidate(
                    code=completion.code,
                    score=max(cand.score, other.score),
                    rationale=f"{cand.rationale}; with {', '.join(n.term for n in path)} "
                    f"(documented: {other.evidence[0].text if other.evidence else ''}) -> {linked}",
                    evidence=cand.evidence + [e for e in other.evidence if e not in cand.evidence],
                    origin=Origin.RULE,
                    rules=[*cand.rules, "with-linking (I.A.15)"],
                    first_offset=cand.first_offset,
                    section=cand.section,
                    words=cand.words | other.words,
                )
                break
        merged: dict[str, Candidate] = {}
        for cand in out:
            if cand.code in merged:
                merge(merged[cand.code], cand)
            else:
                merged[cand.code] = cand
        return list(merged.values())

    def _check_date(self, cands: list[Candidate], view: DatedView) -> list[Candidate]:
        """Assigned codes must be valid on the date of service (FY2027 dates: the MCE check)."""
        release = view.release(CodeSystem.ICD10CM)
        if not release.is_stale_on(view.date_of_service):
            return cands  # the vendored release is in force: completion already checked it
        for cand in cands:
            if cand.score < ASSIGNED_THRESHOLD:
                continue
            check = self.kb.icd10cm.validate(cand.code, view.date_of_service)
            if not check.valid:
                demote(cand, f"not valid on {view.date_of_service.isoformat()}: {check.message}")
        return cands

    def _sequence(self, cands: list[Candidate], note: Note) -> list[Candidate]:
        """First-listed / principal diagnosis first.

        The reason for the encounter is read from the sections that state it (chief complaint
        and reason for visit outpatient, principal / discharge diagnoses inpatient), then the
        assessment in its order; history and status Z codes go last.
        """
        order = (
            _INPATIENT_ORDER if note.document.setting is Setting.INPATIENT else _OUTPATIENT_ORDER
        )

        def key(c: Candidate) -> tuple[int, int, float, int]:
            ranks = [
                (order.index(e.section) if e.section in order else len(order), e.start)
                for e in c.evidence
            ] or [(len(order), c.first_offset)]
            rank, start = min(ranks)
            # Encounter-reason Z codes (Z00-Z13 examinations and screening, Z23 vaccination)
            # are first-listed; history and status Z codes go last.
            suggestion = 0 if c.score >= ASSIGNED_THRESHOLD else 1
            if suggestion:  # suggestions for review follow every assigned code, best first
                return (suggestion, 0, -c.score, start)
            if c.code.startswith(_FIRST_LISTED_Z):
                return (0, -1, rank, start)
            z_last = 1 if c.code.startswith("Z") else 0
            return (0, z_last, rank, start)

        ordered = sorted(cands, key=key)
        ordered = self._etiology_first(ordered)
        if ordered:
            ordered[0].rules.append(
                "principal diagnosis"
                if note.document.setting is Setting.INPATIENT
                else "first-listed diagnosis"
            )
        return ordered

    def _etiology_first(self, ordered: list[Candidate]) -> list[Candidate]:
        """A code another assigned code asks for as its *additional* code is not listed first.

        I13.0 asks for N18.- and I50.- ("use additional code"), so it goes before them even
        when the note names the kidney disease first (I.A.13 etiology/manifestation, I.C.9.a).
        """
        if not ordered or ordered[0].score < ASSIGNED_THRESHOLD:
            return ordered
        first = ordered[0]
        for cand in ordered[1:]:
            if cand.score < ASSIGNED_THRESHOLD:
                break
            if any(
                self.icd.satisfies(first.code, r) for r in self.icd.use_additional_refs(cand.code)
            ):
                ordered.remove(cand)
                return [cand, *ordered]
        return ordered

    def _suggestion(self, c: Candidate) -> CodeSuggestion:
        return CodeSuggestion(
            code=self.icd.format(c.code),
            title=self.icd.title(c.code),
            score=round(c.score, 3),
            rationale=c.rationale,
            evidence=tuple(sorted(c.evidence, key=lambda e: e.start)),
            origin=c.origin,
            rules=tuple(c.rules),
            index_path=c.index_path,
        )


def _dedupe_queries(queries: list[DocumentationQuery]) -> list[DocumentationQuery]:
    seen: set[tuple[str, str]] = set()
    out = []
    for q in queries:
        if (q.topic, q.code) not in seen:
            seen.add((q.topic, q.code))
            out.append(q)
    return out
