"""Combining the learned ranker with the Index walks, with the safeguards a coder expects.

Agreement between the two raises a code's score (noisy-or). A code only the model proposes is
added with the model's evidence, and stays a suggestion for review (never assigned) when its
evidence does not name the condition, when those words are already coded from the Index
(one mention, one code), or when they are negated, hypothetical, historical or a family
member's.
"""

from __future__ import annotations

import math
import re

from medcoder.coding.calibration import TermReliability
from medcoder.coding.index_lexicon import IndexLexicon
from medcoder.coding.model import LearnedRanker, extract_ngrams
from medcoder.coding.model.stacker import Stacker, final_score
from medcoder.coding.result import ASSIGNED_THRESHOLD, Evidence, Origin
from medcoder.coding.rules import CHRONIC_CATEGORIES, Candidate, demote
from medcoder.coding.tabular_facts import TabularFacts
from medcoder.coding.text import STOPWORDS, content_tokens, norm_token
from medcoder.notes import Assertion, Setting, assert_spans
from medcoder.notes.model import Note

__all__ = ["ModelCombiner", "stack_row"]

# The learned ranker's proposals considered, and the lowest probability kept.
_MODEL_TOP = 50
_MODEL_FLOOR = 0.02
_NOT_NAMED = "not assigned: the model's evidence does not name the condition"
_ALREADY_CODED = "not assigned: its words are already coded from the Index"
_SAFEGUARDS = (_NOT_NAMED, _ALREADY_CODED)
_ASSERTION = "not assigned: its evidence is "
_STILL_CURRENT = "history-of-chronic-condition-still-current"
# Words that qualify a condition without naming one ("chronic disease" names nothing).
_GENERIC = frozenset(
    {"disease", "disorder", "illness", "condition", "syndrome", "chronic", "acute", "problem"}
)
_WORD = re.compile(r"\w+")
# Occurrences of one evidence n-gram asserted, at most.
_OCCURRENCES = 5
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
        for c in cands:
            c.index_score = c.score
        fresh: list[tuple[Candidate, tuple[int, int]]] = []
        for rank, r in enumerate(ranked, 1):
            code = r.code.replace(".", "")
            if not self.icd.is_billable(code):
                continue
            words = ", ".join(f"'{e.ngram}'" for e in r.evidence[:3])
            existing = by_code.get(code)
            if existing is not None:
                existing.model_p, existing.model_rank = round(r.score, 4), rank
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
                model_p=round(r.score, 4),
                model_rank=rank,
            )
            if not named:
                demote(cand, _NOT_NAMED.removeprefix("not assigned: "))
            elif all(
                any(a <= e.start < b or e.start <= a < e.end for a, b in covered) for e in evidence
            ):
                # One mention, one code: the Index walk already coded these words.
                demote(cand, _ALREADY_CODED.removeprefix("not assigned: "))
            fresh.append((cand, (evidence[0].start, evidence[0].end)))
        if fresh:
            self._assert_evidence([cand for cand, _ in fresh], note)
            cands.extend(cand for cand, _ in fresh)
        return cands

    def _assert_evidence(self, fresh: list[Candidate], note: Note) -> None:
        """Demote a model-only code when no occurrence of its evidence is a current condition.

        Every occurrence of every evidence n-gram is asserted: one current mention is enough
        ("no fever on admission ... febrile, fever of 39 C on day 3"), and the evidence shown
        becomes the current occurrences. A condition only negated, hypothetical, a family
        member's or past is not coded from the model (the Index walk codes history and family
        as Z codes); an uncertain one is not coded in an outpatient note.
        """
        occurrences: dict[str, list[tuple[int, int]]] = {}
        gram_at: dict[tuple[int, int], str] = {}
        for gram in extract_ngrams(note.text):
            gram_at.setdefault((gram.start, gram.end), gram.text)
            spans = occurrences.setdefault(gram.text, [])
            if len(spans) < _OCCURRENCES:
                spans.append((gram.start, gram.end))
        by_text: dict[str, list[tuple[int, int]]] = {}
        for c in fresh:
            for e in c.evidence:
                text = gram_at.get((e.start, e.end))
                by_text[e.text] = occurrences.get(text, []) if text else [(e.start, e.end)]
                by_text[e.text] = by_text[e.text] or [(e.start, e.end)]
        unique = sorted({span for spans in by_text.values() for span in spans})
        # An n-gram is asserted at its last word, the condition's head ("history of
        # hypertension" in "No history of hypertension" is as negated as "hypertension").
        heads = [_last_word(note.text, start, end) for start, end in unique]
        status_at = dict(zip(unique, assert_spans(note, heads), strict=True))
        outpatient = note.document.setting is Setting.OUTPATIENT
        for cand in fresh:
            # Each n-gram's first current occurrence (its first occurrence when that is
            # current): the evidence shown is what the note asserts.
            # Only words that name the condition decide its assertion ("No diabetes. Cr 1.9"
            # does not make diabetes current).
            naming = [e for e in cand.evidence if self.names_condition(cand.code, [e.text])]
            chronic = cand.code[:3] in CHRONIC_CATEGORIES
            current: list[Evidence] = []
            blocking = None
            for e in naming or cand.evidence:
                for start, end in by_text[e.text]:
                    status = status_at[start, end]
                    if status.status is Assertion.HISTORICAL and chronic:
                        # As for Index walks: "history of" a chronic condition is current.
                        if _STILL_CURRENT not in cand.rules:
                            cand.rules.append(_STILL_CURRENT)
                    elif status.status in _NOT_CURRENT or (
                        status.status is Assertion.POSSIBLE and outpatient
                    ):
                        blocking = blocking or status
                        continue
                    section = note.section_at(start).name
                    current.append(Evidence(start, end, note.text[start:end], section))
                    break
            if not current and blocking is not None:
                demote(cand, f"its evidence is {blocking.status.value} ('{blocking.cue_text}')")
            elif current:
                others = [e for e in cand.evidence if e not in naming] if naming else []
                cand.evidence = list(dict.fromkeys(current + others))
                cand.first_offset = cand.evidence[0].start
                cand.section = cand.evidence[0].section

    def names_condition(self, code: str, ngrams: list[str]) -> bool:
        """True when some evidence word is a word of the code's title or Index entries.

        The learned ranker also learns correlations (diabetes notes often code hypertension);
        a code is only assigned from words that name the condition itself. A site alone
        ("skin" in "skin normal") names none: the Index sends it to the condition.
        """
        words = {norm_token(w) for g in ngrams for w in g.split()} - STOPWORDS - _GENERIC
        words -= self.lexicon.site_words()
        if not words:
            return False
        vocabulary = self._code_words.get(code)
        if vocabulary is None:
            vocabulary = set(content_tokens(self.icd.title(code)))
            vocabulary |= self.lexicon.words_for_code(code)
            self._code_words[code] = vocabulary
        return bool(words & vocabulary)


