"""Token normalisation shared by the index lexicon and the note matcher.

Both sides go through :func:`norm_token`, so "Fractures", "fracture" and "fractured" meet, and
British spellings from translated notes ("oedema", "haemorrhage") meet the US index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["STOPWORDS", "Token", "content_tokens", "mark_negated", "norm_token", "tokenize"]

_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*[A-Za-z]|[A-Za-z]|\d+(?:\.\d+)?[a-z]?")

#: Words that never decide a match (function words, and the index's own shorthand).
STOPWORDS = frozenset(
    """a an the of and or in on at to by for from as with without into than that this these
    those is are was were be been being has have had its it their his her nec nos
    elsewhere classified other only""".split()
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
    ("orthopaed", "orthoped"),
    ("caecum", "cecum"),
    ("coeliac", "celiac"),
    ("dyspnoea", "dyspnea"),
    ("apnoea", "apnea"),
)

# Irregular plurals and Latin forms that a suffix rule would mangle.
_IRREGULAR = {
    "diabetes": "diabetes",
    "herpes": "herpes",
    "rabies": "rabies",
    "scabies": "scabies",
    "mellitus": "mellitus",
    "status": "status",
    "virus": "virus",
    "viruses": "virus",
    "fetuses": "fetus",
    "calculi": "calculus",
    "bronchi": "bronchus",
    "metastases": "metastasis",
    "metastasis": "metastasis",
    "diagnoses": "diagnosis",
    "stenoses": "stenosis",
    "women": "woman",
    "men": "man",
    "feet": "foot",
    "teeth": "tooth",
    "children": "child",
    "vertebrae": "vertebra",
    "pelvis": "pelvis",
    "sepsis": "sepsis",
    "bronchitis": "bronchitis",
}


@lru_cache(maxsize=65536)
def norm_token(word: str) -> str:
    """Lower case, US spelling, singular: ``"Fractures"`` -> ``"fracture"``."""
    w = word.lower().strip("'-")
    if w.endswith("'s"):
        w = w[:-2]
    for british, us in _BRITISH:
        if british in w:
            w = w.replace(british, us)
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    if len(w) > 4 and not w[-1].isdigit():
        if w.endswith("ies"):
            return w[:-3] + "y"
        if w.endswith(("sses", "shes", "ches", "xes")):
            return w[:-2]
        if w.endswith("s") and not w.endswith(("ss", "us", "is", "os", "ys", "as")):
            return w[:-1]
    return w


@dataclass(frozen=True, slots=True)
class Token:
    """A normalised word with its character offsets in the original text."""

    norm: str
    start: int
    end: int


def tokenize(text: str, offset: int = 0) -> list[Token]:
    """Words and numbers of ``text`` (hyphenated words are also split into their parts)."""
    tokens: list[Token] = []
    for m in _WORD.finditer(text):
        word = m.group()
        start = m.start() + offset
        if "-" in word:
            pos = 0
            for part in word.split("-"):
                if part:
                    tokens.append(Token(norm_token(part), start + pos, start + pos + len(part)))
                pos += len(part) + 1
            continue
        tokens.append(Token(norm_token(word), start, m.end() + offset))
    return tokens


def content_tokens(text: str) -> tuple[str, ...]:
    """Normalised tokens of ``text`` minus stopwords, in order (duplicates kept once)."""
    seen: dict[str, None] = {}
    for token in tokenize(text):
        if token.norm not in STOPWORDS:
            seen.setdefault(token.norm, None)
    return tuple(seen)


#: Words that negate the next few words ("no bleeding", "without esophagitis").
_LOCAL_NEGATIONS = frozenset({"no", "without", "not", "negative", "deny", "denie", "free"})
_NEGATION_REACH = 3


def mark_negated(tokens: list[Token]) -> list[Token]:
    """Tokens with the few words right after a negation prefixed "~" ("~bleeding").

    Index entries match plain words only, so "GERD ... without bleeding" cannot walk to
    "with bleeding"; an entry that itself says "without"/"no" matches the "~" forms. This is a
    short local scope; sentence-level negation is the assertion module's job.
    """
    out: list[Token] = []
    reach = 0
    for token in tokens:
        if token.norm in _LOCAL_NEGATIONS:
            reach = _NEGATION_REACH
            out.append(token)
            continue
        if reach and token.norm not in STOPWORDS:
            out.append(Token("~" + token.norm, token.start, token.end))
            reach -= 1
            continue
        out.append(token)
    return out
