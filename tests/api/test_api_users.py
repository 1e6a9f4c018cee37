"""User administration over HTTP: admins create, list, deactivate and reset users of their own
organization; deactivation ends sessions and tokens at once."""

from __future__ import annotations

import uuid

from api_world import TestClient, World

V1 = "/api/v1"
NEW_PASSWORD = "a long enough password"


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class TestUsers:
    def test_admin_creates_a_coder_who_can_work(self, api: TestClient, world: World) -> None:
        username = _name("newcoder")
        created = api.post(
            f"{V1}/users",
            json={"username": username, "password": NEW_PASSWORD, "role": "coder"},
            headers=world.headers("admin"),
        )
        assert created.status_code == 201, created.text
        assert created.json()["org_id"] == world.org_id and created.json()["active"] is True
        token = api.post(
            f"{V1}/auth/token", json={"username": username, "password": NEW_PASSWORD}
        ).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        assert api.get(f"{V1}/encounters", headers=auth).status_code == 200
        listed = api.get(f"{V1}/users", params={"limit": 200}, headers=world.headers("admin"))
        assert username in [u["username"] for u in listed.json()["items"]]

        # deactivation revokes the token at once; a password reset after reactivation is needed
        uid = created.json()["id"]
        off = api.patch(f"{V1}/users/{uid}", json={"active": False}, headers=world.headers("admin"))
        assert off.status_code == 200 and off.json()["active"] is False
        assert api.get(f"{V1}/encounters", headers=auth).status_code == 401
        login = api.post(f"{V1}/auth/login", json={"username": username, "password": NEW_PASSWORD})
        assert login.status_code == 401

    def test_only_admins_and_only_their_organization(
        self, api: TestClient, world: World, other_world: World
    ) -> None:
        body = {"username": _name("x"), "password": NEW_PASSWORD, "role": "coder"}
        assert api.post(f"{V1}/users", json=body, headers=world.headers("coder")).status_code == 403
        assert api.get(f"{V1}/users", headers=world.headers("auditor")).status_code == 403
        created = api.post(f"{V1}/users", json=body, headers=world.headers("admin")).json()
        other_admin = other_world.headers("admin")
        reply = api.patch(
            f"{V1}/users/{created['id']}", json={"active": False}, headers=other_admin
        )
        assert reply.status_code == 404
        listed = api.get(f"{V1}/users", params={"limit": 200}, headers=other_admin).json()
        assert created["id"] not in [u["id"] for u in listed["items"]]

    def test_bad_requests(self, api: TestClient, world: World, other_world: World) -> None:
        admin = world.headers("admin")
        taken = api.post(
            f"{V1}/users",
            json={"username": world.usernames["coder"], "password": NEW_PASSWORD, "role": "coder"},
            headers=admin,
        )
        assert taken.status_code == 409
        no_patient = api.post(
            f"{V1}/users",
            json={"username": _name("p"), "password": NEW_PASSWORD, "role": "patient"},
            headers=admin,
        )
        assert no_patient.status_code == 422 and no_patient.json()["field"] == "patient_id"
        foreign = api.post(
            f"{V1}/users",
            json={
                "username": _name("p"),
                "password": NEW_PASSWORD,
                "role": "patient",
                "patient_id": other_world.patient_a,
            },
            headers=admin,
        )
        assert foreign.status_code == 422
        short = api.post(
            f"{V1}/users",
            json={"username": _name("s"), "password": "short", "role": "coder"},
            headers=admin,
        )
        assert short.status_code == 422 and short.json()["field"] == "password"
        me = api.get(f"{V1}/auth/me", headers=admin).json()
        selfie = api.patch(f"{V1}/users/{me['id']}", json={"active": False}, headers=admin)
        assert selfie.status_code == 409
