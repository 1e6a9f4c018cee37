"""Submission adapters: outbox folder, in-memory, and SFTP against a real local server."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import paramiko  # type: ignore[import-untyped]
import pytest
from claims_sftp_server import SftpTestServer

from medcoder.claims.errors import SubmissionError
from medcoder.claims.samples import generate_claims, sample_batch
from medcoder.claims.submit import InMemoryClearinghouse, OutboxClearinghouse, SftpClearinghouse
from medcoder.claims.x12.validate import validate_x12
from medcoder.claims.x12.write837 import write_837


@pytest.fixture(scope="module")
def file_837() -> str:
    return write_837(generate_claims(3, seed=11), sample_batch(321))


class TestOutbox:
    def test_submit_once_then_refuse(self, tmp_path: Path, file_837: str) -> None:
        house = OutboxClearinghouse(tmp_path)
        sub = house.submit("000000321.837", file_837)
        written = (tmp_path / "outbox" / "000000321.837").read_text()
        assert written == file_837 and validate_x12(written).ok
        assert sub.sha256 == hashlib.sha256(file_837.encode()).hexdigest()
        with pytest.raises(SubmissionError, match="000000321.837 was already submitted"):
            house.submit("000000321.837", "something else")
        assert (tmp_path / "outbox" / "000000321.837").read_text() == file_837
        assert [p.name for p in (tmp_path / "outbox").iterdir()] == ["000000321.837"]

    def test_receive_moves_responses_aside(self, tmp_path: Path) -> None:
        house = OutboxClearinghouse(tmp_path)
        (tmp_path / "inbox").mkdir()
        (tmp_path / "inbox" / "a.999").write_text("ISA*...~")
        got = house.receive()
        assert [(f.name, f.text) for f in got] == [("a.999", "ISA*...~")]
        assert house.receive() == []
        assert (tmp_path / "inbox" / "done" / "a.999").exists()

    def test_bad_name(self, tmp_path: Path) -> None:
        with pytest.raises(SubmissionError, match="must be 1-121 letters"):
            OutboxClearinghouse(tmp_path).submit("../escape.837", "x")


def test_in_memory_calls_the_handler() -> None:
    seen: list[str] = []
    house = InMemoryClearinghouse(lambda name, text: seen.append(name))
    house.submit("f1.837", "ISA")
    with pytest.raises(SubmissionError):
        house.submit("f1.837", "ISA")
    assert seen == ["f1.837"]


@pytest.fixture(scope="module")
def host_key() -> paramiko.PKey:
    return paramiko.RSAKey.generate(2048)


@pytest.fixture
def sftp_server(tmp_path: Path, host_key: paramiko.PKey) -> Iterator[SftpTestServer]:
    root = tmp_path / "remote"
    root.mkdir()
    with SftpTestServer(root, host_key) as server:
        yield server


class TestSftp:
    def house(self, server: SftpTestServer, **over: object) -> SftpClearinghouse:
        args: dict[str, object] = {"host_key": server.host_key, "password": server.password}
        args.update(over)
        return SftpClearinghouse("127.0.0.1", server.port, server.username, **args)  # type: ignore[arg-type]

    def test_round_trip(self, sftp_server: SftpTestServer, file_837: str) -> None:
        house = self.house(sftp_server)
        sub = house.submit("000000321.837", file_837)
        assert sub.location.endswith("/outbox/000000321.837")
        on_server = sftp_server.root / "outbox" / "000000321.837"
        assert on_server.read_text() == file_837
        assert validate_x12(on_server.read_text()).ok
        with pytest.raises(SubmissionError, match="already submitted"):
            house.submit("000000321.837", file_837)
        # The clearinghouse answers: its 999 lands in our inbox and comes back once.
        (sftp_server.root / "inbox").mkdir()
        (sftp_server.root / "inbox" / "000000321.999").write_text("ISA*00*ack~")
        got = house.receive()
        assert [(f.name, f.text) for f in got] == [("000000321.999", "ISA*00*ack~")]
        assert house.receive() == []
        assert (sftp_server.root / "inbox" / "done" / "000000321.999").exists()

    def test_wrong_host_key_is_refused(self, sftp_server: SftpTestServer,
                                       file_837: str) -> None:
        other = paramiko.RSAKey.generate(1024)
        with pytest.raises(SubmissionError, match="SFTP to 127.0.0.1"):
            self.house(sftp_server, host_key=other).submit("x.837", file_837)
        assert not (sftp_server.root / "outbox").exists()

    def test_wrong_password_is_refused(self, sftp_server: SftpTestServer,
                                       file_837: str) -> None:
        with pytest.raises(SubmissionError, match="failed"):
            self.house(sftp_server, password="nope").submit("x.837", file_837)


class TestCli:
    def test_submit_to_outbox_once(self, tmp_path: Path, file_837: str) -> None:
        from typer.testing import CliRunner

        from medcoder.cli import app

        f = tmp_path / "000000321.837"
        f.write_text(file_837)
        runner = CliRunner()
        args = ["claim", "submit", str(f), "--outbox", str(tmp_path / "ch")]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert (tmp_path / "ch" / "outbox" / "000000321.837").read_text() == file_837
        again = runner.invoke(app, args)
        assert again.exit_code == 2 and "already submitted" in again.output

    def test_invalid_file_is_not_submitted(self, tmp_path: Path, file_837: str) -> None:
        from typer.testing import CliRunner

        from medcoder.cli import app

        f = tmp_path / "bad.837"
        f.write_text(file_837.replace("SBR*", "SBX*"))
        result = CliRunner().invoke(app, ["claim", "submit", str(f), "--outbox",
                                          str(tmp_path / "ch")])
        assert result.exit_code == 2 and "does not validate" in result.output
        assert not (tmp_path / "ch" / "outbox").exists()

    def test_submit_and_inbox_over_sftp(self, sftp_server: SftpTestServer, tmp_path: Path,
                                        file_837: str,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
        from typer.testing import CliRunner

        from medcoder.cli import app

        key = sftp_server.host_key
        (tmp_path / "server.pub").write_text(f"{key.get_name()} {key.get_base64()} test\n")
        monkeypatch.setenv("MEDCODER_SFTP_PASSWORD", sftp_server.password)
        f = tmp_path / "000000321.837"
        f.write_text(file_837)
        common = ["--sftp", f"127.0.0.1:{sftp_server.port}", "--user", sftp_server.username,
                  "--host-key", str(tmp_path / "server.pub")]
        runner = CliRunner()
        result = runner.invoke(app, ["claim", "submit", str(f), *common, "--json"])
        assert result.exit_code == 0, result.output
        assert (sftp_server.root / "outbox" / "000000321.837").read_text() == file_837
        (sftp_server.root / "inbox").mkdir()
        (sftp_server.root / "inbox" / "r.999").write_text("ISA*ack~")
        result = runner.invoke(app, ["claim", "inbox", "-d", str(tmp_path / "in"), *common])
        assert result.exit_code == 0, result.output
        assert (tmp_path / "in" / "r.999").read_text() == "ISA*ack~"
