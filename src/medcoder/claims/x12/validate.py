"""Validate X12 text with pyx12 (the X222A1 and X223A2 maps it ships).

Example:
    >>> report = validate_x12(write_837(claims, batch))
    >>> report.ok, report.errors
    (True, ())
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["ValidationReport", "validate_x12"]


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """``ok`` when pyx12 found no error; ``errors`` are its messages with their place."""

    ok: bool
    errors: tuple[str, ...]


def _errors(node: Any, where: str = "") -> Iterator[str]:
    if isinstance(node, dict):
        label = node.get("seg_id") or node.get("id") or where
        pos = node.get("seg_count") or node.get("cur_line")
        here = f"{label or 'segment'} {pos}" if pos is not None else str(label or where)
        for err in node.get("errors", ()) or ():
            if isinstance(err, dict):
                code = err.get("err_cde") or err.get("code") or ""
                msg = err.get("err_str") or err.get("msg") or json.dumps(err, default=str)
                yield f"{here}: {code} {msg}".strip()
            else:
                yield f"{here}: {err}"
        for key, value in node.items():
            if key != "errors" and isinstance(value, list | dict):
                yield from _errors(value, here)
    elif isinstance(node, list):
        for item in node:
            yield from _errors(item, where)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def validate_x12(text: str) -> ValidationReport:
    """Run pyx12's validator on ``text`` (an 837, 835, 999, ... interchange)."""
    import pyx12.params  # type: ignore[import-untyped]
    import pyx12.x12n_document  # type: ignore[import-untyped]

    logger = logging.getLogger("pyx12")
    if not logger.handlers:  # pyx12 logs every error at ERROR level; the report carries them
        logger.addHandler(logging.NullHandler())
        logger.propagate = False
    # Some errors (bad ISA elements) reach only pyx12's log, not its error tree: collect both.
    logged = _Collect()
    logger.addHandler(logged)
    try:
        out = io.StringIO()
        ok = pyx12.x12n_document.x12n_document(
            pyx12.params.params(), io.StringIO(text), fd_997=None, fd_html=None, fd_json=out)
    finally:
        logger.removeHandler(logged)
    try:
        doc = json.loads(out.getvalue() or "{}")
    except json.JSONDecodeError:
        doc = {}
    errors = tuple(_errors(doc))
    if not ok and not errors:
        errors = tuple("not an X12 interchange (no ISA segment at the start)"
                       if "does not look like an X12 data file" in m else m
                       for m in logged.messages) or (
            "pyx12 rejected the file (not an X12 interchange, or no map for it)",)
    return ValidationReport(ok=bool(ok) and not errors, errors=errors)
