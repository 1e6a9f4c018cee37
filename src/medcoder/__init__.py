"""medcoder: offline, explainable computer-assisted medical coding and billing.

A short tour::

    from medcoder import KnowledgeBase
    with KnowledgeBase.open() as kb:          # builds the code-set database on first use
        kb.icd10cm.lookup("E11.9")            # title, billable, ancestors, notes
        kb.icd10cm.validate("S72.001", dos)   # why not valid, nearest completions
        kb.index.index("Pneumonia", "aspiration")   # Alphabetic Index walk -> J69.0
"""

from medcoder.codesets import CodeSystem, KnowledgeBase, Release
from medcoder.errors import (
    CodeError,
    CodeFormatError,
    DataFileError,
    InputError,
    KnowledgeBaseError,
    MedcoderError,
    NoReleaseError,
    NoteError,
    TermNotFoundError,
    UnknownCodeError,
)

__version__ = "0.1.0"

__all__ = [
    "CodeError",
    "CodeFormatError",
    "CodeSystem",
    "DataFileError",
    "InputError",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "MedcoderError",
    "NoReleaseError",
    "NoteError",
    "Release",
    "TermNotFoundError",
    "UnknownCodeError",
]
