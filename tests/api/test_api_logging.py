"""No note text and no patient names in the logs: upload, coding (in the server's worker
thread), review and reads, with every logger at DEBUG."""

from __future__ import annotations

import logging

import pytest
from api_world import TestClient, World

V1 = "/api/v1"
# Words that appear only in this note and this patient's record.
NOTE = (
    "CC: zanzibarite cough.\n"
    "A/P: Community acquired pneumonia of the right lower lobe, start amoxicillin.\n"
    "Essential hypertension, continue lisinopril.\n"
)


def test_no_phi_in_logs(api: TestClient, world: World, caplog: pytest.LogCaptureFixture) -> None:
    coder = world.headers("coder")
    with caplog.at_level(logging.DEBUG):
        patient = api.post(
            f"{V1}/patients",
            json={"first_name": "Quillonia", "last_name": "Vexbridge", "birth_date": "1970-01-01"},
            headers=coder,
        ).json()
        eid = api.post(
            f"{V1}/encounters",
            json={"patient_id": patient["id"], "date_of_service": "2026-05-12"},
            headers=coder,
        ).json()["id"]
        upload = api.post(
            f"{V1}/encounters/{eid}/documents?wait=true",
            content=NOTE.encode(),
            headers={**coder, "Content-Type": "text/plain"},
        )
        assert upload.json()["status"] == "coded"
        codes = api.get(f"{V1}/encounters/{eid}/codes", headers=coder).json()
        assert codes
        api.post(
            f"{V1}/encounters/{eid}/codes/{codes[0]['id']}/review",
            json={"action": "reject", "reason": "Vexbridge asked"},
            headers=coder,
        )
        api.get(f"{V1}/documents/{upload.json()['id']}", headers=coder)
        api.get(f"{V1}/encounters/{eid}/final", headers=coder)
    assert caplog.records, "nothing was logged: the check would prove nothing"
    logged = caplog.text.lower()
    for secret in ("zanzibarite", "pneumonia", "amoxicillin", "quillonia", "vexbridge"):
        assert secret not in logged
