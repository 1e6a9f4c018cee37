"""The practice file as a setting: ``Settings.practice_file`` (``$MEDCODER_PRACTICE_FILE``,
``medcoder serve --practice``) is read once when the app is created; a bad file stops the
start with a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_world import TestClient, World
from typer.testing import CliRunner

from medcoder.api import Settings, create_app
from medcoder.cli import app as cli_app
from medcoder.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
PRACTICE = ROOT / "examples" / "practice" / "practice.yaml"
V1 = "/api/v1"


class TestSetting:
    def test_from_the_environment(self) -> None:
        settings = Settings.from_env({"MEDCODER_PRACTICE_FILE": str(PRACTICE)})
        assert settings.practice_file == PRACTICE
        assert Settings.from_env({"MEDCODER_PRACTICE_FILE": " "}).practice_file is None
        assert Settings.from_env({}).practice_file is None

    def test_a_missing_file_stops_the_app(self, db_url: str, tmp_path: Path) -> None:
        missing = tmp_path / "nope.yaml"
        with pytest.raises(InputError, match="cannot read practice file .*nope.yaml"):
            create_app(
                Settings(database_url=db_url, upgrade_database=False, practice_file=missing)
            )

    def test_loaded_once_and_used_by_the_claim_routes(
        self, db_url: str, world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        # The environment no longer names a file: the app uses the one it loaded at start.
        monkeypatch.delenv("MEDCODER_PRACTICE_FILE", raising=False)
        settings = Settings(database_url=db_url, upgrade_database=False, practice_file=PRACTICE)
        with TestClient(create_app(settings)) as client:
            reply = client.post(
                f"{V1}/claims/x12",
                params={"payer": "NO-SUCH-PAYER"},
                headers=world.headers("biller"),
            )
        assert reply.status_code == 404, reply.text
        assert "no built, unsubmitted claims for payer NO-SUCH-PAYER" in reply.json()["detail"]

    def test_without_one_the_claim_routes_are_503(
        self, db_url: str, world: World, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("MEDCODER_PRACTICE_FILE", raising=False)
        settings = Settings(database_url=db_url, upgrade_database=False)
        with TestClient(create_app(settings)) as client:
            reply = client.post(
                f"{V1}/claims/x12", params={"payer": "X"}, headers=world.headers("biller")
            )
        assert reply.status_code == 503
        assert "MEDCODER_PRACTICE_FILE" in reply.json()["detail"]


class TestServeOption:
    @pytest.mark.parametrize(
        ("content", "message"),
        [(None, "cannot read practice file"), ("a: [unclosed", "is not valid YAML")],
    )
    def test_bad_practice_file_is_exit_2_before_serving(
        self, tmp_path: Path, content: str | None, message: str
    ) -> None:
        path = tmp_path / "practice.yaml"
        if content is not None:
            path.write_text(content)
        result = CliRunner().invoke(
            cli_app,
            ["serve", "--practice", str(path), "--database-url", f"sqlite:///{tmp_path}/x.db"],
        )
        assert result.exit_code == 2, result.output
        folded = " ".join(result.output.split())
        assert "bad practice file" in folded and message in folded
