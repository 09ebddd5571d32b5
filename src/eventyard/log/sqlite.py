"""The embedded event log: one SQLite file in WAL mode, group-committed by one writer thread.

Each commit stores one row per partition it touches: a chunk holding that partition's new
entries (msgpack), with the first and last offset. One row per event would cost a B-tree
insert per event in the writer thread, and on a small machine that CPU is taken from the
event loop that parses requests; chunks make the write about twice as cheap.

Every write (appends, consumer commits, trims) goes through a queue to a single thread that
drains whatever has piled up, writes it in one transaction and commits once, so N concurrent
appends share one fsync. Reads use their own connection in a worker thread, so the event loop
never waits on the disk. One process owns a log file at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from eventyard.errors import LogError
from eventyard.log.base import Entry, EventLog, LogRecord, Rejection, partition_for
from eventyard.sqlite_writer import connect, take_all

__all__ = ["SQLiteLog", "decode_chunk"]

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY, part INTEGER NOT NULL, first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL, appended_at REAL NOT NULL, entries BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS chunks_by_offset ON chunks (part, last_seq);
CREATE TABLE IF NOT EXISTS partitions (part INTEGER PRIMARY KEY, last_seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS consumer_offsets (
    consumer TEXT NOT NULL, part INTEGER NOT NULL, seq INTEGER NOT NULL,
    PRIMARY KEY (consumer, part)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS received (source TEXT PRIMARY KEY, count INTEGER NOT NULL)
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rejections (
    id INTEGER PRIMARY KEY, source TEXT NOT NULL, code TEXT NOT NULL, message TEXT NOT NULL,
    payload BLOB NOT NULL, at REAL NOT NULL
);
"""

_INSERT_CHUNK = (
    "INSERT INTO chunks (part, first_seq, last_seq, appended_at, entries) VALUES (?,?,?,?,?)"
)
_SET_LAST = "UPDATE partitions SET last_seq = ? WHERE part = ?"
_COUNT_RECEIVED = (
    "INSERT INTO received VALUES (?, ?) "
    "ON CONFLICT (source) DO UPDATE SET count = count + excluded.count"
)
_INSERT_REJECTION = "INSERT INTO rejections (source, code, message, payload, at) VALUES (?,?,?,?,?)"
_READ = (
    "SELECT first_seq, appended_at, entries FROM chunks "
    "WHERE part = ? AND last_seq > ? ORDER BY last_seq"
)
_pack = msgspec.msgpack.Encoder().encode
_unpack = msgspec.msgpack.Decoder(list[Entry]).decode


def _encode(entries: list[Entry]) -> bytes:
    """msgpack, then zlib level 1: a chunk is several times smaller, and SQLite's cost (page
    copies, WAL, checkpoints, fsync) grows with bytes; zlib runs without the GIL."""
    return zlib.compress(_pack(entries), 1)


def decode_chunk(blob: bytes) -> list[Entry]:
    """The entries of one stored chunk (for tools that read the file directly)."""
    return _unpack(zlib.decompress(blob))


_Op = Callable[[sqlite3.Connection], Any]


@dataclass(slots=True)
class _Job:
    """One caller's write: entries to append, or an operation to run in the transaction."""

    entries: Sequence[Entry]
    rejections: Sequence[Rejection]
    op: _Op | None
    future: asyncio.Future[Any]


def _trim_partition(conn: sqlite3.Connection, part: int, floor: int, older_than: float) -> int:
    """Delete the partition's entries up to `floor` appended before `older_than`; a chunk
    that straddles the floor is rewritten without its trimmed head."""
    gone = conn.execute(
        "DELETE FROM chunks WHERE part = ? AND last_seq <= ? AND appended_at < ? "
        "RETURNING last_seq - first_seq + 1",
        (part, floor, older_than),
    ).fetchall()
    deleted: int = sum(n for (n,) in gone)
    straddling = conn.execute(
        "SELECT id, first_seq, entries FROM chunks "
        "WHERE part = ? AND first_seq <= ? AND last_seq > ? AND appended_at < ?",
        (part, floor, floor, older_than),
    ).fetchone()
    if straddling is not None:
        chunk_id, first, blob = straddling
        head = floor - first + 1
        conn.execute(
            "UPDATE chunks SET first_seq = ?, entries = ? WHERE id = ?",
            (floor + 1, _encode(decode_chunk(blob)[head:]), chunk_id),
        )
        deleted += head
    return deleted


