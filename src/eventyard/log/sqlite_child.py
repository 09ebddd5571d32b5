"""The SQLite event log's writer process: owns the only write connection, group-commits.

Why a process and not a thread: measured on a 2-core machine, the same chunk inserts run in
a thread of the server (or on its event loop) halved ingest throughput. The writer thread
held the GIL only ~5% of the time, yet the event loop's own work (orjson.loads, routing) got
~2.5x slower: the two share the allocator, the CPU caches and the GIL hand-offs. Run in a
separate process, the same work left the HTTP event loop's speed unchanged. So the server
sends each append here once, encoded, and gets a few bytes back per commit.

Protocol, over the child's stdin/stdout: frames of a 4-byte little-endian length and a
msgpack body. Requests are tagged arrays (`Append`, `Commit`, `Trim`, `Stop`); the child
answers one `Answer` per transaction, naming every request id it holds, only after COMMIT
(synchronous=FULL). Its first frame is an `Answer` without ids: ready, or why it cannot open.

It stops on `Stop` or end of stdin after writing what it has received, and also when its
parent dies (the parent pid changes) so that it never lingers. Offsets are read inside each
write transaction, so a writer left over from a killed server cannot make them overlap.

Imports are kept minimal (no server code): a log starts a child on every open.
"""

from __future__ import annotations

import contextlib
import os
import queue
import sqlite3
import sys
import threading
import time
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import msgspec

from eventyard.log.base import Entry, Rejection, partition_for
from eventyard.sqlite_writer import connect, take_all

__all__ = [
    "SCHEMA",
    "Answer",
    "Append",
    "Commit",
    "Job",
    "Request",
    "Stop",
    "Trim",
    "decode_chunk",
    "encode_chunk",
    "main",
    "read_frame",
    "write_frame",
]

SCHEMA = """
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
CREATE INDEX IF NOT EXISTS rejections_at ON rejections (at);
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
_SET_CONSUMER = (
    "INSERT INTO consumer_offsets VALUES (?, ?, ?) "
    "ON CONFLICT (consumer, part) DO UPDATE SET seq = excluded.seq"
)
_pack = msgspec.msgpack.Encoder().encode
_unpack = msgspec.msgpack.Decoder(list[Entry]).decode


def encode_chunk(entries: Sequence[Entry]) -> bytes:
    """msgpack, then zlib level 1: a chunk is several times smaller, and SQLite's cost (page
    copies, WAL, checkpoints, fsync) grows with bytes."""
    return zlib.compress(_pack(entries), 1)


def decode_chunk(blob: bytes) -> list[Entry]:
    """The entries of one stored chunk (for tools that read the file directly)."""
    return _unpack(zlib.decompress(blob))


class Job(msgspec.Struct, array_like=True):
    """A request that is answered after the transaction holding it commits."""

    id: int


class Append(Job, tag=0):
    """Entries and rejections to append; encoded once by the parent, as one array."""

    entries: Sequence[Entry]
    rejections: Sequence[Rejection] = ()


class Commit(Job, tag=1):
    """A consumer's committed offset."""

    consumer: str
    partition: int
    offset: int


class Trim(Job, tag=2):
    """Retention; answered with the number of deleted entries."""

    older_than: float


class Stop(msgspec.Struct, array_like=True, tag=3):
    """Write what was received before this, answer it, exit."""


Request = Append | Commit | Trim | Stop


class Answer(msgspec.Struct, array_like=True):
    """One transaction's outcome for every request in it; `values[i]` answers `ids[i]`."""

    error: str | None
    ids: list[int]
    values: list[int]


def write_frame(out: BinaryIO, body: bytes) -> None:
    """Length-prefixed frame, flushed (the other side waits for it)."""
    out.write(len(body).to_bytes(4, "little") + body)
    out.flush()


def read_frame(source: BinaryIO) -> bytes | None:
    """The next frame's body; None at end of input (a torn last frame counts as the end)."""
    head = source.read(4)
    if len(head) < 4:
        return None
    size = int.from_bytes(head, "little")
    body = source.read(size)
    return body if len(body) == size else None


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
            (floor + 1, encode_chunk(decode_chunk(blob)[head:]), chunk_id),
        )
        deleted += head
    return deleted


