"""Services in a note: CPT/HCPCS lines with units, modifiers and diagnosis pointers.

A short tour::

    from medcoder.coding.services import ServiceCoder
    from medcoder.notes import parse_note, read_document

    note = parse_note(read_document(
        "Procedure: Impacted cerumen removed from the right ear with a curette."
    ))
    result = ServiceCoder(kb).code(note, diagnoses=assigned)
    [(l.code, l.modifiers, l.diagnosis_pointers) for l in result.lines]
    # [('69210', ('RT',), (1,))]

Only what the note says was *done* today is billed (:mod:`.performed`): planned, ordered,
declined and past services are not. CPT codes carry medcoder's own wording (or the user's
licensed text, see :mod:`medcoder.codesets.cpt`); HCPCS codes the official descriptor.
"""

from medcoder.coding.services.coder import ServiceCoder
from medcoder.coding.services.model import (
    CodedService,
    LineSystem,
    ServiceContext,
    ServiceKind,
    ServicesResult,
)
from medcoder.coding.services.performed import Performed, PerformedCheck, performed
from medcoder.coding.services.pointers import DIAGNOSIS_FAMILIES, assign_pointers, family_of

__all__ = [
    "CodedService",
    "DIAGNOSIS_FAMILIES",
    "LineSystem",
    "Performed",
    "PerformedCheck",
    "ServiceCoder",
    "ServiceContext",
    "ServiceKind",
    "ServicesResult",
    "assign_pointers",
    "family_of",
    "performed",
]
