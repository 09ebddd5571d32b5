"""The state database (`state.db` in the data dir): dedup entries, delivery jobs, dead letters
and counters.

SQLite has one writer, so one dedicated thread owns the connection and runs every call as one
transaction: the event loop never blocks on disk, and transactions never interleave. Callers
pass a plain function of the connection (see `pipeline.dedup` and `delivery.jobs`), so the
dedup check and the job inserts for a batch of log records commit together or not at all.
WAL with synchronous=FULL: a committed transaction survives power loss.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from eventyard.control.config import Config

__all__ = ["SCHEMA", "StateStore", "bump", "open_state", "read_counter"]

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS dedup (
    source TEXT NOT NULL,
    message_id TEXT NOT NULL,
    seen_at REAL NOT NULL,
    PRIMARY KEY (source, message_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS dedup_seen ON dedup (seen_at);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    destination TEXT NOT NULL,
    user_key TEXT NOT NULL,
    message_id TEXT NOT NULL,
    payload BLOB NOT NULL,
    created_at REAL NOT NULL,
    next_attempt_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    leased INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (destination, next_attempt_at);
CREATE INDEX IF NOT EXISTS jobs_user ON jobs (destination, user_key, id);
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    destination TEXT NOT NULL,
    user_key TEXT NOT NULL,
    message_id TEXT NOT NULL,
    payload BLOB NOT NULL,
    created_at REAL NOT NULL,
    failed_at REAL NOT NULL,
    attempts INTEGER NOT NULL,
    error TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_by_destination ON dead_letters (destination, id);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS destination_errors (
    destination TEXT PRIMARY KEY,
    error TEXT NOT NULL,
    at REAL NOT NULL
) WITHOUT ROWID;
"""


class StateStore:
    """One SQLite file, one thread; `run(fn)` executes fn(connection) as one transaction."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._executor: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None

    async def open(self) -> None:
        """Create the file and tables if needed."""
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="eventyard-state")
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._connect)

    def _connect(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=5000")
        conn.executescript(SCHEMA)
        self._conn = conn

    async def close(self) -> None:
        """Wait for running calls, then close the connection and stop the thread."""
        if self._executor is None:
            return
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._disconnect)
        self._executor.shutdown(wait=True)
        self._executor = None

    def _disconnect(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run fn in the state thread inside BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error)."""
        if self._executor is None:
            raise RuntimeError("StateStore is not open; call `await state.open()` first")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._transact, fn)

    def _transact(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._conn
        if conn is None:
            raise RuntimeError("StateStore is closed")
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return result


def bump(conn: sqlite3.Connection, name: str, by: int = 1) -> None:
    """Add to a named counter (counters survive restarts)."""
    if by:
        conn.execute(
            "INSERT INTO counters (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
            (name, by),
        )


def read_counter(conn: sqlite3.Connection, name: str) -> int:
    """A counter's value; 0 if never bumped."""
    row = conn.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
    return int(row[0]) if row else 0


async def open_state(path: Path, config: Config | None = None) -> StateStore:
    """Open the embedded state database (`state.db` in the data dir).

    `config` is accepted for when state can live in PostgreSQL; SQLite needs nothing from it.
    """
    del config
    state = StateStore(path)
    await state.open()
    return state
