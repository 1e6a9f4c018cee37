"""Who may call what, on SQLite and PostgreSQL: 401 without credentials, 403 for a role a
route does not allow, 404 for another organization's records and for another patient's."""

from __future__ import annotations

import datetime as dt

import pytest
from api_world import PASSWORD, TestClient, World, patient_cookie
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from medcoder.api import Settings, create_app
from medcoder.store.models import AuditEvent, WebSession

V1 = "/api/v1"


def _encounter_for(api: TestClient, world: World, patient_id: str) -> str:
    reply = api.post(
        f"{V1}/encounters",
        json={"patient_id": patient_id, "date_of_service": "2026-05-12"},
        headers=world.headers("coder"),
    )
    assert reply.status_code == 201, reply.text
    return str(reply.json()["id"])


class TestAuthentication:
    @pytest.mark.parametrize(
        "method,path",
        [
            ("GET", "/patients"),
            ("POST", "/patients"),
            ("GET", "/encounters"),
            ("GET", "/encounters/x/codes"),
            ("GET", "/documents/x"),
            ("GET", "/audit/events"),
            ("GET", "/auth/me"),
        ],
    )
    def test_no_credentials_is_401(self, api: TestClient, method: str, path: str) -> None:
        reply = api.request(method, f"{V1}{path}")
        assert reply.status_code == 401
        assert reply.headers["content-type"].startswith("application/problem+json")
        assert reply.headers["www-authenticate"].startswith("Bearer")

    def test_bad_token_and_bad_scheme_are_401(self, api: TestClient) -> None:
        assert (
            api.get(f"{V1}/patients", headers={"Authorization": "Bearer nope"}).status_code == 401
        )
        basic = api.get(f"{V1}/patients", headers={"Authorization": "Basic YTpi"})
        assert basic.status_code == 401

    def test_wrong_password_is_401_and_audited(
        self, api: TestClient, world: World, api_factory: sessionmaker[Session]
    ) -> None:
        reply = api.post(
            f"{V1}/auth/login", json={"username": world.usernames["biller"], "password": "x"}
        )
        assert reply.status_code == 401
        assert reply.json()["detail"] == "wrong username or password"
        unknown = api.post(f"{V1}/auth/login", json={"username": "nobody", "password": "x"})
        assert unknown.json()["detail"] == reply.json()["detail"]
        with api_factory() as session:
            denied = session.scalars(
                select(AuditEvent).where(
                    AuditEvent.org_id == world.org_id,
                    AuditEvent.action == "login",
                    AuditEvent.outcome == "denied",
                )
            ).all()
        assert denied

    def test_session_cookie_flags_and_logout(self, api: TestClient, world: World) -> None:
        reply = api.post(
            f"{V1}/auth/login",
            json={"username": world.usernames["coder"], "password": PASSWORD},
        )
        assert reply.status_code == 200
        set_cookie = reply.headers["set-cookie"].lower()
        assert "httponly" in set_cookie and "samesite=lax" in set_cookie
        assert "secure" not in set_cookie  # plain HTTP here; TLS test checks Secure
        cookie = {"Cookie": f"medcoder_session={reply.cookies['medcoder_session']}"}
        api.cookies.clear()
        assert api.get(f"{V1}/auth/me", headers=cookie).json()["role"] == "coder"
        assert api.post(f"{V1}/auth/logout", headers=cookie).status_code == 204
        assert api.get(f"{V1}/auth/me", headers=cookie).status_code == 401

    def test_idle_session_expires(
        self, api: TestClient, world: World, api_factory: sessionmaker[Session]
    ) -> None:
        cookie = patient_cookie(api, world, "patient_a")
        assert api.get(f"{V1}/auth/me", headers=cookie).status_code == 200
        # the session was last seen 31 minutes ago (idle limit 30)
        long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=31)
        with api_factory() as session:
            session.execute(
                update(WebSession)
                .where(WebSession.user_id == _user_id(api, cookie, world))
                .values(last_seen_at=long_ago)
            )
            session.commit()
        expired = api.get(f"{V1}/auth/me", headers=cookie)
        assert expired.status_code == 401
        assert "expired" in expired.json()["detail"]

    def test_absolute_expiry(
        self, api: TestClient, world: World, api_factory: sessionmaker[Session]
    ) -> None:
        cookie = patient_cookie(api, world, "patient_b")
        user_id = _user_id(api, cookie, world)
        with api_factory() as session:
            session.execute(
                update(WebSession)
                .where(WebSession.user_id == user_id)
                .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
            )
            session.commit()
        assert api.get(f"{V1}/auth/me", headers=cookie).status_code == 401

    def test_login_throttled_per_username_and_address(self, api: TestClient, world: World) -> None:
        username = world.usernames["provider"]
        codes = [
            api.post(f"{V1}/auth/login", json={"username": username, "password": "bad"}).status_code
            for _ in range(5)
        ]
        assert codes == [401] * 5
        blocked = api.post(f"{V1}/auth/login", json={"username": username, "password": PASSWORD})
        assert blocked.status_code == 429
        assert int(blocked.headers["retry-after"]) > 0
        # the throttle is per username: the other users still log in
        other = api.post(
            f"{V1}/auth/login", json={"username": world.usernames["auditor"], "password": PASSWORD}
        )
        assert other.status_code == 200
        api.cookies.clear()

    def test_tokens_are_listed_without_secret_and_revoked(
        self, api: TestClient, world: World
    ) -> None:
        made = api.post(
            f"{V1}/auth/token",
            json={"username": world.usernames["biller"], "password": PASSWORD, "name": "ci"},
        ).json()
        auth = {"Authorization": f"Bearer {made['token']}"}
        listed = api.get(f"{V1}/auth/tokens", headers=auth).json()
        assert "ci" in [t["name"] for t in listed]
        assert made["token"] not in str(listed)
        token_id = next(t["id"] for t in listed if t["name"] == "ci")
        # another user (not admin) cannot revoke it; its owner can
        stranger = api.delete(f"{V1}/auth/tokens/{token_id}", headers=world.headers("coder"))
        assert stranger.status_code == 404
        assert api.delete(f"{V1}/auth/tokens/{token_id}", headers=auth).status_code == 204
        assert api.get(f"{V1}/auth/me", headers=auth).status_code == 401

    def test_account_locks_after_ten_failures_from_anywhere(
        self, api: TestClient, db_url: str, world: World
    ) -> None:
        username = f"lockme-{world.org_id[:8]}"
        created = api.post(
            f"{V1}/users",
            json={"username": username, "password": PASSWORD, "role": "biller"},
            headers=world.headers("admin"),
        )
        assert created.status_code == 201, created.text
        # An app whose per-address throttle is loose, so the per-account lockout shows.
        settings = Settings(database_url=db_url, upgrade_database=False, login_max_failures=1000)
        with TestClient(create_app(settings)) as client:
            for _ in range(10):
                bad = client.post(f"{V1}/auth/login", json={"username": username, "password": "x"})
                assert bad.status_code == 401
            locked = client.post(
                f"{V1}/auth/login", json={"username": username, "password": PASSWORD}
            )
            assert locked.status_code == 401  # the right password does not open a locked account
        # an admin's password reset unlocks it
        reset = api.patch(
            f"{V1}/users/{created.json()['id']}",
            json={"password": PASSWORD},
            headers=world.headers("admin"),
        )
        assert reset.status_code == 200
        again = api.post(f"{V1}/auth/login", json={"username": username, "password": PASSWORD})
        assert again.status_code == 200
        api.cookies.clear()

    def test_patients_get_no_api_token(self, api: TestClient, world: World) -> None:
        reply = api.post(
            f"{V1}/auth/token",
            json={"username": world.usernames["patient_a"], "password": PASSWORD},
        )
        assert reply.status_code == 403


