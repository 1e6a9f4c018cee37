"""Shared route helpers, on SQLite and PostgreSQL: list pages with the total for the filters and
an audit event per list naming what was shown (the ids of PHI records; a count for users;
nothing for the audit trail itself); organization-scoped records answered 404 and audited; an
upload retried under its Idempotency-Key replayed (and marked), another note under it refused."""

from __future__ import annotations

import uuid
from typing import Any

from api_world import TestClient, World
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from medcoder.store.models import AuditEvent

V1 = "/api/v1"


def _last_event(factory: sessionmaker[Session], world: World, action: str) -> AuditEvent:
    with factory() as session:
        event = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.org_id == world.org_id, AuditEvent.action == action)
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        ).one()
        session.expunge(event)
    return event


def _me(api: TestClient, world: World, role: str) -> dict[str, Any]:
    reply = api.get(f"{V1}/auth/me", headers=world.headers(role))
    assert reply.status_code == 200, reply.text
    me: dict[str, Any] = reply.json()
    return me


class TestListPages:
    def test_patient_pages_walk_the_list_once(self, api: TestClient, world: World) -> None:
        seen: list[str] = []
        totals: set[int] = set()
        offset = 0
        while True:
            reply = api.get(
                f"{V1}/patients",
                params={"limit": 1, "offset": offset},
                headers=world.headers("coder"),
            )
            assert reply.status_code == 200, reply.text
            page = reply.json()
            assert (page["limit"], page["offset"]) == (1, offset)
            totals.add(page["total"])
            if not page["items"]:
                break
            seen.extend(p["id"] for p in page["items"])
            offset += 1
        assert len(totals) == 1
        assert len(seen) == len(set(seen)) == totals.pop()
        assert {world.patient_a, world.patient_b} <= set(seen)

    def test_patient_list_is_audited_with_the_ids_shown(
        self, api: TestClient, world: World, api_factory: sessionmaker[Session]
    ) -> None:
        reply = api.get(f"{V1}/patients", params={"limit": 2}, headers=world.headers("coder"))
        assert reply.status_code == 200, reply.text
        shown = [p["id"] for p in reply.json()["items"]]
        event = _last_event(api_factory, world, "patient.list")
        assert event.actor == f"user:{_me(api, world, 'coder')['id']}"
        assert event.resource == "patient"
        assert event.detail == {"count": len(shown), "ids": ",".join(shown)}

    def test_encounter_list_is_audited_with_the_ids_shown(
        self, api: TestClient, world: World, api_factory: sessionmaker[Session]
    ) -> None:
        created = api.post(
            f"{V1}/encounters",
            json={"patient_id": world.patient_a, "date_of_service": "2026-04-02"},
            headers=world.headers("coder"),
        )
        assert created.status_code == 201, created.text
        reply = api.get(
            f"{V1}/encounters",
            params={"patient_id": world.patient_a, "date_from": "2026-04-02"},
            headers=world.headers("coder"),
        )
        assert reply.status_code == 200, reply.text
        shown = [e["id"] for e in reply.json()["items"]]
        assert created.json()["id"] in shown
        event = _last_event(api_factory, world, "encounter.list")
        assert event.resource == "encounter"
        assert event.detail == {"count": len(shown), "ids": ",".join(shown)}

    def test_user_list_is_audited_with_a_count_only(
        self, api: TestClient, world: World, api_factory: sessionmaker[Session]
    ) -> None:
        reply = api.get(f"{V1}/users", headers=world.headers("admin"))
        assert reply.status_code == 200, reply.text
        page = reply.json()
        names = [u["username"] for u in page["items"]]
        assert names == sorted(names)
        assert set(world.usernames.values()) <= set(names)
        assert page["total"] == len(names)
        event = _last_event(api_factory, world, "user.list")
        assert event.resource == "user"
        assert event.detail == {"count": len(names)}

    def test_audit_trail_list_is_audited_without_detail(
        self, api: TestClient, world: World, api_factory: sessionmaker[Session]
    ) -> None:
        reply = api.get(
            f"{V1}/audit/events",
            params={"action": "patient.list", "limit": 5},
            headers=world.headers("auditor"),
        )
        assert reply.status_code == 200, reply.text
        assert all(e["action"] == "patient.list" for e in reply.json()["items"])
        event = _last_event(api_factory, world, "audit_event.list")
        assert event.resource == "audit_event"
        assert event.detail in (None, {})


class TestOrganizationRecords:
    """A claim, remittance or denial the caller's organization does not hold is 404, and the
    attempt is in the audit trail as denied."""

    def _denied(
        self, factory: sessionmaker[Session], world: World, action: str, resource: str
    ) -> list[AuditEvent]:
        with factory() as session:
            events = list(
                session.scalars(
                    select(AuditEvent).where(
                        AuditEvent.org_id == world.org_id,
                        AuditEvent.action == action,
                        AuditEvent.resource == resource,
                        AuditEvent.outcome == "denied",
                    )
                )
            )
            session.expunge_all()
        return events

    def test_unknown_claim_and_remittance_reads(
        self, api: TestClient, world: World, api_factory: sessionmaker[Session]
    ) -> None:
        for kind, path in (("claim", "claims"), ("remittance", "remittances")):
            missing = uuid.uuid4().hex
            reply = api.get(f"{V1}/{path}/{missing}", headers=world.headers("biller"))
            assert reply.status_code == 404, reply.text
            assert reply.json()["detail"] == f"no {kind} {missing}"
            assert len(self._denied(api_factory, world, f"{kind}.read", f"{kind}/{missing}")) == 1
            malformed = api.get(f"{V1}/{path}/not-an-id", headers=world.headers("biller"))
            assert malformed.status_code == 404
            assert malformed.json()["detail"] == f"no {kind} not-an-id"

    def test_unknown_denial_resolution(
        self, api: TestClient, world: World, api_factory: sessionmaker[Session]
    ) -> None:
        missing = uuid.uuid4().hex
        reply = api.post(
            f"{V1}/denials/{missing}/resolve",
            json={"resolution": "closed"},
            headers=world.headers("biller"),
        )
        assert reply.status_code == 404, reply.text
        assert reply.json()["detail"] == f"no denial {missing}"
        denied = self._denied(api_factory, world, "denial.resolve", f"denial/{missing}")
        assert len(denied) == 1


class TestIdempotentUpload:
    def test_replayed_upload_is_marked_and_another_note_under_the_key_refused(
        self, api: TestClient, world: World
    ) -> None:
        coder = world.headers("coder")
        created = api.post(
            f"{V1}/encounters",
            json={"patient_id": world.patient_b, "date_of_service": "2026-04-03"},
            headers=coder,
        )
        assert created.status_code == 201, created.text
        url = f"{V1}/encounters/{created.json()['id']}/documents"
        headers = {**coder, "Content-Type": "text/plain", "Idempotency-Key": uuid.uuid4().hex}
        first = api.post(url, content=b"A/P: COPD.", headers=headers)
        again = api.post(url, content=b"A/P: COPD.", headers=headers)
        assert first.status_code == again.status_code == 201, again.text
        assert "Idempotent-Replayed" not in first.headers
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
        other = api.post(url, content=b"A/P: asthma.", headers=headers)
        assert other.status_code == 422, other.text
        assert other.json()["field"] == "Idempotency-Key"
