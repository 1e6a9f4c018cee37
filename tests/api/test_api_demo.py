"""`medcoder serve --demo`: a throwaway database with one user per role and the sample notes
coded, served on loopback, stopped cleanly by Ctrl-C."""

from __future__ import annotations

from pathlib import Path

import httpx
from api_server import Server, free_port, wait_healthy

SAMPLES = len(list((Path(__file__).parents[2] / "examples" / "notes").glob("*.json")))


class TestDemo:
    def test_demo_seeds_codes_and_stops(self) -> None:
        port = free_port()
        server = Server("--demo", "--port", str(port))
        try:
            summary = server.wait_for(f"{SAMPLES} sample notes", timeout=240)
            assert summary.endswith(f"{SAMPLES} coded, 0 failed"), summary
            password = server.wait_for("credential demo-coder", timeout=10).split()[-1]
            base = f"http://127.0.0.1:{port}/api/v1"
            with httpx.Client(timeout=10) as client:
                wait_healthy(client, f"{base}/health", server)
                token = client.post(
                    f"{base}/auth/token", json={"username": "demo-coder", "password": password}
                ).json()["token"]
                auth = {"Authorization": f"Bearer {token}"}
                queue_ = client.get(f"{base}/encounters?queue=to_review", headers=auth).json()
                assert queue_["total"] == SAMPLES
                first = queue_["items"][0]["id"]
                codes = client.get(f"{base}/encounters/{first}/codes", headers=auth).json()
                assert codes and all(c["status"] == "suggested" for c in codes)
            assert server.interrupt() == 0
            assert server.wait_for("stopped", timeout=10) == "stopped"
        finally:
            server.kill()
