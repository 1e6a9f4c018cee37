"""Validation of an ICD-10-CM code for a date of service, with the reason a coder needs.

The checks follow the way a code goes wrong in practice: a header reported instead of a code
(E11), a missing 7th character (S72.001), a missing or misplaced placeholder X (T36.01A for
T36.0X1A), a 7th character the category does not define (S72.001Z), a code that the next
fiscal year deleted or subdivided (checked with the Medicare Code Editor).
"""

from __future__ import annotations

import datetime as dt

from medcoder.codesets.icd10cm._tabular_data import ReleaseData, dotted
from medcoder.codesets.icd10cm._tabular_mce import CodeEditor
from medcoder.codesets.icd10cm.models import Validation, ValidationReason
from medcoder.codesets.releases import Release

__all__ = ["MAX_COMPLETIONS", "Validator"]

#: The most completions a validation lists (E11 alone has 80 billable codes).
MAX_COMPLETIONS = 20

R = ValidationReason


class Validator:
    """Validates normalized codes against one release (and the MCE past its end)."""

    def __init__(self, data: ReleaseData, editor: CodeEditor) -> None:
        self._data = data
        self._editor = editor

    def validate(
        self, code: str, day: dt.date, release: Release, warnings: tuple[str, ...]
    ) -> Validation:
        """Validate ``code`` (normalized, no dot) on ``day``."""
        result = self._check(code)
        if release.is_stale_on(day):
            result = self._check_next_year(code, day, result)
        reason, billable, message, completions = result
        return Validation(
            code=dotted(code),
            valid=reason is R.OK,
            billable=billable,
            reason=reason,
            message=message,
            completions=tuple(dotted(c) for c in completions[:MAX_COMPLETIONS]),
            warnings=warnings,
            release_id=release.id,
        )

    # -- the FY2026 Tabular ---------------------------------------------------------------------
    def _check(self, code: str) -> tuple[ValidationReason, bool, str, list[str]]:
        data = self._data
        row = data.rows.get(code)
        shown = dotted(code)
        if row is not None:
            if row.billable:
                return R.OK, True, f"{shown} is a valid billable code: {row.title}", []
            if data.needs_seventh(code):
                return self._missing_seventh(code)
            # A placeholder level such as T36.0X is a header too.
            billable = data.billable_descendants(code, MAX_COMPLETIONS + 1)
            more = "" if len(billable) <= MAX_COMPLETIONS else " (first 20 listed)"
            return (
                R.NOT_BILLABLE,
                False,
                f"{shown} ({row.title}) is a {row.kind.value} heading, not a billable code: "
                f"report one of the more specific codes under it{more}",
                billable,
            )
        base = code[:-1]
        while base not in data.rows and base.endswith("X") and len(base) > 3:
            base = base[:-1]
        if len(code) == 7 and data.needs_seventh(base) and code[:-1] == base.ljust(6, "X"):
            allowed = data.seventh_for(base)
            chars = ", ".join(f"{s.character} ({s.meaning})" for s in allowed)
            return (
                R.INVALID_7TH,
                False,
                f"{code[-1]} is not a 7th character of {dotted(base)}; "
                f"{allowed[0].source_code} defines {chars}",
                data.extensions(base),
            )
        fixed = self.placeholder_fixes(code)
        if fixed:
            return (
                R.BAD_PLACEHOLDER,
                False,
                f"{shown} is not a code: the placeholder X is missing or misplaced (codes "
                "shorter than 6 characters are filled with X before the 7th character); "
                f"did you mean {dotted(fixed[0])}?",
                fixed,
            )
        return (
            R.UNKNOWN,
            False,
            f"{shown} is not an ICD-10-CM code in this release",
            self.suggestions(code),
        )

    def _missing_seventh(self, code: str) -> tuple[ValidationReason, bool, str, list[str]]:
        data = self._data
        options = self._data.extensions(code)
        seventh = data.seventh_for(code)
        chars = ", ".join(f"{s.character} = {s.meaning}" for s in seventh)
        pad = (
            f" and placeholder X to 6 characters ({dotted(options[0][:-1])}_)"
            if len(code) < 6 and options
            else ""
        )
        return (
            R.MISSING_7TH,
            False,
            f"{dotted(code)} needs a 7th character{pad} (defined at {seventh[0].source_code}: "
            f"{chars})",
            options,
        )

    def placeholder_fixes(self, code: str) -> list[str]:
        """Codes that ``code`` becomes with its placeholder X's put where they belong.

        ``T3601A`` -> ``T360X1A``; ``T36X01A`` -> ``T360X1A``; ``T07A`` -> ``T07XXXA``.
        ``X`` after the category is only ever a placeholder, so it is dropped and re-inserted.
        """
        rows = self._data.rows
        body = code[:3] + code[3:-1].replace("X", "")
        last = code[-1]
        found: list[str] = []
        for stem, tail in ((body, last), (body + last, "")):
            fill = 7 - len(stem) - len(tail) if tail else 6 - len(stem)
            if fill <= 0:
                continue
            for at in range(3, len(stem) + 1):
                candidate = stem[:at] + "X" * fill + stem[at:] + tail
                if candidate != code and candidate in rows and candidate not in found:
                    found.append(candidate)
        # A 6-character candidate still needs its 7th character: offer the full codes.
        out: list[str] = []
        for c in found:
            out.extend([c] if rows[c].billable else self._data.extensions(c))
        return out

    def suggestions(self, code: str) -> list[str]:
        """Existing codes close to an unknown ``code``: the placeholder fix, else the codes
        under its longest existing prefix."""
        fixed = self.placeholder_fixes(code)
        if fixed:
            return fixed[:MAX_COMPLETIONS]
        rows = self._data.rows
        for end in range(len(code) - 1, 2, -1):
            prefix = code[:end]
            if prefix in rows:
                return self._data.billable_descendants(prefix, 10)
        return []

    # -- FY2027 ------------------------------------------------------------------------------
    def _check_next_year(
        self,
        code: str,
        day: dt.date,
        result: tuple[ValidationReason, bool, str, list[str]],
    ) -> tuple[ValidationReason, bool, str, list[str]]:
        """Re-check a code against the Medicare Code Editor's code list for ``day``."""
        reason = result[0]
        editor = self._editor
        when = day.isoformat()
        if reason is R.OK and not editor.is_valid(code, day):
            replacements = editor.valid_extensions(code, day)
            instead = (
                f"; report one of its new subcodes: {', '.join(map(dotted, replacements))}"
                if replacements
                else ""
            )
            return (
                R.NOT_VALID_FY2027,
                False,
                f"{dotted(code)} is valid in FY2026 but not on {when}: the Medicare Code "
                f"Editor for that date rejects it (deleted or subdivided on 2026-10-01){instead}",
                replacements,
            )
        if reason is R.UNKNOWN and editor.is_valid(code, day):
            return (
                R.OK,
                True,
                f"{dotted(code)} is not in the vendored FY2026 Tabular List, but the Medicare "
                f"Code Editor accepts it on {when} (a code added on 2026-10-01); its title "
                "is not available offline",
                [],
            )
        return result