def _last_word(text: str, start: int, end: int) -> tuple[int, int]:
    """The span of the last word of ``text[start:end]`` (the whole span if it has none)."""
    words = list(_WORD.finditer(text, start, end))
    return (words[-1].start(), words[-1].end()) if words else (start, end)


def stack_row(cand: Candidate, reliability: TermReliability, ranker: LearnedRanker) -> list[float]:
    """The row of ``STACK_FEATURES`` (``medcoder.coding.model.stacker``) of one candidate."""
    fired, correct = reliability.counts.get(cand.index_path, (0, 0)) if cand.index_path else (0, 0)
    demotions = [r for r in cand.rules if r.startswith("not assigned:")]
    return [
        cand.score,
        cand.index_score,
        cand.model_p,
        1.0 / cand.model_rank if cand.model_rank else 0.0,
        float(cand.origin is Origin.INDEX),
        float(cand.origin is Origin.RULE),
        float(cand.origin is Origin.MODEL),
        float(_NOT_NAMED in demotions),
        float(_ALREADY_CODED in demotions),
        float(any(r.startswith(_ASSERTION) for r in demotions)),
        float(any(_rule_demoted(r) for r in demotions)),
        float(any(r.startswith("uncertain-diagnosis") for r in cand.rules)),
        math.log1p(fired),
        (correct + 1) / (fired + 2),
        math.log1p(ranker.train_count(cand.code)),
        math.log1p(ranker.category_count(cand.code)),
        math.log1p(len(cand.evidence)),
        float(cand.code.startswith("R")),
        float(cand.code.startswith("Z")),
        float(cand.index_path.startswith("tabular:")),
        float(cand.origin is not Origin.MODEL and cand.model_rank > 0),
    ]


def _rule_demoted(rule: str) -> bool:
    """A demotion by a coding rule (not a model safeguard, not the evidence's assertion)."""
    return (
        rule.startswith("not assigned:")
        and rule not in _SAFEGUARDS
        and not rule.startswith(_ASSERTION)
    )


def restack(
    cands: list[Candidate], stacker: Stacker, reliability: TermReliability, ranker: LearnedRanker
) -> list[Candidate]:
    """Score every candidate with the learned combination (``Stacker``, ``final_score``).

    The probability replaces the hand-set score, mapped so that the threshold chosen on train
    is 0.5. Coding-rule demotions stay (``final_score``); the model-only safeguards (words that
    do not name the condition, or already coded) are features the combination weighs, and a
    code it assigns despite them loses the "not assigned" note.
    """
    rows = [stack_row(c, reliability, ranker) for c in cands]
    for cand, row, p in zip(cands, rows, stacker.probability(rows), strict=True):
        score = round(final_score(p, row, stacker.threshold), 4)
        if score >= ASSIGNED_THRESHOLD > cand.score:
            cand.rules[:] = [r for r in cand.rules if r != _NOT_NAMED]
        elif score < ASSIGNED_THRESHOLD <= cand.score:
            cand.rules.append("not assigned: the learned combination scores it low")
        cand.rules.append(f"learned combination p={p:.2f}")
        cand.score = score
    return cands
