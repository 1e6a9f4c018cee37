"""The learned diagnosis-code ranker (trained on CodiEsp train), one input of diagnosis coding.

>>> from medcoder.coding.model import LearnedRanker
>>> [c.code for c in LearnedRanker.load().rank("Essential hypertension.", top=1)]
['I10']
"""

from medcoder.coding.model.features import FEATURE_VERSION, Ngram, extract_ngrams
from medcoder.coding.model.ranker import LearnedRanker, NgramEvidence, RankedCode

__all__ = [
    "FEATURE_VERSION",
    "LearnedRanker",
    "Ngram",
    "NgramEvidence",
    "RankedCode",
    "extract_ngrams",
]
