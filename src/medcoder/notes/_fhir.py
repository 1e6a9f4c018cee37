"""Reading a FHIR R4 ``DocumentReference`` with an inline text attachment (plain JSON, no SDK).

Only what coding needs is read: the first ``text/plain`` attachment (base64 ``data``), the
clinical period start as the date of service, and a discharge-summary type as the inpatient
setting. A ``url`` attachment is refused: medcoder does not fetch anything.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping

from medcoder.errors import NoteError

__all__ = ["DISCHARGE_SUMMARY_LOINC", "is_fhir", "read_document_reference"]

#: LOINC document types that are written for inpatient stays.
DISCHARGE_SUMMARY_LOINC = frozenset({"18842-5", "11490-0", "34105-7"})
_LOINC = "http://loinc.org"


def is_fhir(resource: Mapping[str, object]) -> bool:
    """True if the JSON object is a FHIR resource (it has a ``resourceType``)."""
    return "resourceType" in resource


def read_document_reference(resource: Mapping[str, object], source: str) -> dict[str, object]:
    """The envelope fields (``text``, ``date_of_service``, ``setting``) of a DocumentReference.

    Raises:
        NoteError: Another resource type, no text/plain attachment, no inline data, bad base64
            or an undecodable charset.
    """
    kind = resource.get("resourceType")
    if kind != "DocumentReference":
        raise NoteError(
            f"FHIR resource type {kind!r} is not supported; expected 'DocumentReference'",
            source=source,
        )
    index, attachment = _text_attachment(resource.get("content"), source)
    where = f"DocumentReference.content[{index}].attachment"
    data = attachment.get("data")
    if data is None:
        raise NoteError(
            f"{where} has no inline 'data' (medcoder does not fetch 'url' attachments)",
            source=source,
        )
    if not isinstance(data, str):
        raise NoteError(f"{where}.data must be a base64 string", source=source)
    try:
        raw = base64.b64decode(data, validate=True)
    except binascii.Error as exc:
        raise NoteError(f"{where}.data is not valid base64: {exc}", source=source) from exc
    charset = _charset(str(attachment.get("contentType", "")))
    try:
        text = raw.decode(charset)
    except (LookupError, UnicodeDecodeError) as exc:
        raise NoteError(f"{where}.data cannot be decoded as {charset}", source=source) from exc
    fields: dict[str, object] = {"text": text}
    start = _period_start(resource.get("context"))
    if start is not None:
        fields["date_of_service"] = start
    if _is_discharge_summary(resource.get("type")):
        fields["setting"] = "inpatient"
    return fields


def _text_attachment(content: object, source: str) -> tuple[int, Mapping[str, object]]:
    if not isinstance(content, list) or not content:
        raise NoteError("DocumentReference.content must be a non-empty list", source=source)
    found: list[str] = []
    for index, item in enumerate(content):
        attachment = item.get("attachment") if isinstance(item, Mapping) else None
        if not isinstance(attachment, Mapping):
            raise NoteError(
                f"DocumentReference.content[{index}].attachment is missing", source=source
            )
        content_type = str(attachment.get("contentType", ""))
        if content_type.split(";")[0].strip().lower() == "text/plain":
            return index, attachment
        found.append(content_type or "no contentType")
    raise NoteError(
        f"DocumentReference has no text/plain attachment (found: {', '.join(found)})",
        source=source,
    )


def _charset(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"')
    return "utf-8"


def _period_start(context: object) -> object:
    if isinstance(context, Mapping):
        period = context.get("period")
        if isinstance(period, Mapping):
            return period.get("start")
    return None


def _is_discharge_summary(doc_type: object) -> bool:
    codings = doc_type.get("coding") if isinstance(doc_type, Mapping) else None
    if not isinstance(codings, list):
        return False
    return any(
        isinstance(c, Mapping)
        and c.get("system") == _LOINC
        and c.get("code") in DISCHARGE_SUMMARY_LOINC
        for c in codings
    )
