"""The procedure lexicon: words of a note -> PCS axis values (rules as data).

``resources/pcs_lexicon.json`` holds five lists, each entry with ``terms`` (phrases as written
in notes, matched on normalised tokens):

* ``actions``: a procedure word and the axes it decides: ``section`` and the third character
  (``operation``: root operation or type), optionally the ``body`` part labels it implies
  (``appendectomy`` -> Appendix), an ``approach``, ``device``, ``qualifier``, ``systems`` (the
  body-system characters allowed) and ``scope`` (an endoscope word: when another procedure is
  in the same statement it gives that procedure its approach and body part and is not coded
  on its own, as the guidelines say of an inspection done with a definitive procedure),
  ``integral_with`` (words that, in the same sentence, make the procedure part of another one
  and not coded: intubation "after induction of general anesthesia").
* ``anatomy``: anatomical words -> PCS body part labels, in order of preference.
  A label may start with ``"<body system>:"`` to hold only in that body system, or with
  ``"+<body system>:"`` to be used only by a procedure word restricted to that body system
  (``"+H:Foot Skin"`` for a skin biopsy of the foot, never for other foot procedures). A combined
  region ("chest and abdomen") lists its ``parts``: where the table has no value for the whole,
  each part is coded (plain films of the chest and of the abdomen).
* ``approaches``, ``devices``, ``qualifiers``: words -> a value (character) or labels.
* ``contrast``: imaging contrast words -> ``"Z"`` (none) or ``"any"`` (some contrast).

Labels are compared with the labels the knowledge base reads back from the code list, side
words (Right, Left, Bilateral) aside: laterality comes from the note.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from medcoder.coding.text import tokenize
from medcoder.errors import DataFileError

__all__ = ["Action", "CueEntry", "PcsLexicon", "load_lexicon", "phrase_tokens"]

_RESOURCE = "resources/pcs_lexicon.json"


def phrase_tokens(phrase: str) -> tuple[str, ...]:
    """The normalised tokens of a lexicon phrase (as the note matcher sees them)."""
    return tuple(t.norm for t in tokenize(phrase))


def _check_keys(data: Mapping[str, object], allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise DataFileError(f"{where}: unknown key(s) {', '.join(unknown)}", path=_RESOURCE)
    if not isinstance(data.get("terms"), list) or not data["terms"]:
        raise DataFileError(f"{where}: 'terms' must be a non-empty list", path=_RESOURCE)


def _strs(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DataFileError(f"{where}: expected a list of strings", path=_RESOURCE)
    return tuple(value)


def _char(value: object, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) != 1:
        raise DataFileError(f"{where}: expected one PCS character, got {value!r}", path=_RESOURCE)
    return value


@dataclass(frozen=True, slots=True)
class Action:
    """A procedure word and the axes it decides (see the module docstring)."""

    id: str
    terms: tuple[tuple[str, ...], ...]
    section: str
    operation: str
    body: tuple[str, ...] = ()
    systems: str = ""
    approach: str | None = None
    device: str | None = None
    qualifier: str | None = None
    extra: tuple[tuple[int, str], ...] = ()  # (position, value) for sections' other axes
    scope: bool = False
    why: str = ""
    integral_with: tuple[tuple[str, ...], ...] = ()

    _KEYS = frozenset(
        "id terms section operation body systems approach device qualifier extra scope why "
        "integral_with".split()
    )

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Action:
        where = f"actions[{data.get('id', '?')}]"
        _check_keys(data, set(cls._KEYS), where)
        section = _char(data.get("section"), where + ".section")
        operation = _char(data.get("operation"), where + ".operation")
        if section is None or operation is None:
            raise DataFileError(f"{where}: 'section' and 'operation' are required", path=_RESOURCE)
        extra = data.get("extra", {})
        if not isinstance(extra, dict):
            raise DataFileError(f"{where}.extra: expected an object", path=_RESOURCE)
        return cls(
            id=str(data.get("id", "")),
            terms=tuple(phrase_tokens(t) for t in _strs(data["terms"], where + ".terms")),
            section=section,
            operation=operation,
            body=_strs(data.get("body"), where + ".body"),
            systems=str(data.get("systems", "")),
            approach=_char(data.get("approach"), where + ".approach"),
            device=_char(data.get("device"), where + ".device"),
            qualifier=_char(data.get("qualifier"), where + ".qualifier"),
            extra=tuple(sorted((int(k), str(v)) for k, v in extra.items())),
            scope=bool(data.get("scope", False)),
            why=str(data.get("why", "")),
            integral_with=tuple(
                phrase_tokens(t) for t in _strs(data.get("integral_with"), where + ".integral_with")
            ),
        )


@dataclass(frozen=True, slots=True)
class CueEntry:
    """Words that name an axis value: ``value`` (a character) or ``labels`` (PCS labels)."""

    terms: tuple[tuple[str, ...], ...]
    value: str | None = None
    labels: tuple[str, ...] = ()
    parts: tuple[tuple[str, ...], ...] = ()  # anatomy: the regions a combined region is made of

    @classmethod
    def from_dict(cls, data: Mapping[str, object], where: str) -> CueEntry:
        _check_keys(data, {"terms", "value", "labels", "parts"}, where)
        parts = data.get("parts", [])
        if not isinstance(parts, list):
            raise DataFileError(f"{where}.parts: expected a list of label lists", path=_RESOURCE)
        value = data.get("value")
        if value is not None and not isinstance(value, str):
            raise DataFileError(f"{where}.value: expected a string", path=_RESOURCE)
        entry = cls(
            terms=tuple(phrase_tokens(t) for t in _strs(data["terms"], where + ".terms")),
            value=value,
            labels=_strs(data.get("labels"), where + ".labels"),
            parts=tuple(_strs(p, f"{where}.parts[{i}]") for i, p in enumerate(parts)),
        )
        if entry.value is None and not entry.labels:
            raise DataFileError(f"{where}: needs 'value' or 'labels'", path=_RESOURCE)
        return entry


@dataclass(frozen=True, slots=True)
class PcsLexicon:
    """The packaged procedure lexicon (:func:`load_lexicon`)."""

    actions: tuple[Action, ...]
    anatomy: tuple[CueEntry, ...]
    approaches: tuple[CueEntry, ...]
    devices: tuple[CueEntry, ...]
    qualifiers: tuple[CueEntry, ...]
    contrast: tuple[CueEntry, ...]

    _LISTS = ("anatomy", "approaches", "devices", "qualifiers", "contrast")

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> PcsLexicon:
        unknown = sorted(set(data) - {"version", "actions", *cls._LISTS})
        if unknown:
            raise DataFileError(f"unknown key(s) {', '.join(unknown)}", path=_RESOURCE)

        def entries(name: str) -> list[Mapping[str, object]]:
            value = data.get(name, [])
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise DataFileError(f"{name}: expected a list of objects", path=_RESOURCE)
            return value

        return cls(
            actions=tuple(Action.from_dict(d) for d in entries("actions")),
            anatomy=tuple(
                CueEntry.from_dict(d, f"anatomy[{i}]") for i, d in enumerate(entries("anatomy"))
            ),
            approaches=tuple(
                CueEntry.from_dict(d, f"approaches[{i}]")
                for i, d in enumerate(entries("approaches"))
            ),
            devices=tuple(
                CueEntry.from_dict(d, f"devices[{i}]") for i, d in enumerate(entries("devices"))
            ),
            qualifiers=tuple(
                CueEntry.from_dict(d, f"qualifiers[{i}]")
                for i, d in enumerate(entries("qualifiers"))
            ),
            contrast=tuple(
                CueEntry.from_dict(d, f"contrast[{i}]") for i, d in enumerate(entries("contrast"))
            ),
        )


@lru_cache(maxsize=1)
def load_lexicon() -> PcsLexicon:
    """The lexicon packaged with medcoder."""
    raw = resources.files("medcoder.coding.pcs").joinpath(_RESOURCE).read_text(encoding="utf-8")
    return PcsLexicon.from_dict(json.loads(raw))
