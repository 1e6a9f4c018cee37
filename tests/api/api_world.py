"""Helpers of the API tests: organizations with one user per role, logging in."""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import StarletteDeprecationWarning

from medcoder.api.security import hash_password
from medcoder.store.models import Organization, Patient, User

# Starlette 1.x prefers the httpx2 fork for its test client and warns (once, on import) when it
# finds httpx; the pinned httpx works. Narrowly ignored here, and only here.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

__all__ = ["PASSWORD", "TestClient", "World", "make_world", "patient_cookie"]

PASSWORD = "correct horse battery staple"
STAFF_ROLES = ("admin", "coder", "biller", "auditor", "provider")
# argon2 at default cost takes ~50 ms a hash: hash once, reuse for every test user.
_HASH = hash_password(PASSWORD)


@dataclass
class World:
    """An organization with one user per role, two patients and a patient user for each."""

    org_id: str
    usernames: dict[str, str]  # role (or "patient_a"/"patient_b") -> username
    patient_a: str
    patient_b: str
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


def make_world(factory: sessionmaker[Session], client: TestClient, tag: str) -> World:
    """Create the organization and its users directly in the store, then log each in."""
    with factory() as session:
        org = Organization(name=f"Practice {tag}")
        session.add(org)
        session.flush()
        patients = [
            Patient(
                org_id=org.id,
                first_name=first,
                last_name=f"Test{tag}",
                birth_date=dt.date(1965, 3, 14),
                sex=sex,
            )
            for first, sex in (("Ada", "F"), ("Bert", "M"))
        ]
        session.add_all(patients)
        session.flush()
        usernames: dict[str, str] = {}
        for role in STAFF_ROLES:
            usernames[role] = f"{role}-{tag}-{org.id[:8]}"
            session.add(
                User(org_id=org.id, username=usernames[role], password_hash=_HASH, role=role)
            )
        for name, patient in (("patient_a", patients[0]), ("patient_b", patients[1])):
            usernames[name] = f"{name}-{tag}-{org.id[:8]}"
            session.add(
                User(
                    org_id=org.id,
                    username=usernames[name],
                    password_hash=_HASH,
                    role="patient",
                    patient_id=patient.id,
                )
            )
        session.commit()
        world = World(
            org_id=org.id, usernames=usernames, patient_a=patients[0].id, patient_b=patients[1].id
        )
    for who, username in usernames.items():
        if who in STAFF_ROLES:
            reply = client.post(
                "/api/v1/auth/token", json={"username": username, "password": PASSWORD}
            )
            assert reply.status_code == 201, reply.text
            world.tokens[who] = reply.json()["token"]
    return world


def patient_cookie(client: TestClient, world: World, who: str) -> dict[str, str]:
    """Log a patient user in; the session cookie as a header (the client keeps no cookies)."""
    reply = client.post(
        "/api/v1/auth/login", json={"username": world.usernames[who], "password": PASSWORD}
    )
    assert reply.status_code == 200, reply.text
    cookie = reply.cookies["medcoder_session"]
    client.cookies.clear()
    return {"Cookie": f"medcoder_session={cookie}"}
