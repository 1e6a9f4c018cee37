"""The visit object of the JSON envelope and how it becomes a VisitContext."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from medcoder.coding.em import VisitContext, VisitType
from medcoder.errors import InputError
from medcoder.notes import read_document
from medcoder.notes.document import Visit


def _envelope(**visit: object) -> str:
    return json.dumps(
        {
            "text": "A/P: Hypertension, stable.",
            "date_of_service": "2026-06-15",
            "patient": {"age": 70},
            "visit": visit,
        }
    )


class TestVisitEnvelope:
    def test_visit_object_is_read(self) -> None:
        doc = read_document(_envelope(new_patient=True, type="office", total_minutes=45))
        assert doc.visit == Visit(new_patient=True, type="office", total_minutes=45)

    def test_visit_is_optional(self) -> None:
        doc = read_document('{"text": "Cough."}')
        assert doc.visit == Visit()

    def test_keyword_overrides_the_envelope(self) -> None:
        doc = read_document(_envelope(type="office"), visit=Visit(type="emergency"))
        assert doc.visit.type == "emergency"

    @pytest.mark.parametrize(
        ("visit", "message"),
        [
            ({"kind": "office"}, "unknown field 'visit.kind'"),
            ({"type": "clinic"}, "visit.type must be one of office, preventive"),
            ({"new_patient": "yes"}, "visit.new_patient must be true or false, got 'yes'"),
            ({"total_minutes": -5}, "visit.total_minutes must be a whole number from 0 to 1440"),
            ({"total_minutes": True}, "visit.total_minutes must be a whole number"),
        ],
    )
    def test_bad_values_name_the_field(self, visit: dict[str, object], message: str) -> None:
        with pytest.raises(InputError, match=re.escape(message)):
            read_document(_envelope(**visit))

    def test_visit_must_be_an_object(self) -> None:
        with pytest.raises(InputError, match=re.escape("visit must be an object, got list")):
            read_document('{"text": "x", "visit": []}')


class TestVisitContextFromDocument:
    def test_context_carries_visit_patient_and_date(self) -> None:
        doc = read_document(_envelope(new_patient=False, type="inpatient_initial"))
        context = VisitContext.from_document(doc, medicare=True)
        assert context == VisitContext(
            visit_type=VisitType.INPATIENT_INITIAL,
            new_patient=False,
            patient_age=70,
            date_of_service=dt.date(2026, 6, 15),
            medicare=True,
            total_minutes=None,
        )

    def test_visit_type_parse_rejects_unknown(self) -> None:
        with pytest.raises(InputError, match="visit.type must be one of"):
            VisitType.parse("telehealth")
