# mypy: disable-error-code="misc,no-any-return"
"""A real SFTP server for tests: paramiko's ServerInterface + SFTPServer over a folder,
listening on a loopback port in a thread (no system sshd)."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path
from typing import Any

import paramiko  # type: ignore[import-untyped]
from paramiko.sftp import SFTP_NO_SUCH_FILE, SFTP_OK  # type: ignore[import-untyped]


class _Auth(paramiko.ServerInterface):
    def __init__(self, username: str, password: str) -> None:
        self.username, self.password = username, password

    def check_auth_password(self, username: str, password: str) -> int:
        ok = (username, password) == (self.username, self.password)
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

    def get_allowed_auths(self, username: str) -> str:
        return "password"

    def check_channel_request(self, kind: str, chanid: int) -> int:
        return paramiko.OPEN_SUCCEEDED if kind == "session" else \
            paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED


class _Handle(paramiko.SFTPHandle):
    def stat(self) -> Any:
        return paramiko.SFTPAttributes.from_stat(os.fstat(self.readfile.fileno()))


class _Folder(paramiko.SFTPServerInterface):
    ROOT: Path = Path("/nonexistent")

    def _path(self, path: str) -> str:
        full = (self.ROOT / path.lstrip("/")).resolve()
        if self.ROOT.resolve() not in (full, *full.parents):
            raise PermissionError(path)
        return str(full)

    def _err(self, exc: OSError) -> int:
        return paramiko.SFTPServer.convert_errno(exc.errno)

    def list_folder(self, path: str) -> Any:
        try:
            folder = self._path(path)
            out = []
            for name in os.listdir(folder):
                attr = paramiko.SFTPAttributes.from_stat(os.stat(os.path.join(folder, name)))
                attr.filename = name
                out.append(attr)
            return out
        except OSError as exc:
            return self._err(exc)

    def stat(self, path: str) -> Any:
        try:
            return paramiko.SFTPAttributes.from_stat(os.stat(self._path(path)))
        except OSError as exc:
            return self._err(exc)

    lstat = stat

    def open(self, path: str, flags: int, attr: Any) -> Any:
        try:
            fd = os.open(self._path(path), flags, 0o644)
        except OSError as exc:
            return self._err(exc)
        mode = "rb" if flags & (os.O_WRONLY | os.O_RDWR) == 0 else (
            "ab" if flags & os.O_APPEND else ("r+b" if flags & os.O_RDWR else "wb"))
        handle = _Handle(flags)
        f = os.fdopen(fd, mode)
        handle.readfile = f
        handle.writefile = f
        return handle

    def remove(self, path: str) -> int:
        try:
            os.remove(self._path(path))
        except OSError as exc:
            return self._err(exc)
        return SFTP_OK

    def rename(self, oldpath: str, newpath: str) -> int:
        new = self._path(newpath)
        if os.path.exists(new):
            return SFTP_NO_SUCH_FILE if not os.path.exists(self._path(oldpath)) else 4  # FAILURE
        try:
            os.rename(self._path(oldpath), new)
        except OSError as exc:
            return self._err(exc)
        return SFTP_OK

    def mkdir(self, path: str, attr: Any) -> int:
        try:
            os.mkdir(self._path(path))
        except OSError as exc:
            return self._err(exc)
        return SFTP_OK


class SftpTestServer:
    """``with SftpTestServer(root) as server: server.port, server.host_key``."""

    def __init__(self, root: Path, host_key: paramiko.PKey, username: str = "biller",
                 password: str = "s3cret") -> None:
        self.root, self.host_key = root, host_key
        self.username, self.password = username, password
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port: int = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._transports: list[paramiko.Transport] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        folder = type("Folder", (_Folder,), {"ROOT": self.root})
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            transport = paramiko.Transport(conn)
            transport.add_server_key(self.host_key)
            transport.set_subsystem_handler("sftp", paramiko.SFTPServer, folder)
            transport.start_server(server=_Auth(self.username, self.password))
            self._transports.append(transport)

    def __enter__(self) -> SftpTestServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for transport in self._transports:
            transport.close()
        self.sock.close()