def _trim(conn: sqlite3.Connection, older_than: float) -> int:
    floors = conn.execute("SELECT part, MIN(seq) FROM consumer_offsets GROUP BY part")
    deleted = 0
    for part, floor in floors.fetchall():
        deleted += _trim_partition(conn, part, floor, older_than)
    conn.execute("DELETE FROM rejections WHERE at < ?", (older_than,))
    return deleted


def _write(conn: sqlite3.Connection, partitions: int, jobs: list[Job]) -> Answer:
    """Everything received since the last commit, in one transaction: one chunk row per
    partition touched, then the ops in arrival order. Any failure fails the whole group."""
    ids = [job.id for job in jobs]
    now = time.time()
    chunks: dict[int, list[Entry]] = {}
    counts: dict[str, int] = {}
    rejected: list[tuple[str, str, str, bytes, float]] = []
    try:
        conn.execute("BEGIN IMMEDIATE")
        last = dict(conn.execute("SELECT part, last_seq FROM partitions").fetchall())
        for job in jobs:
            if isinstance(job, Append):
                for e in job.entries:
                    chunks.setdefault(partition_for(e.key, partitions), []).append(e)
                    counts[e.source] = counts.get(e.source, 0) + 1
                rejected.extend(
                    (r.source, r.code, r.message, r.payload, now) for r in job.rejections
                )
        rows = []
        for p, entries in chunks.items():
            first = last[p] + 1
            last[p] += len(entries)
            rows.append((p, first, last[p], now, encode_chunk(entries)))
        conn.executemany(_INSERT_CHUNK, rows)
        conn.executemany(_SET_LAST, [(last[p], p) for p in chunks])
        conn.executemany(_COUNT_RECEIVED, counts.items())
        conn.executemany(_INSERT_REJECTION, rejected)
        values = []
        for job in jobs:
            if isinstance(job, Commit):
                conn.execute(_SET_CONSUMER, (job.consumer, job.partition, job.offset))
            values.append(_trim(conn, job.older_than) if isinstance(job, Trim) else 0)
        conn.execute("COMMIT")
    except Exception as exc:  # every caller in the group must hear about it
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        return Answer(str(exc) or type(exc).__name__, ids, [])
    return Answer(None, ids, values)


def _read_requests(source: BinaryIO, jobs: queue.SimpleQueue[Job | None]) -> None:
    """Reader thread: keeps draining the pipe while the writer waits on fsync."""
    decode = msgspec.msgpack.Decoder(Request).decode
    try:
        while (frame := read_frame(source)) is not None:
            request = decode(frame)
            if isinstance(request, Stop):
                break
            jobs.put(request)
    except (OSError, msgspec.DecodeError) as error:
        print(f"eventyard log writer: bad request stream: {error}", file=sys.stderr)
    finally:
        jobs.put(None)


def _watch_parent(parent: int, jobs: queue.SimpleQueue[Job | None]) -> None:
    """Stop once the parent is gone, even if a forked sibling still holds our stdin open."""
    while os.getppid() == parent:
        time.sleep(0.5)
    jobs.put(None)


def main(argv: Sequence[str]) -> int:
    """`python -m eventyard.log.sqlite_child PATH PARTITIONS PARENT_PID`."""
    path, partitions, parent = Path(argv[0]), int(argv[1]), int(argv[2])
    source, out = sys.stdin.buffer, sys.stdout.buffer
    encode = msgspec.msgpack.Encoder().encode
    try:
        conn = connect(path)
    except (OSError, sqlite3.Error) as error:
        write_frame(out, encode(Answer(f"cannot open the event log {path}: {error}", [], [])))
        return 1
    jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
    for target, arg in ((_read_requests, source), (_watch_parent, parent)):
        threading.Thread(target=target, args=(arg, jobs), daemon=True).start()
    try:
        write_frame(out, encode(Answer(None, [], [])))
        stopping = False
        while not stopping:
            batch, stopping = take_all(jobs)
            if batch:
                write_frame(out, encode(_write(conn, partitions, batch)))
    except BrokenPipeError:  # the parent is gone: nobody is waiting for answers
        conn.close()
        os._exit(0)  # not sys.exit: flushing stdout at exit would fail again, noisily
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
