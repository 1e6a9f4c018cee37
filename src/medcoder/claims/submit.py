"""Submission: hand 837 files to a clearinghouse and collect its responses.

One small interface, :class:`Clearinghouse`, with three implementations:

* :class:`OutboxClearinghouse` (default): ``<root>/outbox/`` for files to send and
  ``<root>/inbox/`` for 999/277CA/835 files received, the folders a clearinghouse's
  transfer client watches.
* :class:`SftpClearinghouse`: the same over SFTP (paramiko), with the server's host key
  checked.
* :class:`InMemoryClearinghouse`: a handler callable, for tests.

A file name is submitted once: sending the same name again raises :class:`SubmissionError`
(a claim goes again only in a new file, as a replacement or void). Files appear atomically
(written under a temporary name, then renamed), so a watcher never picks up half a file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from medcoder.claims.errors import SubmissionError

if TYPE_CHECKING:
    import paramiko  # type: ignore[import-untyped]

__all__ = [
    "Clearinghouse",
    "InMemoryClearinghouse",
    "OutboxClearinghouse",
    "ReceivedFile",
    "SftpClearinghouse",
    "Submission",
    "host_key_from_line",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")


@dataclass(frozen=True, slots=True)
class Submission:
    """What was handed over: file name, where, its SHA-256 and when."""

    name: str
    location: str
    sha256: str
    size: int
    submitted_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ReceivedFile:
    name: str
    text: str


class Clearinghouse(Protocol):
    def submit(self, name: str, content: str) -> Submission:
        """Hand over one file.

        Raises:
            SubmissionError: the name was already submitted, or the transfer failed.
        """
        ...

    def receive(self) -> list[ReceivedFile]:
        """Responses waiting in the inbox (each returned once, then moved aside)."""
        ...


def _check_name(name: str) -> None:
    if not _NAME.match(name):
        raise SubmissionError(f"file name {name!r} must be 1-121 letters, digits, '.', '_' "
                              "or '-' (no folders)")


def _submission(name: str, location: str, content: bytes) -> Submission:
    return Submission(name, location, hashlib.sha256(content).hexdigest(), len(content),
                      dt.datetime.now(dt.UTC))


class OutboxClearinghouse:
    """Files in ``root/outbox``; responses read from ``root/inbox`` (moved to ``inbox/done``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.outbox = root / "outbox"
        self.inbox = root / "inbox"

    def submit(self, name: str, content: str) -> Submission:
        _check_name(name)
        self.outbox.mkdir(parents=True, exist_ok=True)
        target = self.outbox / name
        data = content.encode("ascii")
        tmp = self.outbox / f".{name}.part"
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, target)  # fails when the name exists: never overwrite a submission
        except FileExistsError:
            raise SubmissionError(f"{name} was already submitted to {self.outbox}") from None
        finally:
            tmp.unlink(missing_ok=True)
        return _submission(name, str(target), data)

    def receive(self) -> list[ReceivedFile]:
        if not self.inbox.is_dir():
            return []
        done = self.inbox / "done"
        done.mkdir(exist_ok=True)
        out = []
        for path in sorted(p for p in self.inbox.iterdir() if p.is_file()
                           and not p.name.startswith(".")):
            out.append(ReceivedFile(path.name, path.read_text(encoding="ascii",
                                                               errors="replace")))
            path.replace(done / path.name)
        return out


class InMemoryClearinghouse:
    """Calls ``handler(name, content)`` for each submission; ``responses`` are received."""

    def __init__(self, handler: Callable[[str, str], None] | None = None) -> None:
        self.handler = handler
        self.submitted: dict[str, str] = {}
        self.responses: list[ReceivedFile] = []

    def submit(self, name: str, content: str) -> Submission:
        _check_name(name)
        if name in self.submitted:
            raise SubmissionError(f"{name} was already submitted")
        if self.handler is not None:
            self.handler(name, content)
        self.submitted[name] = content
        return _submission(name, f"memory:{name}", content.encode("ascii"))

    def receive(self) -> list[ReceivedFile]:
        out, self.responses = self.responses, []
        return out


