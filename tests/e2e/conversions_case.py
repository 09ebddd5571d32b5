"""What the conversions end-to-end tests share: reading the conversion ledger of a running
server's state.db, running `eventyard compare`, and an event's trace from the API."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from e2e.conftest import wait_until
from e2e.server_process import ServerProcess

__all__ = ["compare", "ledger_count", "trace_of", "wait_for_ledger"]


def ledger_count(data_dir: Path, destination: str) -> int:
    """Ledger rows of a destination, read as `eventyard compare` reads them."""
    path = data_dir / "state.db"
    if not path.exists():
        return 0
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        row = conn.execute(
            "SELECT count(*) FROM conversion_ledger WHERE destination = ?", (destination,)
        ).fetchone()
    except sqlite3.OperationalError:  # the server has not created the tables yet
        return 0
    finally:
        conn.close()
    return int(row[0])


async def wait_for_ledger(data_dir: Path, expected: dict[str, int], timeout: float = 20) -> None:
    """Until each destination has exactly that many ledger rows."""

    def reached() -> bool:
        return {name: ledger_count(data_dir, name) for name in expected} == expected

    await wait_until(reached, timeout, f"ledger rows {expected}")


def compare(data_dir: Path, a: str, b: str, since: str, *extra: str) -> tuple[int, str]:
    """`eventyard compare` as a user runs it: the exit code and what it printed."""
    command = [sys.executable, "-m", "eventyard", "compare", a, b, "--since", since]
    command += ["--data-dir", str(data_dir), *extra]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    return done.returncode, done.stdout + done.stderr


def trace_of(server: ServerProcess, message_id: str) -> list[dict[str, Any]]:
    """The event's trace steps from the admin API."""
    response = httpx.get(
        f"{server.url}/api/v1/trace/{message_id}", headers=server.headers, timeout=5
    )
    response.raise_for_status()
    steps: list[dict[str, Any]] = response.json()["steps"]
    return steps
