"""ICD-10-PCS coding of inpatient procedures, axis by axis, with queries for missing axes.

A short tour::

    from medcoder.codesets.kb import KnowledgeBase
    from medcoder.coding.pcs import code_pcs
    from medcoder.notes import parse_note, read_document

    with KnowledgeBase.open() as kb:
        note = parse_note(read_document("Laparoscopic appendectomy was performed."))
        result = code_pcs(note, kb)
        result.codes                     # ('0DTJ4ZZ',)
        result.suggestions[0].rationale  # 'Resection: whole appendix removed; body part ...'

A statement that leaves an axis open ("appendectomy" without an approach) gives the
4-character partial ``0DTJ`` and a :class:`PcsQuery` naming the approach and its candidates.
"""

from medcoder.coding.pcs.coder import COMPLETE_SCORE, PARTIAL_SCORE, PcsCoder, code_pcs
from medcoder.coding.pcs.lexicon import PcsLexicon, load_lexicon
from medcoder.coding.pcs.result import PcsAxisChoice, PcsQuery, PcsResult, PcsSuggestion

__all__ = [
    "COMPLETE_SCORE",
    "PARTIAL_SCORE",
    "PcsAxisChoice",
    "PcsCoder",
    "PcsLexicon",
    "PcsQuery",
    "PcsResult",
    "PcsSuggestion",
    "code_pcs",
    "load_lexicon",
]
