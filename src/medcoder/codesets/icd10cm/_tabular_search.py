"""Ranked full-text search over ICD-10-CM titles, inclusion terms and Alphabetic Index terms.

The query is split into words; a word or phrase found in the synonym file
(``resources/synonyms.json``: afib, htn, t2dm, ...) also matches its expansion. SQLite FTS5
(BM25, Porter stemming) finds texts holding every word, then texts holding some of them when
that is not enough; the candidates are re-ranked so that an exact phrase beats scattered words,
a short text that is mostly the query beats a long one, and a billable code (or a leaf that only
needs its 7th character) beats a heading. Each code appears once, with its best match.
"""

from __future__ import annotations

import itertools
import json
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from medcoder.codesets.icd10cm._tabular_data import ReleaseData, dotted
from medcoder.codesets.icd10cm.models import MatchSource, NoteKind, SearchHit
from medcoder.errors import DataFileError, InputError

__all__ = ["TabularSearch", "load_synonyms"]

_WORD = re.compile(r"[a-z0-9]+")
# Words that carry no meaning for a code search (kept: "with", "without", "due": they do).
_STOP = frozenset({"a", "an", "and", "at", "by", "for", "in", "of", "on", "or", "the", "to"})
_CANDIDATES = 400
_HISTORY = re.compile(r"\bhistory\b", re.IGNORECASE)
_SOURCE_WEIGHT = {MatchSource.TITLE: 1.0, MatchSource.INDEX: 0.9, MatchSource.INCLUSION: 0.8}
_COMPANION_NOTES = (NoteKind.USE_ADDITIONAL, NoteKind.CODE_ALSO)


@cache
def load_synonyms() -> dict[str, tuple[str, ...]]:
    """The packaged synonym file: lower-case word or phrase -> expansions.

    Raises:
        DataFileError: the file is malformed (unknown keys, non-list expansions).
    """
    path = "resources/synonyms.json"
    raw = json.loads(resources.files("medcoder.codesets.icd10cm").joinpath(path).read_text("utf-8"))
    unknown = set(raw) - {"_comment", "version", "synonyms"}
    if unknown or not isinstance(raw.get("synonyms"), dict):
        raise DataFileError(f"bad synonym file (keys {sorted(raw)})", path=path)
    out: dict[str, tuple[str, ...]] = {}
    for key, values in raw["synonyms"].items():
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise DataFileError(f"synonyms of {key!r} must be a list of strings", path=path)
        out[" ".join(_WORD.findall(key.lower()))] = tuple(values)
    return out


@dataclass(frozen=True, slots=True)
class _Group:
    """One word (or abbreviation) of the query and the phrases that may stand for it."""

    phrases: tuple[tuple[str, ...], ...]

    def fts(self) -> str:
        alternatives = ['"' + " ".join(p) + '"' for p in self.phrases]
        return alternatives[0] if len(alternatives) == 1 else f"({' OR '.join(alternatives)})"


def _groups(text: str) -> list[_Group]:
    words = [w for w in _WORD.findall(text.lower())]
    synonyms = load_synonyms()
    groups: list[_Group] = []
    i = 0
    while i < len(words):
        for size in (3, 2, 1):
            key = " ".join(words[i : i + size])
            if size <= len(words) - i and key in synonyms:
                expansions = tuple(tuple(_WORD.findall(s.lower())) for s in synonyms[key])
                groups.append(_Group((tuple(words[i : i + size]), *expansions)))
                i += size
                break
        else:
            if words[i] not in _STOP:
                groups.append(_Group(((words[i],),)))
            i += 1
    return groups


def _phrase_queries(groups: list[_Group]) -> list[str]:
    """FTS5 phrase queries for the query words in order (one per choice of synonyms)."""
    if len(groups) < 2:
        return []
    combos = itertools.islice(itertools.product(*(g.phrases for g in groups)), 16)
    return ['"' + " ".join(w for p in combo for w in p) + '"' for combo in combos]


def _plain(code: str) -> str:
    return code.replace(".", "")


def _stems(words: Iterable[str]) -> set[str]:
    # A crude stem is enough to compare a note's code title with the query words.
    return {w[:5] for w in words if w not in _STOP}


