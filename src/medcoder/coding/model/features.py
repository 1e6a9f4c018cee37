"""Words and word pairs of a note, with their character offsets: the learned ranker's features.

Training (``scripts/train_codiesp_model.py``) and inference (:mod:`.ranker`) both call
:func:`extract_ngrams`, so a feature means the same thing on both sides. The normalisation is
deliberately local to this module (not shared with the index matcher): the shipped weights were
learned with exactly these rules, and :data:`FEATURE_VERSION` is stored in the artefact so a change
here is caught at load time instead of silently degrading the scores.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import NamedTuple

__all__ = [
    "FEATURE_VERSION",
    "Ngram",
    "content_words",
    "extract_ngrams",
    "normalise_word",
    "tfidf",
]

#: Bump when a rule below changes: artefacts trained with another version are refused.
FEATURE_VERSION = 1

_WORD = re.compile(r"[A-Za-z][A-Za-z']*|\d+(?:[.,]\d+)?")

# A word (group 1) or a sentence break, which a pair never spans (the corpus has one sentence
# per line). Numbers are matched first, so the point of "2.5 mg" is not a break.
_TOKEN = re.compile(r"([A-Za-z][A-Za-z']*|\d+(?:[.,]\d+)?)|[\n.;:!?()\[\]]")

_STOPWORDS = frozenset(
    """a an the of and or in on at to by for from as with into than that this these those is are
    was were be been being has have had its it their his her he she him we our who which what
    there also after before during which while since then where when due upon all any some such
    may can could would should will one""".split()
)

_BRITISH = (
    ("oedema", "edema"),
    ("haem", "hem"),
    ("anaem", "anem"),
    ("oesophag", "esophag"),
    ("diarrhoea", "diarrhea"),
    ("tumour", "tumor"),
    ("paediatr", "pediatr"),
    ("foet", "fet"),
    ("ischaem", "ischem"),
    ("leukaem", "leukem"),
    ("oestr", "estr"),
    ("caecum", "cecum"),
    ("coeliac", "celiac"),
    ("dyspnoea", "dyspnea"),
    ("apnoea", "apnea"),
    ("colour", "color"),
)

# Words ending in "s" that are not plurals; a suffix rule would mangle them.
_KEEP = frozenset(
    """diabetes herpes rabies scabies mellitus status virus sepsis pelvis lupus crisis stenosis
    metastasis diagnosis analysis syndromes""".split()
)


@lru_cache(maxsize=65536)
def normalise_word(word: str) -> str:
    """Lower case, US spelling, crude singular: ``"Tumours"`` -> ``"tumor"``.

    Args:
        word: one token as matched in the note.

    Returns:
        The form the model was trained on.
    """
    w = word.lower().strip("'")
    if w.endswith("'s"):
        w = w[:-2]
    for british, us in _BRITISH:
        if british in w:
            w = w.replace(british, us)
    if w in _KEEP or len(w) <= 4 or w[-1].isdigit():
        return w
    if w.endswith("ies"):
        return w[:-3] + "y"
    if w.endswith(("sses", "shes", "ches", "xes")):
        return w[:-2]
    if w.endswith("s") and not w.endswith(("ss", "us", "is", "os", "ys", "as")):
        return w[:-1]
    return w


class Ngram(NamedTuple):
    """One occurrence of a feature: its text and where it is in the note.

    A named tuple rather than a dataclass: a note yields hundreds, and tuples are built
    several times faster, which is most of the ranker's time.
    """

    text: str
    start: int
    end: int


@lru_cache(maxsize=65536)
def _content(token: str) -> str | None:
    word = normalise_word(token)
    if word in _STOPWORDS or (len(word) < 2 and not word.isdigit()):
        return None
    return word


def extract_ngrams(text: str) -> list[Ngram]:
    """Content words and adjacent content-word pairs of ``text``, in order of appearance.

    Stop words are dropped before pairing, so "type 2 diabetes" gives ``type``, ``2``,
    ``diabetes``, ``type 2`` and ``2 diabetes``. Pairs do not cross sentence punctuation.

    Args:
        text: the note as given; offsets refer to it unchanged.

    Returns:
        Every occurrence, unigrams and bigrams interleaved in text order.
    """
    grams: list[Ngram] = []
    prev_word, prev_start = "", -1
    for m in _TOKEN.finditer(text):
        token = m.group(1)
        if token is None:  # sentence punctuation: the next word starts afresh
            prev_start = -1
            continue
        word = _content(token)
        if word is None:
            continue
        start, end = m.span()
        grams.append(Ngram(word, start, end))
        if prev_start >= 0:
            grams.append(Ngram(f"{prev_word} {word}", prev_start, end))
        prev_word, prev_start = word, start
    return grams


def content_words(text: str) -> set[str]:
    """The normalised content words of ``text`` (used to compare a note with code titles)."""
    words: set[str] = set()
    for m in _WORD.finditer(text):
        word = normalise_word(m.group())
        if word not in _STOPWORDS and (len(word) >= 2 or word.isdigit()):
            words.add(word)
    return words


def tfidf(
    grams: Sequence[Ngram], vocabulary: Mapping[str, int], idf: Sequence[float]
) -> dict[int, float]:
    """Sublinear TF-IDF of the known features of a note, L2-normalised.

    ``(1 + ln tf) * idf``, then divided by the vector's length; n-grams outside the
    vocabulary are ignored (as they were in training).

    Args:
        grams: the note's n-gram occurrences (from :func:`extract_ngrams`).
        vocabulary: feature text -> column.
        idf: inverse document frequency per column.

    Returns:
        Column -> weight, for the columns present in the note.
    """
    counts: dict[int, int] = {}
    for gram in grams:
        col = vocabulary.get(gram.text)
        if col is not None:
            counts[col] = counts.get(col, 0) + 1
    weights = {col: (1.0 + math.log(n)) * float(idf[col]) for col, n in counts.items()}
    norm = math.sqrt(sum(w * w for w in weights.values()))
    if norm == 0.0:
        return {}
    return {col: w / norm for col, w in weights.items()}
