"""Intake: plain text, JSON envelope, FHIR DocumentReference, and every error."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re

import pytest

from medcoder.errors import InputError, NoteError
from medcoder.notes import Document, Patient, Setting, Sex, read_document

NOTE = "CC: Chest pain.\nA/P: Stable angina. Continue aspirin."


def _fhir(text: str, **extra: object) -> str:
    resource: dict[str, object] = {
        "resourceType": "DocumentReference",
        "status": "current",
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain; charset=utf-8",
                    "data": base64.b64encode(text.encode()).decode(),
                }
            }
        ],
    }
    resource.update(extra)
    return json.dumps(resource)


class TestPlainText:
    def test_bytes_are_decoded_and_kept_exactly(self) -> None:
        doc = read_document(NOTE.encode(), source="visit-1.txt")
        assert doc == Document(NOTE, source="visit-1.txt")
        assert doc.setting is Setting.OUTPATIENT
        assert doc.patient == Patient()

    def test_utf8_bom_is_dropped(self) -> None:
        assert read_document(b"\xef\xbb\xbfCough.").text == "Cough."

    def test_utf16_with_bom(self) -> None:
        assert read_document("Fever 38.5 C".encode("utf-16")).text == "Fever 38.5 C"

    def test_keyword_arguments(self) -> None:
        doc = read_document(
            NOTE,
            setting="Inpatient",
            date_of_service="2024-10-01",
            patient=Patient(67, Sex.FEMALE),
        )
        assert doc.setting is Setting.INPATIENT
        assert doc.date_of_service == dt.date(2024, 10, 1)
        assert doc.patient == Patient(67, Sex.FEMALE)


class TestEnvelope:
    def test_all_fields(self) -> None:
        envelope = {
            "text": NOTE,
            "setting": "inpatient",
            "date_of_service": "2025-01-15",
            "patient": {"age": 72, "sex": "M"},
        }
        doc = read_document(json.dumps(envelope))
        assert doc.text == NOTE
        assert doc.setting is Setting.INPATIENT
        assert doc.date_of_service == dt.date(2025, 1, 15)
        assert doc.patient == Patient(72, Sex.MALE)

    def test_keywords_override_the_envelope(self) -> None:
        doc = read_document(
            json.dumps({"text": NOTE, "setting": "inpatient"}), setting="outpatient"
        )
        assert doc.setting is Setting.OUTPATIENT

    def test_unknown_sex_is_none(self) -> None:
        doc = read_document(json.dumps({"text": NOTE, "patient": {"sex": "unknown"}}))
        assert doc.patient == Patient(None, None)


class TestFhir:
    def test_document_reference(self) -> None:
        resource = _fhir(
            NOTE,
            type={"coding": [{"system": "http://loinc.org", "code": "18842-5"}]},
            context={"period": {"start": "2024-11-03T08:15:00Z"}},
        )
        doc = read_document(resource.encode(), source="DocumentReference/1")
        assert doc.text == NOTE
        assert doc.setting is Setting.INPATIENT  # a discharge summary
        assert doc.date_of_service == dt.date(2024, 11, 3)

    def test_progress_note_stays_outpatient(self) -> None:
        resource = _fhir(NOTE, type={"coding": [{"system": "http://loinc.org", "code": "11506-3"}]})
        assert read_document(resource).setting is Setting.OUTPATIENT

    def test_missing_data(self) -> None:
        resource = json.loads(_fhir(NOTE))
        resource["content"][0]["attachment"] = {"contentType": "text/plain", "url": "Binary/9"}
        message = (
            "DocumentReference.content[0].attachment has no inline 'data' "
            "(medcoder does not fetch 'url' attachments)"
        )
        with pytest.raises(NoteError, match=re.escape(message)):
            read_document(json.dumps(resource))

    def test_other_resource_type(self) -> None:
        message = "FHIR resource type 'Patient' is not supported; expected 'DocumentReference'"
        with pytest.raises(NoteError, match=re.escape(message)):
            read_document('{"resourceType": "Patient", "id": "p1"}')

    def test_no_text_attachment(self) -> None:
        resource = json.loads(_fhir(NOTE))
        resource["content"][0]["attachment"]["contentType"] = "application/pdf"
        message = "DocumentReference has no text/plain attachment (found: application/pdf)"
        with pytest.raises(NoteError, match=re.escape(message)):
            read_document(json.dumps(resource))

    def test_bad_base64(self) -> None:
        resource = json.loads(_fhir(NOTE))
        resource["content"][0]["attachment"]["data"] = "not base64!"
        with pytest.raises(NoteError, match=re.escape("attachment.data is not valid base64")):
            read_document(json.dumps(resource))

    def test_empty_attachment_text(self) -> None:
        with pytest.raises(NoteError, match=re.escape("note is empty")):
            read_document(_fhir("   \n"))


class TestErrors:
    @pytest.mark.parametrize("data", ["", "  \n\t ", b"", b"\n\n"])
    def test_empty(self, data: str | bytes) -> None:
        with pytest.raises(
            NoteError, match=re.escape("note is empty (no text, or only whitespace)")
        ):
            read_document(data)

    def test_nul_bytes(self) -> None:
        message = "note is binary data (it contains NUL bytes), not text"
        with pytest.raises(NoteError, match=re.escape(message)):
            read_document(b"%PDF-1.4\x00\x01\x02")

    def test_not_utf8(self) -> None:
        with pytest.raises(
            NoteError, match=re.escape("note is not UTF-8 text: byte 0xff at position 4")
        ) as info:
            read_document(b"Pain\xff\xfe", source="a.txt")
        assert info.value.source == "a.txt"

    def test_mostly_control_characters(self) -> None:
        with pytest.raises(NoteError, match=re.escape("note looks like binary data: 6 of 10")):
            read_document("\x01\x02\x03\x04\x05\x06abcd")

    def test_malformed_json(self) -> None:
        message = (
            "note looks like a JSON envelope but is not valid JSON: "
            "Expecting ',' delimiter (line 1, column 18)"
        )
        with pytest.raises(NoteError, match=re.escape(message)):
            read_document('{"text": "Cough" "setting": "inpatient"}')

    def test_envelope_without_text(self) -> None:
        with pytest.raises(InputError, match=re.escape("a note envelope needs a 'text' field")):
            read_document('{"setting": "inpatient"}')

    def test_text_not_a_string(self) -> None:
        with pytest.raises(InputError, match=re.escape("text must be a string, got int")) as info:
            read_document('{"text": 42}')
        assert info.value.field == "text"

    def test_unknown_envelope_field(self) -> None:
        message = (
            "unknown field 'date_of_servce'; expected one of: text, setting, "
            "date_of_service, patient, source"
        )
        with pytest.raises(InputError, match=re.escape(message)):
            read_document('{"text": "Cough.", "date_of_servce": "2024-01-01"}')

    def test_unknown_setting(self) -> None:
        message = "setting must be 'outpatient' or 'inpatient', got 'er'"
        with pytest.raises(InputError, match=re.escape(message)) as info:
            read_document('{"text": "Cough.", "setting": "er"}')
        assert info.value.field == "setting"

    @pytest.mark.parametrize("value", ["2024-13-01", "2024-02-30", "01/15/2024", "2024-01"])
    def test_bad_date(self, value: str) -> None:
        message = f"date_of_service must be an ISO date (YYYY-MM-DD), got {value!r}"
        with pytest.raises(InputError, match=re.escape(message)):
            read_document(NOTE, date_of_service=value)

    @pytest.mark.parametrize("age", [-3, 131, 40.5, "40", True])
    def test_bad_age(self, age: object) -> None:
        message = f"patient.age must be a whole number from 0 to 130, got {age!r}"
        with pytest.raises(InputError, match=re.escape(message)) as info:
            read_document(json.dumps({"text": NOTE, "patient": {"age": age}}))
        assert info.value.field == "patient.age"

    def test_bad_sex(self) -> None:
        message = "patient.sex must be 'male' or 'female', got 'x'"
        with pytest.raises(InputError, match=re.escape(message)) as info:
            read_document(json.dumps({"text": NOTE, "patient": {"sex": "x"}}))
        assert info.value.field == "patient.sex"

    def test_unknown_patient_field(self) -> None:
        message = "unknown field 'patient.dob'; expected one of: age, sex"
        with pytest.raises(InputError, match=re.escape(message)):
            read_document(json.dumps({"text": NOTE, "patient": {"dob": "1950-01-01"}}))
