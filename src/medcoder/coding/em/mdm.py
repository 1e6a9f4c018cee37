"""Medical decision making: the three elements of a note and the level two of them support."""

from __future__ import annotations

from medcoder.coding.em.data import score_data
from medcoder.coding.em.lexicon import EmLexicon
from medcoder.coding.em.model import MdmBreakdown, MdmElement, MdmLevel
from medcoder.coding.em.problems import score_problems
from medcoder.coding.em.risk import score_risk
from medcoder.notes.model import Note

__all__ = ["combine_mdm", "describe_mdm", "score_mdm"]


def score_mdm(
    note: Note, lexicon: EmLexicon | None = None, *, not_counted: frozenset[str] = frozenset()
) -> tuple[MdmBreakdown, tuple[str, ...]]:
    """The MDM breakdown of a note (problems, data, risk), and warnings.

    ``not_counted`` names tests reported separately (see :func:`.data.score_data`).

    Example:
        >>> from medcoder.notes import parse_note, read_document
        >>> note = parse_note(read_document(
        ...     "A/P: Hypertension, stable. Continue lisinopril 10 mg daily."))
        >>> mdm, _ = score_mdm(note)
        >>> mdm.problems.level.value, mdm.risk.level.value, mdm.level.value
        ('low', 'moderate', 'low')
    """
    problems, warnings = score_problems(note, lexicon)
    data = score_data(note, lexicon, not_counted=not_counted)
    breakdown = combine_mdm(problems, data, score_risk(note, lexicon))
    return breakdown, warnings


def combine_mdm(problems: MdmElement, data: MdmElement, risk: MdmElement) -> MdmBreakdown:
    """The MDM level is the highest level that two of the three elements meet or exceed:
    the middle of the three levels."""
    ranks = sorted((problems.level.rank, data.level.rank, risk.level.rank))
    return MdmBreakdown(MdmLevel.of_rank(ranks[1]), problems, data, risk)


def describe_mdm(mdm: MdmBreakdown) -> str:
    """``MDM moderate (problems moderate, risk moderate; data low)``: the elements that
    decide first, then the others."""
    elements = (("problems", mdm.problems), ("data", mdm.data), ("risk", mdm.risk))
    deciding = [f"{n} {e.level.value}" for n, e in elements if e.level.rank >= mdm.level.rank]
    others = [f"{n} {e.level.value}" for n, e in elements if e.level.rank < mdm.level.rank]
    inner = ", ".join(deciding) + ("; " + ", ".join(others) if others else "")
    return f"MDM {mdm.level.value} ({inner})"
