"""Condition mentions: Index walks found in a note, with their place and assertion."""

from __future__ import annotations

from dataclasses import dataclass

from medcoder.coding.index_matcher import IndexMatch
from medcoder.coding.text import Token
from medcoder.notes.model import Assertion

__all__ = ["Mention", "prune_overlaps"]


@dataclass(frozen=True, slots=True)
class Mention:
    """One Index walk in one sentence of the note."""

    match: IndexMatch
    start: int
    end: int
    sentence_words: frozenset[str]
    section: str
    assertion: Assertion = Assertion.PRESENT
    cue: str = ""
    tokens: tuple[Token, ...] = ()  # the whole sentence, for walks that need more words


def prune_overlaps(matches: list[IndexMatch]) -> list[IndexMatch]:
    """Drop walks whose words are a strict subset of a better-supported walk's words.

    "chronic kidney disease" inside "diabetes ... with chronic kidney disease" stays (it is its
    own condition, coded with N18.-), but "Kidney" alone inside "Disease, kidney, chronic" goes.
    """
    kept: list[IndexMatch] = []
    sets = [frozenset(m.token_indexes) for m in matches]
    for i, match in enumerate(matches):
        mine = sets[i]
        dominated = any(
            j != i
            and mine < sets[j]
            and matches[j].code is not None
            and (not match.path or not matches[j].path or matches[j].path[0].id != match.path[0].id)
            and len(match.path) <= 1
            for j in range(len(matches))
        )
        same_better = any(
            j != i
            and match.path
            and matches[j].path
            and matches[j].path[0].id == match.path[0].id
            and (matches[j].words, len(matches[j].path)) > (match.words, len(match.path))
            and sets[j] & mine
            for j in range(len(matches))
        )
        if not dominated and not same_better:
            kept.append(match)
    return kept
