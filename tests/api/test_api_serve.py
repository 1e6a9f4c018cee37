"""`medcoder serve` as a real process on loopback: HTTPS with a self-signed certificate,
Secure cookies and a clean stop on Ctrl-C."""

from __future__ import annotations

import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_server import Server, free_port, self_signed, wait_healthy
from api_world import PASSWORD

from medcoder.api.security import hash_password
from medcoder.store.db import make_engine, make_session_factory, upgrade
from medcoder.store.models import Organization, User


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, ssl.SSLContext, Server]]:
    url = f"sqlite:///{tmp_path / 'tls.db'}"
    upgrade(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        org = Organization(name="TLS practice")
        session.add(org)
        session.flush()
        session.add(
            User(
                org_id=org.id,
                username="tls-coder",
                password_hash=hash_password(PASSWORD),
                role="coder",
            )
        )
        session.commit()
    engine.dispose()
    cert, key = self_signed(tmp_path)
    port = free_port()
    server = Server(
        "--port", str(port), "--database-url", url, "--certfile", str(cert), "--keyfile", str(key)
    )
    context = ssl.create_default_context(cafile=str(cert))
    try:
        yield f"https://127.0.0.1:{port}", context, server
    finally:
        server.kill()


class TestServe:
    def test_https_with_secure_cookie_and_clean_stop(
        self, tls_server: tuple[str, ssl.SSLContext, Server]
    ) -> None:
        base, context, server = tls_server
        with httpx.Client(verify=context, timeout=10) as client:
            wait_healthy(client, f"{base}/api/v1/health", server)
            reply = client.post(
                f"{base}/api/v1/auth/login",
                json={"username": "tls-coder", "password": PASSWORD},
            )
            assert reply.status_code == 200, reply.text
            cookie = reply.headers["set-cookie"].lower()
            assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie
            assert reply.headers["strict-transport-security"].startswith("max-age=")
            assert client.get(f"{base}/api/v1/auth/me").json()["username"] == "tls-coder"
        # plain HTTP is not spoken on the TLS port
        with pytest.raises(httpx.HTTPError), httpx.Client(timeout=5) as plain:
            plain.get(base.replace("https", "http") + "/api/v1/health")
        assert server.interrupt() == 0
        assert server.wait_for("stopped", timeout=10) == "stopped"

    def test_cert_without_key_is_refused(self, tmp_path: Path) -> None:
        cert, _ = self_signed(tmp_path)
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                "from medcoder.cli import main; main()",
                "serve",
                "--certfile",
                str(cert),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2
        assert "--keyfile" in done.stderr