def _with_companions(
    data: ReleaseData, ranked: list[SearchHit], groups: list[_Group]
) -> list[SearchHit]:
    """Insert, after each of the first three hits, the codes its use-additional / code-also
    notes name when their titles share two query words: "diabetic foot ulcer" -> E11.621,
    whose note asks for the site of the ulcer, L97.5-."""
    query = _stems(w for g in groups for p in g.phrases for w in p)
    need = min(2, len(groups))
    placed: set[str] = set()
    out: list[SearchHit] = []
    for position, hit in enumerate(ranked):
        if hit.code in placed:
            continue  # moved up as a companion of a better hit
        out.append(hit)
        placed.add(hit.code)
        if position >= 3:
            continue
        for level in data.chain(_plain(hit.code)):
            for note in data.notes_at(level.code):
                if note.kind not in _COMPANION_NOTES:
                    continue
                for ref in note.refs:
                    code = _plain(ref.first)
                    row = data.rows.get(code)
                    if ref.first != ref.last or row is None or ref.first in placed:
                        continue
                    if len(query & _stems(_WORD.findall(row.title.lower()))) < need:
                        continue
                    placed.add(ref.first)
                    out.append(
                        SearchHit(
                            code=ref.first,
                            title=row.title,
                            billable=row.billable,
                            matched=note.text,
                            source=MatchSource.NOTE,
                            score=hit.score,
                        )
                    )
    return out


class TabularSearch:
    """Runs searches against ``icd10cm_fts``.

    Args:
        con: the knowledge-base connection.
    """

    def __init__(self, con: sqlite3.Connection) -> None:
        self._con = con

    def _fetch(self, release_id: str, match: str) -> list[tuple[str, str, str, float]]:
        return self._con.execute(
            "SELECT code, source, text, bm25(icd10cm_fts) FROM icd10cm_fts "
            "WHERE icd10cm_fts MATCH ? AND release_id = ? ORDER BY rank LIMIT ?",
            (match, release_id, _CANDIDATES),
        ).fetchall()

    def search(self, data: ReleaseData, text: str, limit: int) -> list[SearchHit]:
        """The best ``limit`` hits for ``text`` in ``data``'s release.

        Raises:
            InputError: ``text`` holds no searchable word.
        """
        groups = _groups(text)
        if not groups:
            raise InputError(f"nothing to search for in {text!r}", field="text")
        best: dict[str, SearchHit] = {}
        phrase_hits: set[tuple[str, str]] = set()
        for query in _phrase_queries(groups):
            phrase_hits.update((c, t) for c, _s, t, _r in self._fetch(data.release_id, query))
        passes = [(" AND ".join(g.fts() for g in groups), 0.0)]
        if len(groups) > 1:
            passes.append((" OR ".join(g.fts() for g in groups), 8.0))
        words = sum(min(len(p) for p in g.phrases) for g in groups)
        # "Personal history of diabetic foot ulcer" holds the words of "diabetic foot ulcer"
        # but is not what was asked for unless the query says history.
        history_asked = any(w in ("history", "hx") for g in groups for p in g.phrases for w in p)
        for match, penalty in passes:
            for code, source, matched, bm25 in self._fetch(data.release_id, match):
                row = data.rows.get(code)
                if row is None:
                    continue
                reportable = row.billable or data.needs_seventh(code)
                size = max(len(_WORD.findall(matched.lower())), 1)
                score = (
                    -bm25 * _SOURCE_WEIGHT[MatchSource(source)]
                    + (3.0 if (code, matched) in phrase_hits else 0.0)
                    + 2.0 * min(words / size, 1.0)
                    + (3.0 if reportable else 0.0)
                    - penalty
                    - (0.0 if history_asked or not _HISTORY.search(row.title) else 5.0)
                )
                current = best.get(code)
                if current is None or score > current.score:
                    best[code] = SearchHit(
                        code=dotted(code),
                        title=row.title,
                        billable=row.billable,
                        matched=matched,
                        source=MatchSource(source),
                        score=round(score, 3),
                    )
            if len(best) >= limit:
                break
        ranked = sorted(best.values(), key=lambda h: (-h.score, data.rows[_plain(h.code)].seq))
        return _with_companions(data, ranked, groups)[:limit]
