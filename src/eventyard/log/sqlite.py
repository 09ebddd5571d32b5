"""The embedded event log: one SQLite file in WAL mode, written by one child process.

Each commit stores one row per partition it touches: a chunk holding that partition's new
entries (msgpack), with the first and last offset. One row per event would cost a B-tree
insert per event; chunks make the write about twice as cheap.

Why the writer is a separate process (`eventyard.log.sqlite_child`): on a 2-core machine the
SQLite chunk inserts, run in a thread of the server or on its event loop, halved ingest
throughput (the loop's own work, e.g. orjson.loads, got ~2.5x slower: shared allocator,
caches and GIL hand-offs, although the writer held the GIL only ~5% of the time; pragmas did
not help). The same work in another process left the HTTP event loop's speed unchanged.

So `append` encodes its entries once (msgpack) and writes one frame to the child's stdin;
the child group-commits everything it has received since its last commit (N concurrent
appends share one fsync) and answers every request of the transaction after COMMIT, on its
stdout, read by the event loop. Consumer commits and trims go the same way: one writer. If
the child dies, unanswered appends fail with LogError (the API answers 503, clients retry)
and the next append starts a new child; acknowledged appends are durable. Reads use the
parent's own connection in a worker thread (WAL lets it read while the child writes). One
server owns a log file at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import msgspec

from eventyard.errors import LogError
from eventyard.log.base import (
    REJECTION_COUNTS,
    Entry,
    EventLog,
    LogRecord,
    Rejection,
    RejectionCount,
)
from eventyard.log.signal import AppendSignal
from eventyard.log.sqlite_child import (
    SCHEMA,
    Answer,
    Append,
    Commit,
    Stop,
    Trim,
    decode_chunk,
)
from eventyard.sqlite_writer import connect

__all__ = ["SQLiteLog", "decode_chunk"]

T = TypeVar("T")

_READ = (
    "SELECT first_seq, appended_at, entries FROM chunks "
    "WHERE part = ? AND last_seq > ? ORDER BY last_seq"
)
_encode_into = msgspec.msgpack.Encoder().encode_into
_decode_answer = msgspec.msgpack.Decoder(Answer).decode
_PIPE_BYTES = 1 << 20
"""The request pipe's capacity (Linux default 64 KiB, less than one 100-event batch), so the
child's reader rarely waits for the event loop to refill it."""


def _frame(request: Append | Commit | Trim | Stop) -> bytearray:
    """Length prefix and msgpack body in one buffer: the entries are encoded once, here."""
    buf = bytearray(4)
    _encode_into(request, buf, 4)
    buf[:4] = (len(buf) - 4).to_bytes(4, "little")
    return buf


class _Child:
    """One writer process, its request pipe, and the requests it has not answered yet."""

    def __init__(self, proc: subprocess.Popen[bytes], loop: asyncio.AbstractEventLoop) -> None:
        self.proc = proc
        self.pipe: asyncio.WriteTransport | None = None
        self.waiting: dict[int, tuple[asyncio.Future[int], int]] = {}
        """Request id -> (caller's future, entries it appends)."""
        self.alive = True
        self.ready: asyncio.Future[str | None] = loop.create_future()
        """Set by the child's first frame: None, or why it cannot open the log."""
        self.done: asyncio.Future[None] = loop.create_future()
        """Set once its answers have all been read (its stdout is closed)."""


class _RequestPipe(asyncio.Protocol):
    """The child's stdin: once it breaks, no more requests go to this child."""

    def __init__(self, child: _Child) -> None:
        self._child = child

    def connection_lost(self, exc: Exception | None) -> None:
        self._child.alive = False


