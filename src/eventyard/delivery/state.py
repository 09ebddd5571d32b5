"""The state database (`state.db` in the data dir): dedup entries, delivery jobs, dead letters,
the delivery trace (`delivery.trace`), the last attempts' requests and responses
(`delivery.exchanges`), conversion state (`conversions.store`, the
`conversions.ledger`) and Protocols' violation counts and outbox (`protocols.store`).

SQLite has one writer, so one dedicated thread owns the connection and runs every call
atomically: the event loop never blocks on disk, and calls never interleave. Callers
pass a plain function of the connection (see `pipeline.dedup` and `delivery.jobs`), so the
dedup check and the job inserts for a batch of log records commit together or not at all.
WAL with synchronous=FULL: a committed transaction survives power loss.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from eventyard.control.config import Config
from eventyard.conversions import ledger
from eventyard.conversions import store as conversion_store
from eventyard.delivery import exchanges, trace
from eventyard.protocols import schema_store
from eventyard.protocols import store as protocol_store
from eventyard.sqlite_writer import connect, take_all

__all__ = ["SCHEMA", "StateStore", "open_state"]

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
    action TEXT NOT NULL,
    user_key TEXT NOT NULL,
    message_id TEXT NOT NULL,
    payload BLOB NOT NULL,
    created_at REAL NOT NULL,
    next_attempt_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    leased INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    received_at REAL
);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (destination, next_attempt_at);
CREATE INDEX IF NOT EXISTS jobs_user ON jobs (destination, user_key, id);
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    destination TEXT NOT NULL,
    action TEXT NOT NULL,
    user_key TEXT NOT NULL,
    message_id TEXT NOT NULL,
    payload BLOB NOT NULL,
    created_at REAL NOT NULL,
    failed_at REAL NOT NULL,
    attempts INTEGER NOT NULL,
    error TEXT NOT NULL,
    received_at REAL
);
CREATE INDEX IF NOT EXISTS dead_by_destination ON dead_letters (destination, id);
CREATE TABLE IF NOT EXISTS destination_errors (
    destination TEXT PRIMARY KEY,
    error TEXT NOT NULL,
    at REAL NOT NULL
) WITHOUT ROWID;
"""


@dataclass(slots=True)
class _Call:
    fn: Callable[[sqlite3.Connection], Any]
    future: asyncio.Future[Any]
    result: Any = None
    error: BaseException | None = None


class StateStore:
    """One SQLite file, one writer thread; `run(fn)` executes fn(connection) atomically.

    Group commit: calls queued while a transaction is in progress run together in the next
    one, each inside its own SAVEPOINT (a failing call rolls back only itself), and one
    COMMIT makes them all durable before any caller gets its answer. Many delivery slots
    settling at once then share one fsync instead of paying one each.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.commits = 0
        self._queue: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._conn: sqlite3.Connection | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def open(self) -> None:
        """Create the file and tables if needed, and start the writer thread."""
        self._loop = asyncio.get_running_loop()
        self._conn = await asyncio.to_thread(self._connect)
        self._thread = threading.Thread(target=self._run, name="eventyard-state", daemon=True)
        self._thread.start()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = connect(self.path)
        conn.executescript(
            SCHEMA
            + trace.SCHEMA
            + conversion_store.SCHEMA
            + ledger.SCHEMA
            + protocol_store.SCHEMA
            + schema_store.SCHEMA
            + exchanges.SCHEMA
        )
        return conn

    async def close(self) -> None:
        """Finish the queued calls (each caller gets its answer), then close."""
        if self._thread is None:
            return
        self._queue.put(None)
        await asyncio.to_thread(self._thread.join)
        await asyncio.sleep(0)  # let the last answers reach their callers
        self._thread = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run fn in the state thread; returns once its transaction is committed."""
        if self._thread is None or self._loop is None:
            raise RuntimeError("StateStore is not open; call `await state.open()` first")
        future: asyncio.Future[T] = self._loop.create_future()
        self._queue.put(_Call(fn, future))
        return await future

    def _run(self) -> None:
        stopping = False
        while not stopping:
            calls, stopping = take_all(self._queue)
            if calls:
                self._transact(calls)

    def _transact(self, calls: list[_Call]) -> None:
        assert self._conn is not None and self._loop is not None
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            for call in calls:
                conn.execute("SAVEPOINT call")
                try:
                    call.result = call.fn(conn)
                    conn.execute("RELEASE call")
                except Exception as error:
                    conn.execute("ROLLBACK TO call")
                    conn.execute("RELEASE call")
                    call.error = error
            conn.execute("COMMIT")
            self.commits += 1
        except sqlite3.Error as error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            for call in calls:
                call.error = error
        self._loop.call_soon_threadsafe(_answer, calls)


def _answer(calls: list[_Call]) -> None:
    for call in calls:
        if call.future.done():  # the caller was cancelled
            continue
        if call.error is not None:
            call.future.set_exception(call.error)
        else:
            call.future.set_result(call.result)


async def open_state(path: Path, config: Config | None = None) -> StateStore:
    """Open the embedded state database (`state.db` in the data dir).

    `config` is accepted for when state can live in PostgreSQL; SQLite needs nothing from it.
    """
    del config
    state = StateStore(path)
    await state.open()
    return state
