"""HTTP API load: requests/s and latency for upload+code and for reads, SQLite and PostgreSQL.

Run: `.venv/bin/python benchmarks/api_load.py [--backend sqlite|postgresql|both]
[--uploads 40] [--reads 400] [--concurrency 4]`.

For each database it makes a fresh one (a temporary SQLite file; a new database on
``$MEDCODER_TEST_PG_URL``, default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``,
dropped afterwards), migrates it, adds an organization and a coder, and starts
``medcoder serve --inline-coding`` as a **separate process** on loopback (one uvicorn process,
one in-process coding worker). This process then drives it with ``--concurrency`` threads, each
with its own keep-alive ``httpx`` client and bearer token:

- upload+code: ``POST /encounters/{id}/documents?wait=true`` with the sample notes (each made
  unique), answered once the note is coded — end-to-end latency of intake + queue + coding;
- reads: a mix of ``GET /encounters?queue=to_review``, ``GET /encounters/{id}/codes`` and
  ``GET /patients/{id}`` (each one audited, as every PHI read is).

Printed per database and scenario: requests, errors, requests/s (wall), p50 and p95 latency.
The knowledge base comes from ``MEDCODER_CACHE_DIR`` (built first if missing).
"""

from __future__ import annotations

import argparse
import base64
import itertools
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from medcoder.api.security import hash_password
from medcoder.codesets import KnowledgeBase
from medcoder.store.db import make_engine, make_session_factory, upgrade
from medcoder.store.models import Organization, User

PG_ADMIN_URL = os.environ.get(
    "MEDCODER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
NOTES = Path(__file__).resolve().parents[1] / "examples" / "notes"
PASSWORD = "load-test-password"


@dataclass(frozen=True)
class Timing:
    scenario: str
    requests: int
    errors: int
    seconds: float
    latencies: Sequence[float]

    def row(self, backend: str) -> str:
        ordered = sorted(self.latencies) or [0.0]
        p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
        return (
            f"{backend:<11} {self.scenario:<12} {self.requests:>6} {self.errors:>6} "
            f"{self.requests / self.seconds:>9.1f} {statistics.median(ordered) * 1000:>8.1f} "
            f"{p95 * 1000:>8.1f}"
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _database(backend: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="medcoder-load-") as folder:
            yield f"sqlite:///{Path(folder) / 'load.db'}"
        return
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    name = f"medcoder_load_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _seed(url: str) -> str:
    upgrade(url)
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            org = Organization(name="Load test practice")
            session.add(org)
            session.flush()
            username = f"load-coder-{org.id[:8]}"
            session.add(
                User(
                    org_id=org.id,
                    username=username,
                    password_hash=hash_password(PASSWORD),
                    role="coder",
                )
            )
            session.commit()
            return username
    finally:
        engine.dispose()


@contextmanager
def _server(url: str) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from medcoder.cli import main; main()",
            "serve",
            "--port",
            str(port),
            "--database-url",
            url,
            "--inline-coding",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise SystemExit(f"the server exited with {process.returncode}")
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the server did not come up in 120 s")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(30)


def _run(
    scenario: str,
    requests: Sequence[Callable[[httpx.Client], bool]],
    clients: Sequence[httpx.Client],
) -> Timing:
    """Send ``requests`` from one thread per client; each callable says if it succeeded."""
    latencies: list[float] = []
    errors = 0
    queues = [requests[i :: len(clients)] for i in range(len(clients))]

    def worker(index: int) -> tuple[list[float], int]:
        own: list[float] = []
        failed = 0
        for send in queues[index]:
            started = time.perf_counter()
            ok = send(clients[index])
            own.append(time.perf_counter() - started)
            failed += not ok
        return own, failed

    started = time.perf_counter()
    with ThreadPoolExecutor(len(clients)) as pool:
        for own, failed in pool.map(worker, range(len(clients))):
            latencies.extend(own)
            errors += failed
    return Timing(scenario, len(requests), errors, time.perf_counter() - started, latencies)


def bench(backend: str, uploads: int, reads: int, concurrency: int) -> list[Timing]:
    notes = [p.read_text(encoding="utf-8") for p in sorted(NOTES.glob("*.txt"))]
    with _database(backend) as url, _server(url) as base:
        username = _seed(url)
        token = httpx.post(
            f"{base}/auth/token", json={"username": username, "password": PASSWORD}
        ).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        clients = [httpx.Client(headers=headers, timeout=120) for _ in range(concurrency)]
        try:
            patient = (
                clients[0]
                .post(
                    f"{base}/patients",
                    json={
                        "first_name": "Load",
                        "last_name": "Test",
                        "birth_date": "1961-04-02",
                        "sex": "F",
                    },
                )
                .json()["id"]
            )
            encounters = [
                clients[0]
                .post(
                    f"{base}/encounters",
                    json={"patient_id": patient, "date_of_service": "2026-05-12"},
                )
                .json()["id"]
                for _ in range(max(1, uploads))
            ]

            def upload(i: int) -> Callable[[httpx.Client], bool]:
                text = notes[i % len(notes)] + f"\nVisit reference {i}.\n"

                def send(client: httpx.Client) -> bool:
                    reply = client.post(
                        f"{base}/encounters/{encounters[i]}/documents?wait=true",
                        content=text.encode(),
                        headers={"Content-Type": "text/plain"},
                    )
                    return reply.status_code == 201 and reply.json()["status"] == "coded"

                return send

            # one warm-up upload (the server opens the knowledge base on the first one)
            upload(0)(clients[0])
            timings = [_run("upload+code", [upload(i) for i in range(1, uploads)], clients)]

            paths = itertools.cycle(
                [f"{base}/encounters?queue=to_review&limit=20"]
                + [f"{base}/encounters/{e}/codes" for e in encounters[:10]]
                + [f"{base}/patients/{patient}"]
            )

            def read(path: str) -> Callable[[httpx.Client], bool]:
                return lambda client: client.get(path).status_code == 200

            timings.append(_run("reads", [read(next(paths)) for _ in range(reads)], clients))
            return timings
        finally:
            for client in clients:
                client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--uploads", type=int, default=40)
    parser.add_argument("--reads", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    if not os.environ.get("MEDCODER_ENCRYPTION_KEY") and not os.environ.get("MEDCODER_KEY_FILE"):
        os.environ["MEDCODER_ENCRYPTION_KEY"] = base64.b64encode(os.urandom(32)).decode()
    with KnowledgeBase.open():  # build the cache outside the timings if needed
        pass
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    print(
        f"medcoder serve (1 process, inline coding worker) on loopback; "
        f"{args.concurrency} client threads"
    )
    print(
        f"{'database':<11} {'scenario':<12} {'reqs':>6} {'errors':>6} {'req/s':>9} "
        f"{'p50 ms':>8} {'p95 ms':>8}"
    )
    for backend in backends:
        for timing in bench(backend, args.uploads, args.reads, args.concurrency):
            print(timing.row(backend), flush=True)


if __name__ == "__main__":
    main()