def _user_id(api: TestClient, cookie: dict[str, str], world: World) -> str:
    return str(api.get(f"{V1}/auth/me", headers=cookie).json()["id"])


class TestRoles:
    @pytest.mark.parametrize("role", ["biller", "auditor"])
    def test_roles_that_cannot_create_patients(
        self, api: TestClient, world: World, role: str
    ) -> None:
        reply = api.post(
            f"{V1}/patients",
            json={"first_name": "A", "last_name": "B", "birth_date": "1990-01-01"},
            headers=world.headers(role),
        )
        assert reply.status_code == 403
        assert "coder" in reply.json()["detail"]

    @pytest.mark.parametrize("role", ["biller", "auditor", "provider"])
    def test_only_coders_and_admins_review_codes(
        self, api: TestClient, world: World, role: str
    ) -> None:
        eid = _encounter_for(api, world, world.patient_a)
        reply = api.post(
            f"{V1}/encounters/{eid}/codes/x/review",
            json={"action": "accept", "reason": "ok"},
            headers=world.headers(role),
        )
        assert reply.status_code == 403

    @pytest.mark.parametrize("role", ["admin", "coder", "biller", "provider"])
    def test_only_auditors_read_the_audit_trail(
        self, api: TestClient, world: World, role: str
    ) -> None:
        assert api.get(f"{V1}/audit/events", headers=world.headers(role)).status_code == 403
        assert api.get(f"{V1}/audit/events", headers=world.headers("auditor")).status_code == 200

    def test_patient_cannot_upload_or_create(self, api: TestClient, world: World) -> None:
        cookie = patient_cookie(api, world, "patient_a")
        eid = _encounter_for(api, world, world.patient_a)
        upload = api.post(
            f"{V1}/encounters/{eid}/documents",
            content=b"A/P: HTN.",
            headers={**cookie, "Content-Type": "text/plain"},
        )
        assert upload.status_code == 403
        assert api.post(f"{V1}/patients", json={}, headers=cookie).status_code == 403


