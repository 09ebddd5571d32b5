"""Run the real `eventyard serve` command as a child process, the way a user runs it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

__all__ = ["TOKEN", "ServerProcess", "free_port"]

TOKEN = "ey_e2e-owner-token-0123456789abcdef"
"""The owner token of workspace "default" that every test server starts with
(`EVENTYARD_ADMIN_TOKEN`), so that tests and CLI commands can call its API."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class ServerProcess:
    """`eventyard serve` on a free port with the given config and data dir."""

    config: Path
    data_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    token: str = TOKEN
    launcher: tuple[str, ...] = ("-m", "eventyard")
    """What python runs before `serve ...`: `-c <code>` can set logging up first."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def headers(self) -> dict[str, str]:
        """What an API request sends: the owner token."""
        return {"Authorization": f"Bearer {self.token}"}

    def start(self, timeout: float = 20.0) -> ServerProcess:
        command = [sys.executable, *self.launcher, "serve", "--config", str(self.config)]
        command += ["--data-dir", str(self.data_dir), "--port", str(self.port)]
        with (self.data_dir.parent / f"server-{self.port}.log").open("ab") as log:
            env = os.environ.copy() | {"EVENTYARD_ADMIN_TOKEN": self.token}
            self.process = subprocess.Popen(command, stdout=log, stderr=log, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"eventyard serve exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/health", timeout=0.5).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError("eventyard serve did not answer /health in time")

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait: the clean shutdown a user gets with Ctrl-C."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self) -> None:
        """SIGKILL: no chance to flush anything."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)

    def status(self) -> dict[str, object]:
        response = httpx.get(f"{self.url}/api/v1/status", headers=self.headers, timeout=5)
        data: dict[str, object] = response.json()
        return data
