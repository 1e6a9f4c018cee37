"""The ICD-10-CM Tabular List API: lookup, validation by date of service, search.

Example:
    >>> from medcoder.codesets import KnowledgeBase
    >>> import datetime as dt
    >>> with KnowledgeBase.open() as kb:
    ...     cm = kb.icd10cm
    ...     cm.lookup("e119").title
    ...     cm.validate("S72.001", dt.date(2026, 5, 1)).reason
    ...     cm.search("afib", limit=1)[0].code
    'Type 2 diabetes mellitus without complications'
    <ValidationReason.MISSING_7TH: 'missing_7th'>
    'I48.91'
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from medcoder.codesets.icd10cm._tabular_data import ReleaseData, Row, dotted
from medcoder.codesets.icd10cm._tabular_mce import CodeEditor
from medcoder.codesets.icd10cm._tabular_search import TabularSearch
from medcoder.codesets.icd10cm._tabular_validate import Validator
from medcoder.codesets.icd10cm.models import (
    CodeInfo,
    CodeKind,
    CodeRef,
    Note,
    NoteKind,
    SearchHit,
    SeventhCharacter,
    Validation,
)
from medcoder.codesets.releases import CodeSystem, Release
from medcoder.errors import CodeFormatError, UnknownCodeError

if TYPE_CHECKING:
    from medcoder.codesets.kb import KnowledgeBase

__all__ = ["Icd10cm"]

# The second character is a digit except in category QA0 (FY2026).
_SHAPE = re.compile(r"[A-Z][0-9A-Z][0-9A-Z][0-9A-Z]{0,4}")
_SYSTEM = CodeSystem.ICD10CM.value
_CACHE_LIMIT = 20_000


class Icd10cm:
    """ICD-10-CM codes of the release in force on a date of service.

    Construct it as ``Icd10cm(kb)`` (or use ``kb.icd10cm``). Each release's Tabular List is
    loaded into memory on first use. Call :meth:`close` when done: it frees the Medicare Code
    Editor that checks FY2027 validity (it is also freed when the object is collected).

    Args:
        kb: the open knowledge base.
    """

    def __init__(self, kb: KnowledgeBase) -> None:
        self._kb = kb
        self._data: dict[str, ReleaseData] = {}
        self._info: dict[tuple[str, str], CodeInfo] = {}
        self._editor = CodeEditor()
        self._search: TabularSearch | None = None

    def close(self) -> None:
        """Free the Medicare Code Editor (if it was opened); lookups keep working."""
        self._editor.close()

    # -- codes as text -----------------------------------------------------------------------
    @staticmethod
    def normalize(code: str) -> str:
        """The code without dot or spaces, upper case: ``" e11.9 "`` -> ``"E119"``.

        Raises:
            CodeFormatError: the text does not have the shape of an ICD-10-CM code.
        """
        plain = re.sub(r"[\s.]", "", code).upper()
        if not _SHAPE.fullmatch(plain):
            raise CodeFormatError(
                f"{code!r} is not an ICD-10-CM code: expected a letter, two characters and up "
                "to four more, e.g. E11.9 or S72.001A",
                code=code,
                system=_SYSTEM,
            )
        return plain

    @classmethod
    def format(cls, code: str) -> str:
        """The code as printed, with its dot: ``"e119"`` -> ``"E11.9"``."""
        return dotted(cls.normalize(code))

    # -- releases ------------------------------------------------------------------------------
    def _release(self, date: dt.date | None) -> Release:
        return self._kb.release_for(CodeSystem.ICD10CM, date)

    def _release_data(self, release: Release) -> ReleaseData:
        data = self._data.get(release.id)
        if data is None:
            data = ReleaseData(self._kb.con, release.id)
            self._data[release.id] = data
        return data

    def _key(self, data: ReleaseData, code: str) -> str:
        """The table key of ``code``: a chapter number or block range as given, else the
        normalized code (raises CodeFormatError)."""
        stripped = code.strip().upper()
        if stripped in data.rows and (stripped.isdigit() or "-" in stripped):
            return stripped
        return self.normalize(code)

    def _row(self, data: ReleaseData, code: str) -> Row:
        key = self._key(data, code)
        row = data.rows.get(key)
        if row is None:
            raise UnknownCodeError(
                f"{dotted(key)} is not an ICD-10-CM code in {self._label(data)}",
                code=code,
                system=_SYSTEM,
                suggestions=[dotted(s) for s in self._validator(data).suggestions(key)],
            )
        return row

    def _label(self, data: ReleaseData) -> str:
        for release in self._kb.releases:
            if release.id == data.release_id:
                return release.label
        return data.release_id

    def _validator(self, data: ReleaseData) -> Validator:
        return Validator(data, self._editor)

    # -- lookup --------------------------------------------------------------------------------
    def lookup(self, code: str, date: dt.date | None = None) -> CodeInfo:
        """Everything the Tabular List says about ``code`` in the release in force on ``date``.

        Args:
            code: ``E11.9``, ``e119``, ``S52.521A``; a chapter (``"4"``) or block
                (``"E08-E13"``) works too.
            date: date of service; the newest release when None.

        Returns:
            A :class:`CodeInfo` with ancestors, inclusion terms, every applicable note (own and
            inherited, each with its ``source_code``) and the 7th characters.

        Raises:
            CodeFormatError: not the shape of an ICD-10-CM code.
            UnknownCodeError: not in the release (``suggestions`` holds close codes).
            NoReleaseError: ``date`` is before the oldest release.
        """
        data = self._release_data(self._release(date))
        row = self._row(data, code)
        cache_key = (data.release_id, row.code)
        info = self._info.get(cache_key)
        if info is None:
            info = self._describe(data, row)
            if len(self._info) >= _CACHE_LIMIT:
                self._info.clear()
            self._info[cache_key] = info
        return info

    def _describe(self, data: ReleaseData, row: Row) -> CodeInfo:
        chain = data.chain(row.code)
        notes: list[Note] = []
        for level in chain:
            notes.extend(n for n in data.notes_at(level.code) if n.kind is not NoteKind.INCLUSION)
        seventh = data.seventh_for(row.code) if row.kind not in _HEADERS else ()
        # A full 7-character code (S52.521A) is the Tabular leaf S52.521 plus a character:
        # the leaf's inclusion terms are its own.
        extension = len(row.code) == 7 and bool(seventh) and row.parent is not None
        own = row.parent if extension and row.parent is not None else row.code
        inclusion = tuple(n.text for n in data.notes_at(own) if n.kind is NoteKind.INCLUSION)
        requires_seventh = data.needs_seventh(row.code)
        # The form the code is reported in: padded with X to 6 characters before the 7th.
        reported = row.code.ljust(6, "X") + "?" if requires_seventh else row.code
        return CodeInfo(
            code=dotted(row.code),
            title=row.title,
            billable=row.billable,
            kind=row.kind,
            release_id=data.release_id,
            ancestors=tuple(data.ref(r.code) for r in reversed(chain[1:])),
            inclusion_terms=inclusion,
            notes=tuple(notes),
            seventh_characters=seventh,
            seventh_character_note=data.seventh_note_for(row.code) if seventh else None,
            requires_seventh=requires_seventh,
            placeholder_needed=row.kind not in _HEADERS and "X" in reported[3:6],
        )

    # -- validation ----------------------------------------------------------------------------
    def validate(self, code: str, date: dt.date) -> Validation:
        """Can ``code`` be reported on ``date``? If not, why, and what to report instead.

        Uses the release in force on ``date``. Past the newest vendored release (from
        2026-10-01, FY2027) the code is also checked with the Medicare Code Editor.

        Raises:
            CodeFormatError: not the shape of an ICD-10-CM code.
            NoReleaseError: ``date`` is before the oldest release (the message names the
                range the knowledge base covers).
        """
        release = self._release(date)
        # Only the ICD-10-CM warnings of the date (a stale HCPCS quarter is not this code's).
        prefix = f"{CodeSystem.ICD10CM.value}:"
        warnings = tuple(w for w in self._kb.for_date(date).warnings if w.startswith(prefix))
        data = self._release_data(release)
        return self._validator(data).validate(self.normalize(code), date, release, warnings)

    # -- search --------------------------------------------------------------------------------
    def search(self, text: str, limit: int = 20, date: dt.date | None = None) -> list[SearchHit]:
        """Codes whose title, inclusion terms or Alphabetic Index terms match ``text``.

        Abbreviations (afib, htn, t2dm, copd, ...) are expanded. Billable codes rank above
        headers and an exact phrase above scattered words; each code appears once.

        Example:
            ``search("diabetic foot ulcer")[0].code == "E11.621"``
        """
        data = self._release_data(self._release(date))
        if self._search is None:
            self._search = TabularSearch(self._kb.con)
        return self._search.search(data, text, limit)

    # -- small lookups for the coding engine ---------------------------------------------------
    def title(self, code: str, date: dt.date | None = None) -> str:
        """The title of ``code`` (raises like :meth:`lookup`)."""
        return self._row(self._release_data(self._release(date)), code).title

    def exists(self, code: str, date: dt.date | None = None) -> bool:
        """True when ``code`` (any level) is in the release; False for malformed text too."""
        data = self._release_data(self._release(date))
        try:
            return self._key(data, code) in data.rows
        except CodeFormatError:
            return False

    def is_billable(self, code: str, date: dt.date | None = None) -> bool:
        """True when ``code`` exists and can be reported as it stands."""
        data = self._release_data(self._release(date))
        try:
            row = data.rows.get(self._key(data, code))
        except CodeFormatError:
            return False
        return row is not None and row.billable

    def children(self, code: str, date: dt.date | None = None) -> tuple[CodeRef, ...]:
        """The codes directly below ``code`` (blocks of a chapter, 7-character codes of a leaf)."""
        data = self._release_data(self._release(date))
        row = self._row(data, code)
        return tuple(data.ref(c) for c in data.children.get(row.code, ()))

    def billable_descendants(
        self, code: str, date: dt.date | None = None, *, limit: int | None = None
    ) -> tuple[str, ...]:
        """Every billable code under ``code`` (dotted, in Tabular order), at most ``limit``."""
        data = self._release_data(self._release(date))
        row = self._row(data, code)
        return tuple(dotted(c) for c in data.billable_descendants(row.code, limit))

    def excludes1(self, code: str, date: dt.date | None = None) -> tuple[Note, ...]:
        """The Excludes1 notes of ``code`` and its ancestors; ``Note.refs`` holds the codes
        and ranges each names (``CodeRange.covers`` tests a code against them)."""
        return self.lookup(code, date).notes_of(NoteKind.EXCLUDES1)

    def seventh_characters(
        self, code: str, date: dt.date | None = None
    ) -> tuple[SeventhCharacter, ...]:
        """The 7th characters that apply to ``code`` (empty when it takes none)."""
        return self.lookup(code, date).seventh_characters


_HEADERS = (CodeKind.CHAPTER, CodeKind.BLOCK)