class TestOrganizationScope:
    def test_other_organization_records_are_404(
        self, api: TestClient, world: World, other_world: World
    ) -> None:
        eid = _encounter_for(api, world, world.patient_a)
        upload = api.post(
            f"{V1}/encounters/{eid}/documents",
            content=b"A/P: Essential hypertension.",
            headers={**world.headers("coder"), "Content-Type": "text/plain"},
        )
        doc_id = upload.json()["id"]
        intruder = other_world.headers("coder")
        for path in (
            f"/patients/{world.patient_a}",
            f"/encounters/{eid}",
            f"/encounters/{eid}/codes",
            f"/encounters/{eid}/documents",
            f"/encounters/{eid}/final",
            f"/documents/{doc_id}",
        ):
            reply = api.get(f"{V1}{path}", headers=intruder)
            assert reply.status_code == 404, path
        # nor can B write into A's records
        assert (
            api.post(
                f"{V1}/encounters",
                json={"patient_id": world.patient_a, "date_of_service": "2026-05-12"},
                headers=intruder,
            ).status_code
            == 404
        )
        assert (
            api.post(
                f"{V1}/encounters/{eid}/documents",
                content=b"A/P: Asthma.",
                headers={**intruder, "Content-Type": "text/plain"},
            ).status_code
            == 404
        )
        # lists of B never show A's records
        listed = api.get(f"{V1}/patients", params={"limit": 200}, headers=intruder).json()
        assert world.patient_a not in [p["id"] for p in listed["items"]]
        # the owner still reads it
        assert api.get(f"{V1}/encounters/{eid}", headers=world.headers("biller")).status_code == 200

    def test_auditor_sees_only_own_organization_events(
        self, api: TestClient, world: World, other_world: World
    ) -> None:
        events = api.get(
            f"{V1}/audit/events", params={"limit": 200}, headers=other_world.headers("auditor")
        ).json()
        assert events["items"]
        assert {e["org_id"] for e in events["items"]} == {other_world.org_id}


class TestPatientScope:
    def test_patient_sees_only_own_records(self, api: TestClient, world: World) -> None:
        own = _encounter_for(api, world, world.patient_a)
        theirs = _encounter_for(api, world, world.patient_b)
        cookie = patient_cookie(api, world, "patient_a")
        assert api.get(f"{V1}/patients/{world.patient_a}", headers=cookie).status_code == 200
        assert api.get(f"{V1}/patients/{world.patient_b}", headers=cookie).status_code == 404
        assert api.get(f"{V1}/encounters/{own}", headers=cookie).status_code == 200
        assert api.get(f"{V1}/encounters/{theirs}", headers=cookie).status_code == 404
        assert api.get(f"{V1}/encounters/{theirs}/codes", headers=cookie).status_code == 404
        patients = api.get(f"{V1}/patients", headers=cookie).json()
        assert [p["id"] for p in patients["items"]] == [world.patient_a]
        encounters = api.get(f"{V1}/encounters", params={"limit": 200}, headers=cookie).json()
        assert own in [e["id"] for e in encounters["items"]]
        assert {e["patient_id"] for e in encounters["items"]} == {world.patient_a}
        # even asking for the other patient's encounters by filter gives nothing
        filtered = api.get(
            f"{V1}/encounters", params={"patient_id": world.patient_b}, headers=cookie
        ).json()
        assert filtered["total"] == 0

    def test_denied_read_is_audited(
        self, api: TestClient, world: World, api_factory: sessionmaker[Session]
    ) -> None:
        cookie = patient_cookie(api, world, "patient_a")
        api.get(f"{V1}/patients/{world.patient_b}", headers=cookie)
        with api_factory() as session:
            denied = session.scalars(
                select(AuditEvent).where(
                    AuditEvent.resource == f"patient/{world.patient_b}",
                    AuditEvent.outcome == "denied",
                )
            ).all()
        assert denied
