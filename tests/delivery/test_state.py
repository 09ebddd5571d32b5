"""The state store commits concurrent calls together, and one failing call fails alone."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from eventyard.delivery.state import StateStore


def _add(conn: sqlite3.Connection, name: str) -> None:
    conn.execute("CREATE TABLE IF NOT EXISTS tally (name TEXT NOT NULL)")
    conn.execute("INSERT INTO tally VALUES (?)", (name,))


def _count(conn: sqlite3.Connection, name: str) -> int:
    (count,) = conn.execute("SELECT count(*) FROM tally WHERE name = ?", (name,)).fetchone()
    return int(count)


async def test_concurrent_calls_share_commits_and_a_failing_call_rolls_back_alone(
    tmp_path: Path,
) -> None:
    state = StateStore(tmp_path / "state.db")
    await state.open()
    await state.run(lambda conn: _add(conn, "setup"))

    def fails(conn: sqlite3.Connection) -> None:
        _add(conn, "lost")
        raise ValueError("boom")

    calls = [state.run(lambda conn: _add(conn, "kept")) for _ in range(200)]
    results = await asyncio.gather(*calls, state.run(fails), return_exceptions=True)
    assert sum(isinstance(r, ValueError) for r in results) == 1
    assert state.commits < 200
    await state.close()

    reopened = StateStore(tmp_path / "state.db")
    await reopened.open()
    assert await reopened.run(lambda conn: _count(conn, "kept")) == 200
    assert await reopened.run(lambda conn: _count(conn, "lost")) == 0
    await reopened.close()
    with pytest.raises(RuntimeError, match="not open"):
        await reopened.run(lambda conn: _count(conn, "kept"))
