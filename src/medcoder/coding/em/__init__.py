"""E/M leveling: the evaluation and management code of a visit, with its MDM breakdown.

A short tour::

    from medcoder.coding.em import VisitContext, VisitType, level_visit
    from medcoder.notes import parse_note, read_document

    note = parse_note(read_document(text))
    result = level_visit(note, VisitContext(visit_type=VisitType.OFFICE, new_patient=False))
    result.code                       # '99214'
    result.mdm.problems.level         # MdmLevel.MODERATE
    result.mdm.risk.evidence          # the plan sentences that show the risk
    result.rationale                  # 'MDM moderate (problems moderate, risk moderate; ...'
    [line.code for line in result.lines]   # what to bill, add-ons included

The rules (2021+ office/outpatient, 2023+ hospital and ED) live in :mod:`.problems`,
:mod:`.data`, :mod:`.risk` (the three MDM elements), :mod:`.visit_time` (total time) and
:mod:`.codes` (code families, thresholds, prolonged service, preventive age bands); the
condition, test and drug words are data (``resources/em_lexicon.json``, :mod:`.lexicon`).
"""

from medcoder.coding.em.leveling import level_visit
from medcoder.coding.em.lexicon import EmLexicon, load_lexicon
from medcoder.coding.em.model import (
    Basis,
    EmFamily,
    EmLine,
    EmResult,
    MdmBreakdown,
    MdmElement,
    MdmFinding,
    MdmLevel,
    VisitContext,
    VisitType,
)

__all__ = [
    "Basis",
    "EmFamily",
    "EmLexicon",
    "EmLine",
    "EmResult",
    "MdmBreakdown",
    "MdmElement",
    "MdmFinding",
    "MdmLevel",
    "VisitContext",
    "VisitType",
    "level_visit",
    "load_lexicon",
]
