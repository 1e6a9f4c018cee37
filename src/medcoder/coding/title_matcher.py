"""Tabular titles and inclusion terms as a second lexicon.

The flattened Alphabetic Index this release ships lost some subterms (e.g. "Failure, heart,
systolic"), and notes often word a condition the way the Tabular titles it: "acute on chronic
systolic heart failure" is, word for word, the title of I50.23. A title matches when every one
of its content words occurs close together in one sentence; the longest title wins.
"""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from medcoder.coding.text import Token, content_tokens

__all__ = ["TitleMatch", "TitleMatcher"]

# Words that carry no clinical content in a title, and titles a note never states as such.
_NOISE = frozenset({"unspecified", "specified", "other", "nos", "nec", "site", "part", "type"})
_SKIP_TITLE_WORDS = (
    "other specified",
    "other ",
    "personal history",
    "family history",
    "encounter for",
    "long term",
    "presence of",
    "status",
    "history of",
)


_PAREN = re.compile(r"\([^)]*\)|\[[^\]]*\]")


def _place(
    words: tuple[str, ...], positions: dict[str, list[int]], anchor_word: str
) -> list[int] | None:
    """Positions of ``words`` close to an occurrence of ``anchor_word``, or None.

    All words must lie in a stretch at most a few words longer than the title, and a number
    must stand next to another word of the title ("stage 3b", not "type 2 ... stage").
    """
    limit = len(words) + 2
    for anchor in positions[anchor_word]:
        used = [min(positions[w], key=lambda p: abs(p - anchor)) for w in words]
        if max(used) - min(used) > limit:
            continue
        numbers_ok = all(
            any(abs(p - q) == 1 for q in used if q != p)
            for w, p in zip(words, used, strict=True)
            if w[0].isdigit()
        )
        if numbers_ok:
            return used
    return None


@dataclass(frozen=True, slots=True)
class TitleMatch:
    code: str  # undotted billable code
    text: str  # the title or inclusion term that matched
    token_indexes: tuple[int, ...]


class TitleMatcher:
    """Billable codes keyed by the rarest word of their title or inclusion terms."""

    def __init__(self, entries: list[tuple[str, str, tuple[str, ...]]]) -> None:
        frequency = Counter(w for _, _, words in entries for w in set(words))
        self._by_word: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {}
        for code, text, words in entries:
            rarest = min(words, key=lambda w: (frequency[w], w))
            self._by_word.setdefault(rarest, []).append((code, text, words))

    @classmethod
    def from_connection(cls, con: sqlite3.Connection, release_id: str) -> TitleMatcher:
        rows = con.execute(
            "SELECT c.code, c.title FROM icd10cm_code c WHERE c.release_id = ? AND c.billable = 1 "
            "AND length(c.code) < 7 "
            "UNION ALL SELECT n.code, n.text FROM icd10cm_note n JOIN icd10cm_code c "
            "ON c.release_id = n.release_id AND c.code = n.code "
            "WHERE n.release_id = ? AND n.kind = 'inclusion' AND c.billable = 1 "
            "AND length(c.code) < 7",
            (release_id, release_id),
        ).fetchall()
        entries: list[tuple[str, str, tuple[str, ...]]] = []
        for code, text in rows:
            lowered = text.lower()
            if any(lowered.startswith(s) for s in _SKIP_TITLE_WORDS):
                continue
            # Parenthesised words are nonessential, as in the Index ("systolic (congestive)").
            words = tuple(w for w in content_tokens(_PAREN.sub(" ", text)) if w not in _NOISE)
            if len(words) >= 2:
                entries.append((code, text, words))
        return cls(entries)

    def match(self, tokens: Sequence[Token]) -> list[TitleMatch]:
        """Titles whose words all occur in ``tokens`` within a short stretch; longest first."""
        positions: dict[str, list[int]] = {}
        for i, token in enumerate(tokens):
            positions.setdefault(token.norm, []).append(i)
        found: list[TitleMatch] = []
        for word in positions:
            for code, text, words in self._by_word.get(word, ()):
                if not all(w in positions for w in words):
                    continue
                # "without X" titles only when the note says without / no.
                if " without " in text and not ({"without", "no"} & positions.keys()):
                    continue
                used = _place(words, positions, word)
                if used is None:
                    continue
                found.append(TitleMatch(code, text, tuple(sorted(set(used)))))
        found.sort(key=lambda m: -len(m.token_indexes))
        kept: list[TitleMatch] = []
        for m in found:
            if not any(set(m.token_indexes) <= set(k.token_indexes) for k in kept):
                kept.append(m)
        return kept