class _AnswerPipe(asyncio.Protocol):
    """The child's stdout, on the event loop: frames go to the log; EOF means it is gone."""

    def __init__(self, log: SQLiteLog, child: _Child) -> None:
        self._log = log
        self._child = child
        self._buf = bytearray()

    def data_received(self, data: bytes) -> None:
        buf = self._buf
        buf += data
        start = 0
        while len(buf) - start >= 4:
            end = start + 4 + int.from_bytes(buf[start : start + 4], "little")
            if end > len(buf):
                break
            self._log._answer(self._child, _decode_answer(buf[start + 4 : end]))
            start = end
        del buf[:start]

    def connection_lost(self, exc: Exception | None) -> None:
        self._log._child_gone(self._child)


class SQLiteLog(EventLog):
    """SQLite file log; `commits` counts transactions (several appends share one)."""

    def __init__(self, path: Path, partitions: int) -> None:
        self.path = path
        self.partitions = partitions
        self.commits = 0
        self._pending = 0
        self._closed = True
        self._child: _Child | None = None
        self._start_lock = asyncio.Lock()
        self._last_id = 0
        self._reader: sqlite3.Connection | None = None
        self._read_lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._appended = AppendSignal()

    @property
    def writer_pid(self) -> int | None:
        """The writer process's pid while it runs (for operators and tests)."""
        child = self._child
        return child.proc.pid if child is not None and child.alive else None

    async def open(self) -> None:
        self._loop = asyncio.get_running_loop()
        await asyncio.to_thread(self._open_files)
        try:
            child = await self._spawn()
        except LogError:
            self._close_reader()
            raise
        error = await child.ready
        if error is not None:
            await self._reap(child)
            self._close_reader()
            raise LogError(error)
        self._child = child
        self._closed = False

    def _open_files(self) -> None:
        """Create and check the schema here, so that errors reach the caller of `open`; the
        connection stays open for reads."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = connect(self.path)
        except (OSError, sqlite3.Error) as error:
            raise LogError(f"cannot open the event log {self.path}: {error}") from None
        try:
            conn.executescript(SCHEMA)
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('partitions', ?)", (self.partitions,))
            (stored,) = conn.execute("SELECT value FROM meta WHERE name = 'partitions'").fetchone()
            if int(stored) != self.partitions:
                raise LogError(
                    f"the event log {self.path} was created with {stored} partitions but the "
                    f"configuration says {self.partitions}; changing it would reorder users' "
                    f"events, so set log.partitions back to {stored}"
                )
            conn.executemany(
                "INSERT OR IGNORE INTO partitions VALUES (?, 0)",
                [(p,) for p in range(self.partitions)],
            )
        except sqlite3.Error as error:
            conn.close()
            raise LogError(f"cannot open the event log {self.path}: {error}") from None
        except LogError:
            conn.close()
            raise
        self._reader = conn

    def _close_reader(self) -> None:
        with self._read_lock:
            if self._reader is not None:
                self._reader.close()
            self._reader = None

    async def _spawn(self) -> _Child:
        """Start a writer child (subprocess, not fork: this process has threads and a loop)."""
        assert self._loop is not None
        argv = [sys.executable, "-m", "eventyard.log.sqlite_child"]
        argv += [str(self.path), str(self.partitions), str(os.getpid())]

        def start() -> subprocess.Popen[bytes]:
            return subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)

        try:
            proc = await asyncio.to_thread(start)  # fork + exec: milliseconds, not on the loop
        except OSError as error:
            raise LogError(f"cannot start the event log writer: {error}") from None
        assert proc.stdin is not None and proc.stdout is not None
        with contextlib.suppress(OSError, AttributeError):  # Linux only
            fcntl.fcntl(proc.stdin.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
        child = _Child(proc, self._loop)
        try:
            pipe, _ = await self._loop.connect_write_pipe(lambda: _RequestPipe(child), proc.stdin)
            await self._loop.connect_read_pipe(lambda: _AnswerPipe(self, child), proc.stdout)
        except BaseException:
            proc.kill()
            await asyncio.to_thread(proc.wait)
            raise
        child.pipe = pipe
        return child

    async def _reap(self, child: _Child) -> None:
        """Make sure a child that is no longer used is gone, all its callers answered."""
        if child.pipe is not None and not child.pipe.is_closing():
            child.pipe.abort()
        if not child.done.done():
            child.proc.kill()
            await child.done
        if child.proc.returncode is None:
            await asyncio.to_thread(child.proc.wait)

    async def _writer(self) -> _Child:
        """The running child; a new one if the last died (its callers got LogError)."""
        async with self._start_lock:
            if self._closed:
                raise LogError("the event log is closed")
            child = self._child
            if child is None or not child.alive:
                if child is not None:
                    await self._reap(child)
                self._child = child = await self._spawn()
            return child

    def _answer(self, child: _Child, answer: Answer) -> None:
        """On the event loop: answer every caller of one transaction."""
        if not child.ready.done():
            child.ready.set_result(answer.error)
            return
        ok = answer.error is None
        waiting = child.waiting
        appended = 0
        for i, request in enumerate(answer.ids):
            future, count = waiting.pop(request)
            self._pending -= count
            appended += count
            if future.done():  # the caller was cancelled; the write still happened
                continue
            if ok:
                future.set_result(answer.values[i])
            else:
                future.set_exception(LogError(f"event log write failed: {answer.error}"))
        if ok:
            self.commits += 1
            if appended:  # not for consumer commits and trims: they would wake every consumer
                self._appended.notify()

    def _child_gone(self, child: _Child) -> None:
        """Its stdout closed: every request it did not answer fails (it may or may not have
        been written; clients retry and deduplication drops the copies)."""
        child.alive = False
        if child.pipe is not None and not child.pipe.is_closing():
            child.pipe.abort()
        if not child.ready.done():
            child.ready.set_result(f"the event log writer for {self.path} exited at start")
        for future, count in child.waiting.values():
            self._pending -= count
            if not future.done():
                future.set_exception(
                    LogError("the event log writer stopped before answering; retry")
                )
        child.waiting.clear()
        if not child.done.done():
            child.done.set_result(None)

    async def _request(self, request: Append | Commit | Trim, count: int) -> int:
        """Send one request to the writer child; its value once the transaction committed."""
        if self._closed or self._loop is None:
            raise LogError("the event log is closed")
        child = self._child
        if child is None or not child.alive:
            child = await self._writer()
        frame = _frame(request)
        future: asyncio.Future[int] = self._loop.create_future()
        child.waiting[request.id] = (future, count)
        self._pending += count
        assert child.pipe is not None
        child.pipe.write(frame)
        return await future

    def _next_id(self) -> int:
        self._last_id += 1
        return self._last_id

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        async with self._start_lock:  # a child being started is in self._child after this
            child = self._child
        if child is not None:
            if child.alive and child.pipe is not None:
                child.pipe.write(_frame(Stop()))
                child.pipe.close()  # after the buffered requests: the child sees the end
            await child.done
            await self._reap(child)
        self._close_reader()

    async def append(self, entries: Sequence[Entry], rejections: Sequence[Rejection] = ()) -> None:
        if self._closed:
            raise LogError("the event log is closed")
        if entries or rejections:
            await self._request(Append(self._next_id(), entries, rejections), len(entries))

    def pending(self) -> int:
        return self._pending

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
        await self._appended.wait(timeout)

    async def commit(self, consumer: str, partition: int, offset: int) -> None:
        await self._request(Commit(self._next_id(), consumer, partition, offset), 0)

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
        return await self._request(Trim(self._next_id(), older_than), 0)

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

    async def rejection_counts(self, since: float, limit: int = 200) -> list[RejectionCount]:
        rows = await self._query(
            lambda c: c.execute(REJECTION_COUNTS.format(p="", mark="?"), (since, limit)).fetchall()
        )
        return [RejectionCount(*row) for row in rows]
