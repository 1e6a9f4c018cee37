"""The exceptions medcoder raises, as one tree rooted at :class:`MedcoderError`.

The core raises these; the shell (CLI, API) translates them into exit codes and HTTP statuses.
Each carries its context as attributes so that a caller can report it without parsing text::

    MedcoderError
    ├── KnowledgeBaseError            the code-set knowledge base cannot be built or opened
    │   ├── DataFileError             a vendored source file is missing or malformed (.path)
    │   └── NoReleaseError            no code-set release covers a date (.system, .date, .covered)
    ├── CodeError                     a code is not usable (.code, .system)
    │   ├── UnknownCodeError          not in the code set (.suggestions)
    │   └── CodeFormatError           not of the shape of any code of the system
    ├── TermNotFoundError             an index / table term does not exist (.term, .suggestions)
    ├── NoteError                     a clinical note cannot be read (.source)
    └── InputError                    a value handed to the core is invalid (.field)
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

__all__ = [
    "CodeError",
    "CodeFormatError",
    "DataFileError",
    "InputError",
    "KnowledgeBaseError",
    "MedcoderError",
    "NoReleaseError",
    "NoteError",
    "TermNotFoundError",
    "UnknownCodeError",
]


class MedcoderError(Exception):
    """Base class of every error medcoder raises on purpose."""


class KnowledgeBaseError(MedcoderError):
    """The code-set knowledge base cannot be built or opened."""


class DataFileError(KnowledgeBaseError):
    """A vendored source file is missing or malformed."""

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


class NoReleaseError(KnowledgeBaseError):
    """No release of a code set covers the requested date of service."""

    def __init__(
        self,
        message: str,
        *,
        system: str,
        date: _dt.date,
        covered: tuple[_dt.date, _dt.date | None],
    ) -> None:
        super().__init__(message)
        self.system = system
        self.date = date
        self.covered = covered


class CodeError(MedcoderError):
    """A code cannot be used."""

    def __init__(self, message: str, *, code: str, system: str) -> None:
        super().__init__(message)
        self.code = code
        self.system = system


class UnknownCodeError(CodeError):
    """The code is not in the code set; ``suggestions`` holds close existing codes."""

    def __init__(
        self, message: str, *, code: str, system: str, suggestions: Sequence[str] = ()
    ) -> None:
        super().__init__(message, code=code, system=system)
        self.suggestions = tuple(suggestions)


class CodeFormatError(CodeError):
    """The text does not have the shape of a code of the system."""


class TermNotFoundError(MedcoderError):
    """An Alphabetic Index, Neoplasm Table or Drug Table term does not exist."""

    def __init__(self, message: str, *, term: str, suggestions: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.term = term
        self.suggestions = tuple(suggestions)


class NoteError(MedcoderError):
    """A clinical note cannot be read (empty, binary, malformed envelope)."""

    def __init__(self, message: str, *, source: str = "") -> None:
        super().__init__(message)
        self.source = source


class InputError(MedcoderError):
    """A value handed to the core is invalid; ``field`` is its path, e.g. ``patient.age``."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field
