"""The Tabular List facts diagnosis coding needs, cached and keyed by undotted code.

A thin adapter over :class:`medcoder.codesets.icd10cm.tabular.Icd10cm` so the coding engine
asks plain questions (is it billable? which leaves lie under it? do two codes exclude each
other?) and pays for each answer once per process.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from medcoder.codesets.icd10cm.models import NoteKind
from medcoder.errors import CodeError

if TYPE_CHECKING:
    from medcoder.codesets.icd10cm.tabular import Icd10cm

__all__ = ["TabularFacts"]


class TabularFacts:
    """Cached Tabular List questions; every code argument and result is undotted."""

    def __init__(self, icd: Icd10cm) -> None:
        self.icd = icd
        self.title = lru_cache(maxsize=None)(self._title)
        self.exists = lru_cache(maxsize=None)(self._exists)
        self.is_billable = lru_cache(maxsize=None)(self._is_billable)
        self.leaves = lru_cache(maxsize=None)(self._leaves)
        self.seventh_characters = lru_cache(maxsize=None)(self._seventh)
        self.excludes1_refs = lru_cache(maxsize=None)(self._excludes1_refs)
        self.use_additional_refs = lru_cache(maxsize=None)(self._use_additional_refs)

    @staticmethod
    def format(code: str) -> str:
        """``E1122`` -> ``E11.22``."""
        plain = code.replace(".", "")
        return plain if len(plain) <= 3 else f"{plain[:3]}.{plain[3:]}"

    def _title(self, code: str) -> str:
        try:
            return self.icd.title(code)
        except CodeError:
            return ""

    def _exists(self, code: str) -> bool:
        return self.icd.exists(code)

    def _is_billable(self, code: str) -> bool:
        return self.icd.is_billable(code)

    def _leaves(self, code: str) -> tuple[str, ...]:
        """Billable codes under ``code`` before any 7th character (S52.53- -> S52.531 ...)."""
        out: dict[str, None] = {}
        for dotted in self.icd.billable_descendants(code):
            plain = dotted.replace(".", "")
            if len(plain) == 7 and self.seventh_characters(plain[:6].rstrip("X")):
                plain = plain[:6].rstrip("X") if self.exists(plain[:6].rstrip("X")) else plain[:6]
            out.setdefault(plain, None)
        return tuple(out)

    def _seventh(self, code: str) -> dict[str, str]:
        """7th character -> meaning for ``code`` (empty when it takes none)."""
        try:
            return {s.character: s.meaning for s in self.icd.seventh_characters(code)}
        except CodeError:
            return {}

    def _excludes1_refs(self, code: str) -> tuple[tuple[str, str], ...]:
        try:
            notes = self.icd.excludes1(code)
        except CodeError:
            return ()
        # Stored without dots and dashes, so the check per pair is two slices.
        return tuple(
            (r.first.replace(".", "").rstrip("-"), r.last.replace(".", "").rstrip("-"))
            for n in notes
            for r in n.refs
        )

    def excludes1_conflict(self, a: str, b: str) -> bool:
        """True when an Excludes1 note of ``a`` names ``b`` or of ``b`` names ``a``."""
        return _covered(b, self.excludes1_refs(a)) or _covered(a, self.excludes1_refs(b))

    def _use_additional_refs(self, code: str) -> tuple[tuple[tuple[str, str], ...], ...]:
        """For each 'use additional code to identify ...' note that names its codes
        (stage of CKD, type of heart failure, infectious agent), the ranges it names.

        The list-style notes ("code, if applicable, to identify:" followed by items such as
        tobacco use) are optional by wording and are left out.
        """
        try:
            notes = self.icd.lookup(code).notes_of(NoteKind.USE_ADDITIONAL)
        except CodeError:
            return ()
        return tuple(
            tuple(
                (r.first.replace(".", "").rstrip("-"), r.last.replace(".", "").rstrip("-"))
                for r in n.refs
            )
            for n in notes
            if n.refs and "to identify" in n.text and "if applicable" not in n.text
        )

    def satisfies(self, code: str, ranges: tuple[tuple[str, str], ...]) -> bool:
        """True when ``code`` falls in one of ``ranges``."""
        return _covered(code, ranges)


def _covered(code: str, refs: tuple[tuple[str, str], ...]) -> bool:
    """``code`` (undotted) falls in one of the undotted (first, last) ranges."""
    for lo, hi in refs:
        if code[: len(lo)] >= lo and code[: len(hi)] <= hi:
            return True
    return False