def host_key_from_line(line: str) -> paramiko.PKey:
    """A server public key from an OpenSSH line (``ssh-ed25519 AAAA... comment``, as in
    ``known_hosts`` without the host name or a ``.pub`` file).

    Raises:
        SubmissionError: not a key line.
    """
    import base64
    import binascii

    import paramiko

    parts = line.split()
    if parts and not parts[0].startswith(("ssh-", "ecdsa-")) and len(parts) >= 3:
        parts = parts[1:]  # a known_hosts line starts with the host names
    try:
        return paramiko.PKey.from_type_string(parts[0], base64.b64decode(parts[1]))
    except (IndexError, ValueError, binascii.Error, paramiko.SSHException) as exc:
        raise SubmissionError(f"not an OpenSSH public key line: {line[:40]!r}...") from exc


class SftpClearinghouse:
    """SFTP to ``host:port``, checking the server's host key against ``host_key``.

    Args:
        host_key: the server's public key (``paramiko.PKey``); the connection is refused
            when the server presents another one.
        password / pkey: how to log in (one of them).
        outbox / inbox: remote folders (created on first use when missing).
    """

    def __init__(
        self,
        host: str,
        port: int,
        username: str,
        *,
        host_key: paramiko.PKey,
        password: str | None = None,
        pkey: paramiko.PKey | None = None,
        outbox: str = "outbox",
        inbox: str = "inbox",
        timeout: float = 15.0,
    ) -> None:
        self.host, self.port, self.username = host, port, username
        self.host_key, self.password, self.pkey = host_key, password, pkey
        self.outbox, self.inbox, self.timeout = outbox.rstrip("/"), inbox.rstrip("/"), timeout

    def _open(self) -> tuple[paramiko.Transport, paramiko.SFTPClient]:
        import socket

        import paramiko

        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
            transport = paramiko.Transport(sock)
            transport.connect(hostkey=self.host_key, username=self.username,
                              password=self.password, pkey=self.pkey)
            client = paramiko.SFTPClient.from_transport(transport)
        except (OSError, paramiko.SSHException) as exc:
            raise SubmissionError(f"SFTP to {self.host}:{self.port} failed: {exc}") from exc
        if client is None:
            transport.close()
            raise SubmissionError(f"SFTP to {self.host}:{self.port}: no SFTP channel")
        return transport, client

    @staticmethod
    def _ensure_dir(client: paramiko.SFTPClient, path: str) -> None:
        try:
            client.stat(path)
        except FileNotFoundError:
            client.mkdir(path)

    def submit(self, name: str, content: str) -> Submission:
        _check_name(name)
        data = content.encode("ascii")
        transport, client = self._open()
        try:
            self._ensure_dir(client, self.outbox)
            target = f"{self.outbox}/{name}"
            try:
                client.stat(target)
            except FileNotFoundError:
                pass
            else:
                raise SubmissionError(f"{name} was already submitted to "
                                      f"{self.host}:{self.outbox}")
            tmp = f"{self.outbox}/.{name}.part"
            client.putfo(io.BytesIO(data), tmp, file_size=len(data), confirm=True)
            client.rename(tmp, target)  # SFTP rename refuses an existing target
            return _submission(name, f"sftp://{self.host}:{self.port}/{target}", data)
        except OSError as exc:
            raise SubmissionError(f"SFTP upload of {name} failed: {exc}") from exc
        finally:
            client.close()
            transport.close()

    def receive(self) -> list[ReceivedFile]:
        transport, client = self._open()
        out = []
        try:
            try:
                names = sorted(a.filename for a in client.listdir_attr(self.inbox)
                               if stat.S_ISREG(a.st_mode or 0) and not a.filename.startswith("."))
            except FileNotFoundError:
                return []
            self._ensure_dir(client, f"{self.inbox}/done")
            for name in names:
                path = f"{self.inbox}/{name}"
                buffer = io.BytesIO()
                client.getfo(path, buffer)
                out.append(ReceivedFile(name, buffer.getvalue().decode("ascii", "replace")))
                client.rename(path, f"{self.inbox}/done/{name}")
            return out
        finally:
            client.close()
            transport.close()
