"""Document intake: plain text, a JSON envelope, or a FHIR R4 ``DocumentReference``.

The format is detected from the content, so a caller hands over whatever bytes arrived::

    read_document(b"CC: chest pain ...")                                  # plain text
    read_document('{"text": "...", "setting": "inpatient", "patient": {"age": 67}}')
    read_document(fhir_json_bytes)                        # DocumentReference, inline base64

Every problem is reported before any work is done: :class:`~medcoder.errors.NoteError` for a
note that cannot be read (empty, binary, malformed JSON), :class:`~medcoder.errors.InputError`
with a field path (``patient.age``) for a value that is out of range.
"""

from __future__ import annotations

import codecs
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from medcoder.errors import InputError, NoteError
from medcoder.notes._fhir import is_fhir, read_document_reference

__all__ = [
    "VISIT_TYPES",
    "Document",
    "Patient",
    "Setting",
    "Sex",
    "Visit",
    "parse_date",
    "read_document",
]

#: Share of control characters above which a text is taken for binary data.
_MAX_CONTROL_SHARE = 0.05
_ENVELOPE_KEYS = ("text", "setting", "date_of_service", "patient", "source", "visit")
_PATIENT_KEYS = ("age", "sex")
_VISIT_KEYS = ("new_patient", "type", "total_minutes")
_MAX_AGE = 130
_MAX_MINUTES = 24 * 60
#: The kinds of E/M visit an envelope's ``visit.type`` may name.
VISIT_TYPES = (
    "office",
    "preventive",
    "inpatient_initial",
    "inpatient_subsequent",
    "discharge",
    "observation",
    "emergency",
)


class Setting(StrEnum):
    """Where care was given; it changes the coding rules (uncertain diagnoses, for one)."""

    OUTPATIENT = "outpatient"
    INPATIENT = "inpatient"

    @classmethod
    def parse(cls, value: object, *, field: str = "setting") -> Setting:
        """The setting named by ``value`` (case-insensitive).

        Raises:
            InputError: ``value`` is not ``"outpatient"`` or ``"inpatient"``.
        """
        if isinstance(value, Setting):
            return value
        if isinstance(value, str):
            try:
                return cls(value.strip().lower())
            except ValueError:
                pass
        raise InputError(f"{field} must be 'outpatient' or 'inpatient', got {value!r}", field=field)


class Sex(StrEnum):
    """The patient's sex as used by the code-set edits (age/sex conflicts)."""

    MALE = "male"
    FEMALE = "female"


_SEX_WORDS = {"male": Sex.MALE, "m": Sex.MALE, "female": Sex.FEMALE, "f": Sex.FEMALE}
_UNKNOWN_SEX = {"unknown", "u", "other", ""}


@dataclass(frozen=True, slots=True)
class Patient:
    """What the coding rules need to know about the patient (both optional)."""

    age: int | None = None
    sex: Sex | None = None

    @classmethod
    def from_dict(cls, data: object, *, where: str = "patient") -> Patient:
        """Validate a ``{"age": 67, "sex": "female"}`` mapping; unknown keys are rejected.

        Raises:
            InputError: an unknown key, an age outside 0-130, a sex other than male/female.
        """
        if not isinstance(data, Mapping):
            raise InputError(f"{where} must be an object, got {_kind(data)}", field=where)
        _reject_unknown(data, _PATIENT_KEYS, where)
        age = data.get("age")
        if age is not None and (
            isinstance(age, bool) or not isinstance(age, int) or not 0 <= age <= _MAX_AGE
        ):
            raise InputError(
                f"{where}.age must be a whole number from 0 to {_MAX_AGE}, got {age!r}",
                field=f"{where}.age",
            )
        return cls(age=age, sex=_parse_sex(data.get("sex"), f"{where}.sex"))


@dataclass(frozen=True, slots=True)
class Visit:
    """What the encounter input says about the visit for E/M leveling (all optional)."""

    new_patient: bool | None = None
    type: str | None = None  # one of VISIT_TYPES
    total_minutes: int | None = None

    @classmethod
    def from_dict(cls, data: object, *, where: str = "visit") -> Visit:
        """Validate ``{"new_patient": true, "type": "office", "total_minutes": 45}``.

        Raises:
            InputError: an unknown key, a non-boolean ``new_patient``, an unknown ``type``,
                minutes that are not a whole number from 0 to 1440.
        """
        if not isinstance(data, Mapping):
            raise InputError(f"{where} must be an object, got {_kind(data)}", field=where)
        _reject_unknown(data, _VISIT_KEYS, where)
        new_patient = data.get("new_patient")
        if new_patient is not None and not isinstance(new_patient, bool):
            raise InputError(
                f"{where}.new_patient must be true or false, got {new_patient!r}",
                field=f"{where}.new_patient",
            )
        kind = data.get("type")
        if kind is not None and kind not in VISIT_TYPES:
            raise InputError(
                f"{where}.type must be one of {', '.join(VISIT_TYPES)}; got {kind!r}",
                field=f"{where}.type",
            )
        minutes = data.get("total_minutes")
        if minutes is not None and (
            isinstance(minutes, bool)
            or not isinstance(minutes, int)
            or not 0 <= minutes <= _MAX_MINUTES
        ):
            raise InputError(
                f"{where}.total_minutes must be a whole number from 0 to {_MAX_MINUTES}, "
                f"got {minutes!r}",
                field=f"{where}.total_minutes",
            )
        return cls(new_patient=new_patient, type=kind, total_minutes=minutes)


