"""The whole coding flow through HTTP on SQLite and PostgreSQL: patient -> encounter ->
upload -> suggestions -> accept / change / reject -> final codes with edits -> audit trail."""

from __future__ import annotations

import time
from pathlib import Path

from api_world import TestClient, World

NOTE = (Path(__file__).parents[2] / "examples" / "notes" / "soap_progress_note.txt").read_text()
V1 = "/api/v1"


def _patient(client: TestClient, world: World, **extra: str) -> dict[str, object]:
    body = {"first_name": "Maria", "last_name": "Lopez", "birth_date": "1965-02-03", "sex": "F"}
    body.update(extra)
    reply = client.post(f"{V1}/patients", json=body, headers=world.headers("coder"))
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


def _encounter(client: TestClient, world: World, patient_id: str) -> dict[str, object]:
    reply = client.post(
        f"{V1}/encounters",
        json={"patient_id": patient_id, "date_of_service": "2026-05-12", "place_of_service": "11"},
        headers=world.headers("coder"),
    )
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


class TestCodingFlow:
    def test_upload_review_and_final_codes(self, api: TestClient, world: World) -> None:
        coder = world.headers("coder")
        patient = _patient(api, world)
        encounter = _encounter(api, world, str(patient["id"]))
        assert encounter["status"] == "to_code"
        eid = encounter["id"]

        upload = api.post(
            f"{V1}/encounters/{eid}/documents?wait=true",
            content=NOTE.encode(),
            headers={**coder, "Content-Type": "text/plain"},
        )
        assert upload.status_code == 201, upload.text
        assert upload.json()["status"] == "coded"
        assert upload.json()["job_id"]
        assert api.get(f"{V1}/encounters/{eid}", headers=coder).json()["status"] == "to_review"

        codes = api.get(f"{V1}/encounters/{eid}/codes", headers=coder).json()
        suggested = {c["code"]: c for c in codes}
        # T2DM with diabetic polyneuropathy, CKD 3a, hypertension with CKD: with evidence
        assert "E11.42" in suggested, sorted(suggested)
        neuropathy = suggested["E11.42"]
        assert neuropathy["status"] == "suggested"
        assert any("polyneuropathy" in e["text"].lower() for e in neuropathy["evidence"])
        assert neuropathy["rationale"]

        # accept the polyneuropathy code
        accepted = api.post(
            f"{V1}/encounters/{eid}/codes/{neuropathy['id']}/review",
            json={"action": "accept", "reason": "documented in A/P"},
            headers=coder,
        )
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["status"] == "accepted"
        assert accepted.json()["by_user_id"] and accepted.json()["at"]

        others = [c for c in codes if c["id"] != neuropathy["id"]]
        first_other = others[0]
        # an invalid replacement is refused with the reason, nothing changes
        bad = api.post(
            f"{V1}/encounters/{eid}/codes/{first_other['id']}/review",
            json={"action": "change", "code": "E11.9X", "reason": "more specific"},
            headers=coder,
        )
        assert bad.status_code == 422, bad.text
        assert bad.headers["content-type"].startswith("application/problem+json")
        assert bad.json()["field"] == "code"
        not_billable = api.post(
            f"{V1}/encounters/{eid}/codes/{first_other['id']}/review",
            json={"action": "change", "code": "E11", "reason": "category only"},
            headers=coder,
        )
        assert not_billable.status_code == 422
        # a valid replacement is recorded with the engine's code kept
        changed = api.post(
            f"{V1}/encounters/{eid}/codes/{first_other['id']}/review",
            json={"action": "change", "code": "I10", "reason": "coder judgement"},
            headers=coder,
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["code"] == "I10"
        assert changed.json()["replaced_code"] == first_other["code"]
        assert changed.json()["status"] == "changed"

        # still to review until every suggestion has a decision
        final = api.get(f"{V1}/encounters/{eid}/final", headers=coder).json()
        assert final["complete"] is False and final["pending"] == len(others) - 1
        for c in others[1:]:
            reply = api.post(
                f"{V1}/encounters/{eid}/codes/{c['id']}/review",
                json={"action": "reject", "reason": "not supported"},
                headers=coder,
            )
            assert reply.status_code == 200, reply.text

        final = api.get(f"{V1}/encounters/{eid}/final", headers=world.headers("biller")).json()
        assert final["complete"] is True
        assert [d["code"] for d in final["diagnoses"]] == ["E11.42", "I10"] or [
            d["code"] for d in final["diagnoses"]
        ] == ["I10", "E11.42"]
        assert final["status"] in ("coded", "with_errors")
        assert final["status"] == ("coded" if final["passed"] else "with_errors")
        queue = "coded" if final["passed"] else "with_errors"
        listed = api.get(
            f"{V1}/encounters",
            params={"queue": queue, "patient_id": patient["id"]},
            headers=coder,
        ).json()
        assert eid in [e["id"] for e in listed["items"]]

        # the auditor sees who did what
        events = api.get(
            f"{V1}/audit/events",
            params={"resource": f"code_assignment/{first_other['id']}"},
            headers=world.headers("auditor"),
        ).json()
        assert [e["action"] for e in events["items"]] == ["code_assignment.review"]
        assert events["items"][0]["detail"]["decision"] == "changed"
        assert events["items"][0]["detail"]["code"] == "I10"
        assert events["items"][0]["actor"].endswith(accepted.json()["by_user_id"])

    def test_duplicate_upload_is_not_coded_twice(self, api: TestClient, world: World) -> None:
        coder = world.headers("coder")
        eid = _encounter(api, world, str(_patient(api, world)["id"]))["id"]
        envelope = {"text": NOTE, "setting": "outpatient", "patient": {"age": 61, "sex": "F"}}
        first = api.post(f"{V1}/encounters/{eid}/documents", json=envelope, headers=coder)
        again = api.post(f"{V1}/encounters/{eid}/documents", json=envelope, headers=coder)
        assert first.status_code == 201 and again.status_code == 200
        assert again.json()["duplicate_of"] == first.json()["id"]
        listed = api.get(f"{V1}/encounters/{eid}/documents", headers=coder).json()
        assert [d["id"] for d in listed] == [first.json()["id"]]
        read = api.get(f"{V1}/documents/{first.json()['id']}", headers=coder).json()
        assert read["text"] == first.request.content.decode()

    def test_bad_note_is_refused_with_problem(self, api: TestClient, world: World) -> None:
        coder = world.headers("coder")
        eid = _encounter(api, world, str(_patient(api, world)["id"]))["id"]
        empty = api.post(
            f"{V1}/encounters/{eid}/documents",
            content=b"   ",
            headers={**coder, "Content-Type": "text/plain"},
        )
        assert empty.status_code == 422
        assert empty.json()["title"] == "Unprocessable Content"
        wrong = api.post(
            f"{V1}/encounters/{eid}/documents",
            content=b"<xml/>",
            headers={**coder, "Content-Type": "application/xml"},
        )
        assert wrong.status_code == 415


class TestIdempotencyKeys:
    def test_same_key_same_body_same_patient(self, api: TestClient, world: World) -> None:
        body = {"first_name": "Ida", "last_name": "Key", "birth_date": "1950-01-01"}
        headers = {**world.headers("coder"), "Idempotency-Key": "create-ida-1"}
        first = api.post(f"{V1}/patients", json=body, headers=headers)
        second = api.post(f"{V1}/patients", json=body, headers=headers)
        assert first.status_code == second.status_code == 201
        assert first.json() == second.json()
        assert second.headers.get("Idempotent-Replayed") == "true"
        other = api.post(f"{V1}/patients", json={**body, "first_name": "Eve"}, headers=headers)
        assert other.status_code == 422
        assert "different request body" in other.json()["detail"]

    def test_upload_key_replays_document(self, api: TestClient, world: World) -> None:
        coder = world.headers("coder")
        eid = _encounter(api, world, str(_patient(api, world)["id"]))["id"]
        headers = {**coder, "Content-Type": "text/plain", "Idempotency-Key": "up-1"}
        first = api.post(f"{V1}/encounters/{eid}/documents", content=b"A/P: HTN.", headers=headers)
        again = api.post(f"{V1}/encounters/{eid}/documents", content=b"A/P: HTN.", headers=headers)
        assert first.status_code == again.status_code == 201
        assert first.json()["id"] == again.json()["id"]


class TestLists:
    def test_pagination_and_filters(self, api: TestClient, world: World) -> None:
        coder = world.headers("coder")
        pid = str(_patient(api, world)["id"])
        ids = [_encounter(api, world, pid)["id"] for _ in range(3)]
        page1 = api.get(
            f"{V1}/encounters", params={"patient_id": pid, "limit": 2}, headers=coder
        ).json()
        page2 = api.get(
            f"{V1}/encounters", params={"patient_id": pid, "limit": 2, "offset": 2}, headers=coder
        ).json()
        assert page1["total"] == page2["total"] == 3
        assert len(page1["items"]) == 2 and len(page2["items"]) == 1
        assert {e["id"] for e in page1["items"] + page2["items"]} == set(ids)
        none = api.get(
            f"{V1}/encounters",
            params={"patient_id": pid, "date_from": "2026-06-01"},
            headers=coder,
        ).json()
        assert none["total"] == 0

    def test_openapi_is_served(self, api: TestClient) -> None:
        spec = api.get(f"{V1}/openapi.json").json()
        assert "/api/v1/encounters/{encounter_id}/codes/{assignment_id}/review" in spec["paths"]


class TestCodesAndFormats:
    def test_fhir_document_reference_upload(self, api: TestClient, world: World) -> None:
        import base64

        coder = world.headers("coder")
        eid = _encounter(api, world, str(_patient(api, world)["id"]))["id"]
        resource = {
            "resourceType": "DocumentReference",
            "status": "current",
            "content": [
                {
                    "attachment": {
                        "contentType": "text/plain",
                        "data": base64.b64encode(NOTE.encode()).decode(),
                    }
                }
            ],
        }
        reply = api.post(
            f"{V1}/encounters/{eid}/documents?wait=true",
            json=resource,
            headers={**coder, "Content-Type": "application/fhir+json"},
        )
        assert reply.status_code == 201, reply.text
        assert reply.json()["content_type"] == "application/fhir+json"
        assert reply.json()["status"] == "coded"
        codes = api.get(f"{V1}/encounters/{eid}/codes", headers=coder).json()
        assert "E11.42" in {c["code"] for c in codes}

    def test_coder_adds_a_missed_code(self, api: TestClient, world: World) -> None:
        coder = world.headers("coder")
        eid = _encounter(api, world, str(_patient(api, world)["id"]))["id"]
        added = api.post(
            f"{V1}/encounters/{eid}/codes",
            json={"code": "e785", "system": "ICD10CM", "reason": "hyperlipidemia in the A/P"},
            headers=coder,
        )
        assert added.status_code == 201, added.text
        assert added.json()["code"] == "E78.5" and added.json()["status"] == "added"
        unknown = api.post(
            f"{V1}/encounters/{eid}/codes",
            json={"code": "E78.99", "system": "ICD10CM", "reason": "x"},
            headers=coder,
        )
        assert unknown.status_code == 422 and unknown.json()["field"] == "code"
        final = api.get(f"{V1}/encounters/{eid}/final", headers=coder).json()
        assert [d["code"] for d in final["diagnoses"]] == ["E78.5"]
        assert final["complete"] is True
        biller = api.post(
            f"{V1}/encounters/{eid}/codes",
            json={"code": "I10", "system": "ICD10CM", "reason": "x"},
            headers=world.headers("biller"),
        )
        assert biller.status_code == 403


class TestMalformedInput:
    def test_nul_characters_and_malformed_ids(self, api: TestClient, world: World) -> None:
        coder = world.headers("coder")
        nul = api.post(
            f"{V1}/patients",
            json={"first_name": "A\x00B", "last_name": "C", "birth_date": "1990-01-01"},
            headers=coder,
        )
        assert nul.status_code == 422 and "NUL" in nul.json()["detail"]
        login = api.post(f"{V1}/auth/login", json={"username": "x\x00y", "password": "p"})
        assert login.status_code == 422
        assert api.get(f"{V1}/encounters/not-an-id%00", headers=coder).status_code == 404
        assert api.get(f"{V1}/patients/{'A' * 32}", headers=coder).status_code == 404
        bad_filter = api.get(f"{V1}/encounters", params={"patient_id": "x\x00"}, headers=coder)
        assert bad_filter.status_code == 422
        audit = api.get(
            f"{V1}/audit/events", params={"action": "a\x00"}, headers=world.headers("auditor")
        )
        assert audit.status_code == 422


class TestBatchUpload:
    def test_batch_is_stored_and_coded_or_refused_whole(
        self, api: TestClient, world: World
    ) -> None:
        coder = world.headers("coder")
        pid = str(_patient(api, world)["id"])
        first, second = (_encounter(api, world, pid)["id"] for _ in range(2))
        bad = api.post(
            f"{V1}/documents/batch",
            json={
                "items": [
                    {"encounter_id": first, "text": "A/P: Essential hypertension."},
                    {
                        "encounter_id": second,
                        "text": '{"text": ""}',
                        "content_type": "application/json",
                    },
                ]
            },
            headers=coder,
        )
        assert bad.status_code == 422
        assert bad.json()["field"].startswith("items[1].text")
        assert api.get(f"{V1}/encounters/{first}/documents", headers=coder).json() == []

        good = api.post(
            f"{V1}/documents/batch",
            json={
                "items": [
                    {"encounter_id": first, "text": "A/P: Essential hypertension."},
                    {"encounter_id": second, "text": NOTE},
                ]
            },
            headers=coder,
        )
        assert good.status_code == 201, good.text
        docs = good.json()["documents"]
        assert [d["encounter_id"] for d in docs] == [first, second]
        assert all(d["job_id"] for d in docs)
        # the in-process worker codes them
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            statuses = [
                api.get(f"{V1}/documents/{d['id']}", headers=coder).json()["status"] for d in docs
            ]
            if statuses == ["coded", "coded"]:
                break
            time.sleep(0.2)
        assert statuses == ["coded", "coded"]
        codes = {c["code"] for c in api.get(f"{V1}/encounters/{first}/codes", headers=coder).json()}
        assert "I10" in codes

    def test_batch_into_another_organization_is_404(
        self, api: TestClient, world: World, other_world: World
    ) -> None:
        eid = _encounter(api, world, str(_patient(api, world)["id"]))["id"]
        reply = api.post(
            f"{V1}/documents/batch",
            json={"items": [{"encounter_id": eid, "text": "A/P: Asthma."}]},
            headers=other_world.headers("coder"),
        )
        assert reply.status_code == 404
        assert (
            api.get(f"{V1}/encounters/{eid}/documents", headers=world.headers("coder")).json() == []
        )


class TestAppLifespan:
    def test_worker_runs_until_the_last_lifespan_ends(self, db_url: str) -> None:
        from medcoder.api import Settings, create_app

        settings = Settings(database_url=db_url, upgrade_database=False, inline_coding=True)
        app = create_app(settings)
        resources = app.state.resources
        with TestClient(app) as first:
            worker = resources.worker
            assert worker is not None
            with TestClient(app) as second:
                assert resources.worker is worker  # not a second worker
                assert second.get(f"{V1}/health").status_code == 200
            assert resources.worker is worker  # still running for the first client
            assert first.get(f"{V1}/health").status_code == 200
        assert resources.worker is None