class SQLiteLog(EventLog):
    """SQLite file log; `commits` counts transactions (several appends share one)."""

    def __init__(self, path: Path, partitions: int) -> None:
        self.path = path
        self.partitions = partitions
        self.commits = 0
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._last: list[int] = [0] * partitions
        self._pending = 0
        self._closed = True
        self._thread: threading.Thread | None = None
        self._writer: sqlite3.Connection | None = None
        self._reader: sqlite3.Connection | None = None
        self._read_lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._appended = asyncio.Event()

    async def open(self) -> None:
        self._loop = asyncio.get_running_loop()
        await asyncio.to_thread(self._open_files)
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="eventyard-log-writer", daemon=True)
        self._thread.start()

    def _open_files(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            writer = connect(self.path)
        except (OSError, sqlite3.Error) as error:
            raise LogError(f"cannot open the event log {self.path}: {error}") from None
        try:
            writer.executescript(_SCHEMA)
            writer.execute(
                "INSERT OR IGNORE INTO meta VALUES ('partitions', ?)", (self.partitions,)
            )
            (stored,) = writer.execute(
                "SELECT value FROM meta WHERE name = 'partitions'"
            ).fetchone()
            if int(stored) != self.partitions:
                raise LogError(
                    f"the event log {self.path} was created with {stored} partitions but the "
                    f"configuration says {self.partitions}; changing it would reorder users' "
                    f"events, so set log.partitions back to {stored}"
                )
            writer.executemany(
                "INSERT OR IGNORE INTO partitions VALUES (?, 0)",
                [(p,) for p in range(self.partitions)],
            )
            for part, last in writer.execute("SELECT part, last_seq FROM partitions"):
                self._last[part] = last
            self._reader = connect(self.path)
        except sqlite3.Error as error:
            writer.close()
            raise LogError(f"cannot open the event log {self.path}: {error}") from None
        except LogError:
            writer.close()
            raise
        self._writer = writer

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join)
        await asyncio.sleep(0)  # let the writer's last answers reach their callers
        for conn in (self._writer, self._reader):
            if conn is not None:
                conn.close()
        self._writer = self._reader = None

    async def _submit(
        self, entries: Sequence[Entry], rejections: Sequence[Rejection], op: _Op | None
    ) -> Any:
        if self._closed or self._loop is None:
            raise LogError("the event log is closed")
        future: asyncio.Future[Any] = self._loop.create_future()
        self._pending += len(entries)
        self._queue.put(_Job(entries, rejections, op, future))
        return await future

    async def append(self, entries: Sequence[Entry], rejections: Sequence[Rejection] = ()) -> None:
        if self._closed:
            raise LogError("the event log is closed")
        if entries or rejections:
            await self._submit(tuple(entries), tuple(rejections), None)

    def pending(self) -> int:
        return self._pending

    def _run(self) -> None:
        """The writer thread: take everything queued, write it in one transaction, answer."""
        stopping = False
        while not stopping:
            jobs, stopping = take_all(self._queue)
            if jobs:
                self._write(jobs)

    def _write(self, jobs: list[_Job]) -> None:
        assert self._writer is not None and self._loop is not None
        conn, last = self._writer, self._last
        saved = list(last)
        now = time.time()
        n = self.partitions
        chunks: dict[int, list[Entry]] = {}
        counts: dict[str, int] = {}
        rejected: list[tuple[str, str, str, bytes, float]] = []
        results: list[Any] = []
        error: BaseException | None = None
        try:
            conn.execute("BEGIN IMMEDIATE")
            for job in jobs:
                for e in job.entries:
                    chunks.setdefault(partition_for(e.key, n), []).append(e)
                    counts[e.source] = counts.get(e.source, 0) + 1
                rejected.extend(
                    (r.source, r.code, r.message, r.payload, now) for r in job.rejections
                )
            rows = []
            for p, entries in chunks.items():
                first = last[p] + 1
                last[p] += len(entries)
                rows.append((p, first, last[p], now, _encode(entries)))
            conn.executemany(_INSERT_CHUNK, rows)
            conn.executemany(_SET_LAST, [(s, p) for p, s in enumerate(last) if s != saved[p]])
            conn.executemany(_COUNT_RECEIVED, counts.items())
            conn.executemany(_INSERT_REJECTION, rejected)
            results = [job.op(conn) if job.op is not None else None for job in jobs]
            conn.execute("COMMIT")
            self.commits += 1
        except Exception as exc:  # every caller in the group must hear about it
            error = exc
            last[:] = saved
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        # RuntimeError: the event loop is gone, so nobody is waiting any more.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._settle, jobs, results, error)

    def _settle(self, jobs: list[_Job], results: list[Any], error: BaseException | None) -> None:
        """On the event loop: answer every caller of one transaction."""
        for i, job in enumerate(jobs):
            self._pending -= len(job.entries)
            if job.future.done():  # the caller was cancelled; the write still happened
                continue
            if error is None:
                job.future.set_result(results[i])
            else:
                job.future.set_exception(LogError(f"event log write failed: {error}"))
        if error is None:
            self._appended.set()

    async def _query(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        def run() -> T:
            with self._read_lock:
                if self._reader is None:
                    raise LogError("the event log is closed")
                try:
                    return fn(self._reader)
                except sqlite3.Error as error:
                    raise LogError(f"event log read failed: {error}") from None

        return await asyncio.to_thread(run)

    async def read(self, partition: int, after: int, limit: int) -> list[LogRecord]:
        def query(conn: sqlite3.Connection) -> list[LogRecord]:
            records: list[LogRecord] = []
            for first, at, blob in conn.execute(_READ, (partition, after)):
                for seq, e in enumerate(decode_chunk(blob), first):
                    if seq > after:
                        records.append(
                            LogRecord(partition, seq, e.source, e.key, e.message_id, e.payload, at)
                        )
                if len(records) >= limit:
                    break
            return records[:limit]

        return await self._query(query)

    async def wait(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self._appended.wait(), timeout)
        except TimeoutError:
            pass
        finally:
            self._appended.clear()

    async def commit(self, consumer: str, partition: int, offset: int) -> None:
        def op(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO consumer_offsets VALUES (?, ?, ?) "
                "ON CONFLICT (consumer, part) DO UPDATE SET seq = excluded.seq",
                (consumer, partition, offset),
            )

        await self._submit((), (), op)

    async def committed(self, consumer: str, partition: int) -> int:
        row = await self._query(
            lambda c: c.execute(
                "SELECT seq FROM consumer_offsets WHERE consumer = ? AND part = ?",
                (consumer, partition),
            ).fetchone()
        )
        return int(row[0]) if row else 0

    async def end_offsets(self) -> list[int]:
        rows = await self._query(
            lambda c: c.execute("SELECT part, last_seq FROM partitions").fetchall()
        )
        ends = [0] * self.partitions
        for part, last in rows:
            ends[part] = last
        return ends

    async def trim(self, older_than: float) -> int:
        def op(conn: sqlite3.Connection) -> int:
            floors = conn.execute("SELECT part, MIN(seq) FROM consumer_offsets GROUP BY part")
            deleted = 0
            for part, floor in floors.fetchall():
                deleted += _trim_partition(conn, part, floor, older_than)
            conn.execute("DELETE FROM rejections WHERE at < ?", (older_than,))
            return deleted

        result: int = await self._submit((), (), op)
        return result

    async def received(self) -> dict[str, int]:
        rows = await self._query(
            lambda c: c.execute("SELECT source, count FROM received").fetchall()
        )
        return dict(rows)

    async def rejections(self, limit: int = 100) -> list[Rejection]:
        rows = await self._query(
            lambda c: c.execute(
                "SELECT source, code, message, payload FROM rejections ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        )
        return [Rejection(*row) for row in rows]
