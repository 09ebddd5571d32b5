"""Shared pieces of the benchmarks: ports, process lifetime, health waits, event bodies.

Everything a benchmark starts goes through `Processes`, so that every exit path (normal end,
exception, Ctrl-C, SIGTERM) stops the servers it started and nothing is left listening.
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import types
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import orjson

HOST = "127.0.0.1"
BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
WRITE_KEY = "wk_bench"
ADMIN_TOKEN = "ey_bench-owner-token-0123456789abcdef"
"""The owner token every benchmarked `eventyard serve` starts with (EVENTYARD_ADMIN_TOKEN), so
that the harness may call its admin API (/api/v1/...)."""

UVICORN_OPTIONS = (
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    "--workers",
    "1",
    "--no-access-log",
    "--log-level",
    "warning",
)
"""The same HTTP server options for every baseline, matching what `eventyard serve` uses."""


class BenchError(RuntimeError):
    """A benchmark result that must not be reported as a number (errors, lost events...)."""


def free_port() -> int:
    """A port that was free a moment ago; good enough for a benchmark on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def basic_auth(write_key: str = WRITE_KEY) -> str:
    """Segment SDKs send the write key as the Basic auth user name with no password."""
    return "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()


def _raise_keyboard_interrupt(signum: int, frame: types.FrameType | None) -> None:
    raise KeyboardInterrupt


def install_sigterm_handler() -> None:
    """Turn SIGTERM into KeyboardInterrupt so the cleanup in `finally` blocks still runs."""
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)


class Processes:
    """Owns every child process of a benchmark; leaving the `with` block stops them all."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self._children: list[tuple[str, subprocess.Popen[bytes], IO[bytes]]] = []

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_all()

    def start(self, name: str, argv: Sequence[str], env: dict[str, str] | None = None) -> Path:
        """Start a child in its own process group, output to a log file; returns the log path."""
        log_path = self.log_dir / f"{name}.log"
        log = open(log_path, "wb")  # noqa: SIM115 - closed in _stop_one, after the child
        proc = subprocess.Popen(
            list(argv),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            cwd=REPO_DIR,
            start_new_session=True,
        )
        self._children.append((name, proc, log))
        return log_path

    def check_alive(self) -> None:
        """Fail with the child's log tail rather than with a confusing connection error."""
        for name, proc, _ in self._children:
            if proc.poll() is not None:
                raise BenchError(f"{name} exited with {proc.returncode}:\n{self.log_tail(name)}")

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.log_dir / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, name: str) -> None:
        """SIGTERM the child's process group, then SIGKILL it if it lingers."""
        for item in [c for c in self._children if c[0] == name]:
            self._stop_one(*item)
            self._children.remove(item)

    def stop_all(self) -> None:
        while self._children:
            self._stop_one(*self._children.pop())

    @staticmethod
    def _stop_one(name: str, proc: subprocess.Popen[bytes], log: IO[bytes]) -> None:
        try:
            if proc.poll() is None:
                _signal_group(proc, signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    _signal_group(proc, signal.SIGKILL)
                    proc.wait(timeout=5)
        finally:
            log.close()


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


def admin_headers() -> dict[str, str]:
    """What a call to a benchmarked server's admin API sends."""
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def http_get(
    url: str, timeout: float = 2.0, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    """A tiny stdlib GET, so the harness itself needs no event loop."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return int(resp.status), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def wait_http_ok(url: str, procs: Processes, timeout: float = 30.0) -> None:
    """Poll until `url` answers 2xx; fail early if a child died meanwhile."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        procs.check_alive()
        try:
            status, _ = http_get(url, timeout=1.0)
            if 200 <= status < 300:
                return
            last = f"HTTP {status}"
        except (OSError, urllib.error.URLError) as err:
            last = err
        time.sleep(0.05)
    raise BenchError(f"{url} not ready after {timeout:.0f}s (last: {last})")


def uvicorn_argv(app: str, port: int) -> list[str]:
    """Run one of bench/baselines.py's apps under uvicorn with the shared options."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--app-dir",
        str(BENCH_DIR),
        "--host",
        HOST,
        "--port",
        str(port),
        *UVICORN_OPTIONS,
    ]


def eventyard_executable() -> str:
    """The `eventyard` script next to the running interpreter (the project's venv)."""
    candidate = Path(sys.executable).parent / "eventyard"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("eventyard")
    if found is None:
        raise BenchError(
            f"`eventyard` not found next to {sys.executable} nor on PATH; "
            "install the project into the venv (pip install -e .)"
        )
    return found


def write_config(
    path: Path, destinations: Sequence[dict[str, Any]] = (), *, storage: bool = True
) -> None:
    """One `web` source with the bench write key; JSON is valid YAML, so no YAML writer needed.

    `storage=False` turns the archive and the embedded warehouse off (both are on by default),
    to measure the ingest path alone.
    """
    config: dict[str, Any] = {
        "sources": [{"name": "web", "write_key": WRITE_KEY}],
        "destinations": list(destinations),
    }
    if not storage:
        config["archive"] = {"enabled": False}
        config["warehouses"] = []
    path.write_bytes(orjson.dumps(config, option=orjson.OPT_INDENT_2))


def start_eventyard(procs: Processes, config: Path, data_dir: Path, port: int) -> str:
    """Start `eventyard serve` with the bench's owner token and wait for /health; returns its
    base URL."""
    argv = [
        eventyard_executable(),
        "serve",
        "--config",
        str(config),
        "--data-dir",
        str(data_dir),
        "--host",
        HOST,
        "--port",
        str(port),
    ]
    procs.start("eventyard", argv, {"EVENTYARD_ADMIN_TOKEN": ADMIN_TOKEN})
    base = f"http://{HOST}:{port}"
    wait_http_ok(f"{base}/health", procs, timeout=60)
    return base


_EVENT_NAMES = ("Product Viewed", "Product Added", "Checkout Started", "Order Completed")


def track_event(seq: int, run_id: str, sent_ns: int | None = None) -> dict[str, Any]:
    """A realistic analytics.js-style track event (~600 bytes serialised), unique per `seq`."""
    user = seq % 997
    properties: dict[str, Any] = {
        "product_id": f"sku-{seq % 5000:05d}",
        "name": "Organic cotton t-shirt",
        "category": "Apparel",
        "price": 19.99 + seq % 7,
        "quantity": 1 + seq % 3,
        "currency": "EUR",
    }
    if sent_ns is not None:
        properties["sent_ns"] = sent_ns
    return {
        "type": "track",
        "event": _EVENT_NAMES[seq % len(_EVENT_NAMES)],
        "messageId": f"{run_id}-{seq:09d}",
        "userId": f"user-{user:06d}",
        "anonymousId": f"5f1c2a3e-8b7d-4c2e-9a61-{user:012d}",
        "timestamp": "2025-11-22T17:20:00.123Z",
        "properties": properties,
        "context": {
            "library": {"name": "analytics.js", "version": "5.2.1"},
            "ip": "203.0.113.42",
            "locale": "en-GB",
            "page": {
                "path": "/products/organic-tshirt",
                "url": "https://shop.example.com/products/organic-tshirt",
                "referrer": "https://www.google.com/",
            },
            "userAgent": (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                "Chrome/131.0 Safari/537.36"
            ),
        },
    }


def batch_body(events: list[dict[str, Any]], sent_at: str | None = None) -> bytes:
    """The body analytics SDKs POST to /v1/batch."""
    return orjson.dumps(
        {
            "batch": events,
            "sentAt": sent_at or "2025-11-22T17:20:00.200Z",
            "writeKey": WRITE_KEY,
        }
    )
