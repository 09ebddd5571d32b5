"""The state store commits concurrent calls together, and one failing call fails alone."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from eventyard.delivery import jobs
from eventyard.delivery.state import StateStore, bump, read_counter


async def test_concurrent_calls_share_commits_and_a_failing_call_rolls_back_alone(
    tmp_path: Path,
) -> None:
    state = StateStore(tmp_path / "state.db")
    await state.open()

    def fails(conn: sqlite3.Connection) -> None:
        bump(conn, "lost", 1)
        raise ValueError("boom")

    calls = [state.run(lambda conn: bump(conn, "kept", 1)) for _ in range(200)]
    results = await asyncio.gather(*calls, state.run(fails), return_exceptions=True)
    assert sum(isinstance(r, ValueError) for r in results) == 1
    assert state.commits < 200
    await state.close()

    reopened = StateStore(tmp_path / "state.db")
    await reopened.open()
    assert await reopened.run(lambda conn: read_counter(conn, "kept")) == 200
    assert await reopened.run(lambda conn: read_counter(conn, "lost")) == 0
    await reopened.close()
    with pytest.raises(RuntimeError, match="not open"):
        await reopened.run(lambda conn: read_counter(conn, "kept"))


async def test_a_state_file_from_before_actions_keeps_its_jobs_as_webhook_sends(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.db"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, destination TEXT NOT NULL,"
        " user_key TEXT NOT NULL, message_id TEXT NOT NULL, payload BLOB NOT NULL,"
        " created_at REAL NOT NULL, next_attempt_at REAL NOT NULL,"
        " attempts INTEGER NOT NULL DEFAULT 0, leased INTEGER NOT NULL DEFAULT 0,"
        " last_error TEXT);"
        "CREATE TABLE dead_letters (id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " destination TEXT NOT NULL, user_key TEXT NOT NULL, message_id TEXT NOT NULL,"
        " payload BLOB NOT NULL, created_at REAL NOT NULL, failed_at REAL NOT NULL,"
        " attempts INTEGER NOT NULL, error TEXT NOT NULL);"
    )
    old.execute(
        "INSERT INTO jobs (destination, user_key, message_id, payload, created_at,"
        " next_attempt_at) VALUES ('h', 'u1', 'm1', ?, 1, 1)",
        (b'{"messageId":"m1"}',),
    )
    old.commit()
    old.close()
    state = StateStore(path)
    await state.open()
    (job,) = await state.run(
        lambda conn: jobs.claim(conn, "h", ordered=False, limit=5, now=2.0, lease=1.0)
    )
    await state.close()
    assert (job.action, job.message_id, job.received_at) == ("send", "m1", None)
    assert job.payload == b'{"data":{"messageId":"m1"}}'
