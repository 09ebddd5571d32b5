"""Replays as rows of the state database, so that a replay survives a crash.

`cursor` is the archive position (partition, offset) of the last event a replay finished
with. It is written by `advance`, inside the same state transaction that inserts that
chunk's delivery jobs and trace steps: either both are on disk or neither is, so a replay
started again resumes exactly after the last chunk whose jobs were queued - no event is
queued twice for a destination, none is skipped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from eventyard.delivery import jobs, trace
from eventyard.delivery.jobs import NewJob

__all__ = ["SCHEMA", "Replay", "advance", "create", "finish", "get", "unfinished"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS replays (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    start TEXT NOT NULL,
    end TEXT NOT NULL,
    where_fql TEXT,
    destinations TEXT NOT NULL,
    rate REAL,
    status TEXT NOT NULL,
    total INTEGER,
    done INTEGER NOT NULL DEFAULT 0,
    queued INTEGER NOT NULL DEFAULT 0,
    cursor_partition INTEGER NOT NULL DEFAULT -1,
    cursor_offset INTEGER NOT NULL DEFAULT -1,
    error TEXT,
    created_at REAL NOT NULL,
    finished_at REAL
)
"""

_COLUMNS = (
    "id, source, start, end, where_fql, destinations, rate, status, total, done, queued,"
    " cursor_partition, cursor_offset, error, created_at, finished_at"
)


@dataclass(frozen=True, slots=True)
class Replay:
    id: str
    source: str
    start: str
    end: str
    where: str | None
    destinations: list[str]
    rate: float | None
    status: str
    """running, done or failed."""
    total: int | None
    """Events in the range after `where`; None until the archive was read."""
    done: int
    queued: int
    cursor: tuple[int, int]
    error: str | None
    created_at: float
    finished_at: float | None


def _replay(row: Sequence[object]) -> Replay:
    (rid, source, start, end, where, dests, rate, status, total, done, queued, part, offset,
     error, created, finished) = row  # fmt: skip
    return Replay(
        str(rid), str(source), str(start), str(end),
        None if where is None else str(where),
        list(orjson.loads(str(dests))),
        None if rate is None else float(str(rate)),
        str(status),
        None if total is None else int(str(total)),
        int(str(done)), int(str(queued)), (int(str(part)), int(str(offset))),
        None if error is None else str(error),
        float(str(created)),
        None if finished is None else float(str(finished)),
    )  # fmt: skip


def create(conn: sqlite3.Connection, replay: Replay) -> None:
    conn.execute(
        f"INSERT INTO replays ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            replay.id, replay.source, replay.start, replay.end, replay.where,
            orjson.dumps(replay.destinations).decode(), replay.rate, replay.status,
            replay.total, replay.done, replay.queued, *replay.cursor, replay.error,
            replay.created_at, replay.finished_at,
        ),
    )  # fmt: skip


def get(conn: sqlite3.Connection, replay_id: str) -> Replay | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM replays WHERE id = ?", (replay_id,)).fetchone()
    return None if row is None else _replay(row)


def unfinished(conn: sqlite3.Connection) -> list[Replay]:
    """Replays a crash or a shutdown interrupted, oldest first."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM replays WHERE status = 'running' ORDER BY created_at"
    ).fetchall()
    return [_replay(row) for row in rows]


def set_total(conn: sqlite3.Connection, replay_id: str, total: int) -> None:
    conn.execute("UPDATE replays SET total = ? WHERE id = ?", (total, replay_id))


def advance(
    conn: sqlite3.Connection,
    replay_id: str,
    cursor: tuple[int, int],
    events: int,
    new_jobs: Sequence[NewJob],
    steps: Sequence[trace.Step],
    now: float,
) -> int:
    """Queue one chunk's jobs and move the cursor past it, atomically; returns jobs queued."""
    queued = jobs.insert(conn, new_jobs, now)
    trace.record(conn, steps)
    conn.execute(
        "UPDATE replays SET cursor_partition = ?, cursor_offset = ?, done = done + ?,"
        " queued = queued + ? WHERE id = ?",
        (*cursor, events, queued, replay_id),
    )
    return queued


def finish(
    conn: sqlite3.Connection, replay_id: str, status: str, error: str | None, now: float
) -> None:
    conn.execute(
        "UPDATE replays SET status = ?, error = ?, finished_at = ? WHERE id = ?",
        (status, error, now, replay_id),
    )
