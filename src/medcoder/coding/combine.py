"""Combining the learned ranker with the Index walks, with the safeguards a coder expects.

Agreement between the two raises a code's score (noisy-or). A code only the model proposes is
added with the model's evidence, and stays a suggestion for review (never assigned) when its
evidence does not name the condition, when those words are already coded from the Index
(one mention, one code), or when they are negated, hypothetical, historical or a family
member's.
"""

from __future__ import annotations

from medcoder.coding.index_lexicon import IndexLexicon
from medcoder.coding.model import LearnedRanker
from medcoder.coding.result import ASSIGNED_THRESHOLD, Evidence, Origin
from medcoder.coding.rules import Candidate, demote
from medcoder.coding.tabular_facts import TabularFacts
from medcoder.coding.text import STOPWORDS, content_tokens, norm_token
from medcoder.notes import Assertion, Setting, assert_spans
from medcoder.notes.model import Note

__all__ = ["ModelCombiner"]

# The learned ranker's proposals considered, and the lowest probability kept.
_MODEL_TOP = 30
_MODEL_FLOOR = 0.05
_NOT_CURRENT = frozenset(
    {Assertion.NEGATED, Assertion.HYPOTHETICAL, Assertion.FAMILY, Assertion.HISTORICAL}
)


class ModelCombiner:
    """Adds the learned ranker's view to the candidates of one note."""

    def __init__(self, ranker: LearnedRanker, icd: TabularFacts, lexicon: IndexLexicon) -> None:
        self.ranker = ranker
        self.icd = icd
        self.lexicon = lexicon
        self._code_words: dict[str, set[str]] = {}

    def combine(self, cands: list[Candidate], note: Note) -> list[Candidate]:
        """Combine the learned ranker's probabilities with the Index walks (noisy-or)."""
        ranked = [r for r in self.ranker.rank(note.text, top=_MODEL_TOP) if r.score >= _MODEL_FLOOR]
        by_code = {c.code: c for c in cands}
        covered = [
            (e.start, e.end) for c in cands if c.score >= ASSIGNED_THRESHOLD for e in c.evidence
        ]
        fresh: list[tuple[Candidate, tuple[int, int]]] = []
        for r in ranked:
            code = r.code.replace(".", "")
            if not self.icd.is_billable(code):
                continue
            words = ", ".join(f"'{e.ngram}'" for e in r.evidence[:3])
            existing = by_code.get(code)
            if existing is not None:
                existing.score = round(1 - (1 - existing.score) * (1 - r.score), 4)
                existing.rules.append(f"learned ranker agrees (p={r.score:.2f}: {words})")
                continue
            if not r.evidence:
                continue
            evidence = [
                Evidence(e.start, e.end, note.text[e.start : e.end], note.section_at(e.start).name)
                for e in r.evidence
            ]
            named = self.names_condition(code, [e.ngram for e in r.evidence])
            cand = Candidate(
                code=code,
                score=round(r.score, 4),
                rationale=f"learned ranker (CodiEsp train), p={r.score:.2f} from {words}"
                f" -> {self.icd.format(code)}",
                evidence=evidence,
                origin=Origin.MODEL,
                first_offset=evidence[0].start,
                section=evidence[0].section,
            )
            if not named:
                demote(cand, "the model's evidence does not name the condition")
            elif all(
                any(a <= e.start < b or e.start <= a < e.end for a, b in covered) for e in evidence
            ):
                # One mention, one code: the Index walk already coded these words.
                demote(cand, "its words are already coded from the Index")
            fresh.append((cand, (evidence[0].start, evidence[0].end)))
        if fresh:
            statuses = assert_spans(note, [span for _, span in fresh])
            outpatient = note.document.setting is Setting.OUTPATIENT
            for (cand, _), status in zip(fresh, statuses, strict=True):
                # A condition that is negated, hypothetical, a family member's or past is not
                # coded from the model; the Index walk codes history and family as Z codes.
                if status.status in _NOT_CURRENT or (
                    status.status is Assertion.POSSIBLE and outpatient
                ):
                    demote(cand, f"its evidence is {status.status.value} ('{status.cue_text}')")
                cands.append(cand)
        return cands

    def names_condition(self, code: str, ngrams: list[str]) -> bool:
        """True when some evidence word is a word of the code's title or Index entries.

        The learned ranker also learns correlations (diabetes notes often code hypertension);
        a code is only assigned from words that name the condition itself.
        """
        words = {norm_token(w) for g in ngrams for w in g.split()} - STOPWORDS
        if not words:
            return False
        vocabulary = self._code_words.get(code)
        if vocabulary is None:
            vocabulary = set(content_tokens(self.icd.title(code)))
            vocabulary |= self.lexicon.words_for_code(code)
            self._code_words[code] = vocabulary
        return bool(words & vocabulary)
