"""Codes another code of the same note includes (ICD-10-PCS guidelines B3.11 and B3.4b)."""

from __future__ import annotations

from collections.abc import Iterable

from medcoder.coding.pcs.result import PcsSuggestion

__all__ = ["folded_codes"]


def folded_codes(suggestions: Iterable[PcsSuggestion]) -> set[str]:
    """The codes of ``suggestions`` that another of them includes.

    An inspection of a body part that another procedure treats by the same approach is not
    coded apart (by another approach it is, B3.11c); an excision of a body part that is also
    resected is part of the resection (a diagnostic excision before it, a biopsy, is kept,
    B3.4b). Past procedures neither fold nor are folded.
    """
    done: dict[tuple[str, str], list[str]] = {}
    current = [s for s in suggestions if not s.historical and s.code[0] == "0"]
    for s in current:
        done.setdefault((s.code[1], s.code[3]), []).append(s.code)
    folded = set()
    for s in current:
        others = [c for c in done[(s.code[1], s.code[3])] if c[2] != s.code[2]]
        operations = {c[2] for c in others}
        # B3.11c: an inspection by another approach than the procedure is coded apart.
        if s.code[2] == "J" and any(
            len(c) < 5 or len(s.code) < 5 or c[4] == s.code[4] for c in others
        ):
            folded.add(s.code)
        diagnostic = len(s.code) == 7 and s.code[6] == "X"
        if s.code[2] == "B" and "T" in operations and not diagnostic:
            folded.add(s.code)
    return folded
