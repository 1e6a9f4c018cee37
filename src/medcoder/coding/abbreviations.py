"""Clinical abbreviations (HTN, T2DM, CKD, AFib ...) expanded into Index words.

The list is data (``resources/abbreviations.json``); :meth:`Abbreviations.tokenize` yields the
tokens of a text with each abbreviation replaced by its expansion's tokens, all carrying the
abbreviation's own offsets so evidence still points at what the author wrote.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from medcoder.coding.text import Token, norm_token, tokenize
from medcoder.errors import InputError

__all__ = ["Abbreviation", "Abbreviations"]

_KEYS = {"abbr", "expansion", "case_sensitive"}


@dataclass(frozen=True, slots=True)
class Abbreviation:
    abbr: str
    expansion: str
    case_sensitive: bool = False

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "entry") -> Abbreviation:
        unknown = set(data) - _KEYS
        if unknown:
            raise InputError(f"{where}: unknown keys {sorted(unknown)}", field=where)
        if not data.get("abbr") or not data.get("expansion"):
            raise InputError(f"{where}: 'abbr' and 'expansion' are required", field=where)
        return cls(str(data["abbr"]), str(data["expansion"]), bool(data.get("case_sensitive")))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"abbr": self.abbr, "expansion": self.expansion}
        if self.case_sensitive:
            out["case_sensitive"] = True
        return out


def _alternation(items: list[Abbreviation]) -> str:
    words = sorted({re.escape(a.abbr) for a in items}, key=len, reverse=True)
    return r"(?<![A-Za-z0-9])(?:" + "|".join(words) + r")(?![A-Za-z0-9])"


class Abbreviations:
    """A compiled set of abbreviations."""

    def __init__(self, entries: list[Abbreviation]) -> None:
        self.entries = tuple(entries)
        self._exact = {a.abbr: a for a in entries if a.case_sensitive}
        self._folded = {a.abbr.lower(): a for a in entries if not a.case_sensitive}
        exact = [a for a in entries if a.case_sensitive]
        folded = [a for a in entries if not a.case_sensitive]
        parts = []
        if folded:
            parts.append("(?i:" + _alternation(folded) + ")")
        if exact:
            parts.append(_alternation(exact))
        self._pattern = re.compile("|".join(parts)) if parts else None
        self._expansions = {
            a.abbr: tuple(norm_token(w) for w in re.findall(r"[A-Za-z0-9]+", a.expansion))
            for a in entries
        }

    @classmethod
    def load(cls) -> Abbreviations:
        """The packaged list."""
        raw = resources.files("medcoder.coding").joinpath("resources/abbreviations.json")
        data = json.loads(raw.read_text(encoding="utf-8"))
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Abbreviations:
        unknown = set(data) - {"_comment", "version", "entries"}
        if unknown:
            raise InputError(
                f"abbreviations: unknown keys {sorted(unknown)}", field="abbreviations"
            )
        return cls(
            [Abbreviation.from_dict(e, f"entries[{i}]") for i, e in enumerate(data["entries"])]
        )

    def _lookup(self, matched: str) -> Abbreviation | None:
        return self._exact.get(matched) or self._folded.get(matched.lower())

    def tokenize(self, text: str, offset: int = 0) -> list[Token]:
        """Tokens of ``text``; abbreviations become their expansion's tokens (same span)."""
        if self._pattern is None:
            return tokenize(text, offset)
        tokens: list[Token] = []
        pos = 0
        for m in self._pattern.finditer(text):
            entry = self._lookup(m.group())
            if entry is None:  # a case-sensitive entry matched case-insensitively
                continue
            tokens.extend(tokenize(text[pos : m.start()], offset + pos))
            start, end = offset + m.start(), offset + m.end()
            tokens.extend(Token(w, start, end) for w in self._expansions[entry.abbr])
            pos = m.end()
        tokens.extend(tokenize(text[pos:], offset + pos))
        return tokens