@dataclass(frozen=True, slots=True)
class Document:
    """A clinical note as received: its text and what is known about the encounter."""

    text: str
    setting: Setting = Setting.OUTPATIENT
    date_of_service: dt.date | None = None
    patient: Patient = field(default_factory=Patient)
    source: str = ""
    visit: Visit = field(default_factory=Visit)


def read_document(
    data: bytes | str,
    *,
    source: str = "",
    setting: Setting | str | None = None,
    date_of_service: dt.date | str | None = None,
    patient: Patient | None = None,
    visit: Visit | None = None,
) -> Document:
    """Read a note from plain text, a JSON envelope or a FHIR R4 ``DocumentReference``.

    Keyword arguments override what the envelope says; unset values default to an outpatient
    encounter with no date and nothing known about the patient.

    Args:
        data: The note as received (bytes are decoded as UTF-8, or UTF-16 with a BOM).
        source: A name for the note (file name, document id) carried into errors and results.
        setting: ``"outpatient"`` or ``"inpatient"``.
        date_of_service: A date or an ISO ``YYYY-MM-DD`` string.
        patient: Age and sex of the patient.
        visit: What the encounter input says about the visit (type, new patient, minutes).

    Returns:
        The document, with its text exactly as received (offsets refer to it).

    Raises:
        NoteError: The note is empty, binary, not UTF-8, or a malformed JSON envelope or FHIR
            resource.
        InputError: A field has a wrong value; ``.field`` names it (``"patient.age"``).

    Example:
        >>> read_document('{"text": "Cough.", "setting": "inpatient"}').setting
        <Setting.INPATIENT: 'inpatient'>
    """
    text = _decode(data, source) if isinstance(data, bytes) else data
    _check_text(text, source)
    fields: dict[str, object] = {}
    stripped = text.strip()
    if stripped.startswith("{") and stripped.endswith("}"):
        envelope = _load_json(text, source)
        if is_fhir(envelope):
            fields = read_document_reference(envelope, source)
        else:
            fields = _read_envelope(envelope)
        text = _require_text(fields.get("text"), "text")
        _check_text(text, source)
    return Document(
        text=text,
        setting=Setting.parse(fields.get("setting", "outpatient") if setting is None else setting),
        date_of_service=parse_date(
            date_of_service if date_of_service is not None else fields.get("date_of_service")
        ),
        patient=patient if patient is not None else _patient_of(fields.get("patient")),
        source=source or str(fields.get("source") or ""),
        visit=visit if visit is not None else _visit_of(fields.get("visit")),
    )


def parse_date(value: object, *, field: str = "date_of_service") -> dt.date | None:
    """A date from a ``date``, an ISO date string or an ISO date-time string (date part).

    Raises:
        InputError: Anything else, or an impossible date such as ``2024-02-30``.
    """
    if value is None or isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    if isinstance(value, str):
        try:
            if len(value) == 10:
                return dt.date.fromisoformat(value)
            return dt.datetime.fromisoformat(value).date()
        except ValueError:
            pass
    raise InputError(f"{field} must be an ISO date (YYYY-MM-DD), got {value!r}", field=field)


def _decode(data: bytes, source: str) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise NoteError(f"note is not valid UTF-16 text: {exc.reason}", source=source) from exc
    if b"\x00" in data:
        raise NoteError("note is binary data (it contains NUL bytes), not text", source=source)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NoteError(
            f"note is not UTF-8 text: byte 0x{data[exc.start]:02x} at position {exc.start}",
            source=source,
        ) from exc


def _check_text(text: str, source: str) -> None:
    if not text.strip():
        raise NoteError("note is empty (no text, or only whitespace)", source=source)
    if "\x00" in text:
        raise NoteError("note is binary data (it contains NUL bytes), not text", source=source)
    controls = sum(1 for ch in text if ch < " " and ch not in "\t\n\r\f")
    if controls > _MAX_CONTROL_SHARE * len(text):
        raise NoteError(
            f"note looks like binary data: {controls} of {len(text)} characters are control "
            "characters",
            source=source,
        )


def _load_json(text: str, source: str) -> Mapping[str, object]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NoteError(
            f"note looks like a JSON envelope but is not valid JSON: {exc.msg} "
            f"(line {exc.lineno}, column {exc.colno})",
            source=source,
        ) from exc
    if not isinstance(value, dict):
        raise NoteError("a JSON note must be an object", source=source)
    return value


def _read_envelope(envelope: Mapping[str, object]) -> dict[str, object]:
    _reject_unknown(envelope, _ENVELOPE_KEYS, "")
    if "text" not in envelope:
        raise InputError("a note envelope needs a 'text' field", field="text")
    return dict(envelope)


def _require_text(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise InputError(f"{where} must be a string, got {_kind(value)}", field=where)
    return value


def _patient_of(value: object) -> Patient:
    return Patient() if value is None else Patient.from_dict(value)


def _visit_of(value: object) -> Visit:
    return Visit() if value is None else Visit.from_dict(value)


def _parse_sex(value: object, where: str) -> Sex | None:
    if value is None:
        return None
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _SEX_WORDS:
            return _SEX_WORDS[word]
        if word in _UNKNOWN_SEX:
            return None
    raise InputError(f"{where} must be 'male' or 'female', got {value!r}", field=where)


def _reject_unknown(data: Mapping[str, object], allowed: tuple[str, ...], where: str) -> None:
    for key in data:
        if key not in allowed:
            path = f"{where}.{key}" if where else str(key)
            raise InputError(
                f"unknown field {path!r}; expected one of: {', '.join(allowed)}", field=path
            )


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__
