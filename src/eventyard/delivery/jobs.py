"""The delivery queue as SQL on the state connection: enqueue, claim, finish, dead-letter.

A job is one mapped payload of one action of one destination (the router maps at queue
time), so a worker can claim a batch of one action without looking inside payloads.

Functions take the connection and run inside a `StateStore.run` transaction. A claimed job
is leased by moving its `next_attempt_at` to the lease end: if the process dies mid-send the
job simply becomes due again, so nothing is lost (at-least-once). A finished job is deleted,
so "an earlier unfinished job of the same user" is just "an earlier row", which is what
ordered destinations wait on.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from eventyard.delivery import trace

__all__ = [
    "DeadLetter",
    "DestinationStatus",
    "Job",
    "NewJob",
    "bury",
    "claim",
    "complete",
    "dead_letters",
    "head_action",
    "insert",
    "next_due",
    "release_leases",
    "requeue_dead",
    "reschedule",
    "status",
]

_BLOCKED = (
    "EXISTS (SELECT 1 FROM jobs e WHERE e.destination = j.destination"
    " AND e.user_key = j.user_key AND e.id < j.id)"
)


@dataclass(frozen=True, slots=True)
class NewJob:
    """One action's mapped payload for one destination, as the router enqueues it."""

    destination: str
    action: str
    user_key: str
    message_id: str
    payload: bytes
    """The mapped payload as JSON."""
    received_at: float | None = None
    """The event's receivedAt (Unix time), for the delivery latency; None: use created_at."""


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed job: what the worker needs to send it and to decide about a failure."""

    id: int
    action: str
    user_key: str
    message_id: str
    payload: bytes
    created_at: float
    attempts: int
    received_at: float | None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """An event given up on, with the error that decided it."""

    id: int
    destination: str
    message_id: str
    payload: bytes
    attempts: int
    error: str
    failed_at: float
    action: str = ""


@dataclass(frozen=True, slots=True)
class DestinationStatus:
    """What the delivery overview shows for one destination."""

    name: str
    delivered: int
    retrying: int
    """Queued jobs that failed at least once."""
    pending: int
    """All queued jobs, including those in flight and retrying."""
    dead: int
    oldest_pending_age_s: float | None
    last_error: str | None
    observed: int = 0
    """Jobs an observe-mode destination settled without sending (its `delivered`)."""


def insert(conn: sqlite3.Connection, jobs: Iterable[NewJob], now: float) -> int:
    """Queue jobs due now; returns how many."""
    rows = [
        (j.destination, j.action, j.user_key, j.message_id, j.payload, now, now, j.received_at)
        for j in jobs
    ]
    conn.executemany(
        "INSERT INTO jobs (destination, action, user_key, message_id, payload, created_at,"
        " next_attempt_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    return len(rows)


def claim(
    conn: sqlite3.Connection,
    destination: str,
    *,
    ordered: bool,
    limit: int,
    now: float,
    lease: float,
    action: str | None = None,
    max_bytes: int | None = None,
    first_may_exceed: bool = True,
) -> list[Job]:
    """Lease up to `limit` due jobs (of one action, if given); ordered: only each user's
    earliest unfinished job. With `max_bytes`, stop before the payloads' total passes it;
    the first job is taken anyway unless `first_may_exceed` is False (a batch must be able
    to start with an oversized payload, or that payload would block the queue)."""
    where = f"AND NOT {_BLOCKED}" if ordered else ""
    args: tuple[object, ...] = (destination, now)
    if action is not None:
        where += " AND action = ?"
        args += (action,)
    rows = conn.execute(
        "SELECT id, action, user_key, message_id, payload, created_at, attempts, received_at"
        f" FROM jobs j WHERE destination = ? AND next_attempt_at <= ? {where}"
        " ORDER BY next_attempt_at, id LIMIT ?",
        (*args, limit),
    ).fetchall()
    if max_bytes is not None:
        rows = _within(rows, max_bytes, 1 if first_may_exceed else 0)
    for chunk in _chunks([row[0] for row in rows]):
        conn.execute(
            f"UPDATE jobs SET leased = 1, next_attempt_at = ? WHERE id IN ({_marks(chunk)})",
            (now + lease, *chunk),
        )
    return [Job(*row) for row in rows]


_CHUNK = 500


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    """Ids in groups small enough for one statement's parameters."""
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _marks(chunk: Sequence[int]) -> str:
    return ",".join("?" * len(chunk))


def _within(rows: list[Any], max_bytes: int, at_least: int) -> list[Any]:
    total = 0
    for n, row in enumerate(rows):
        total += len(row[4])
        if n >= at_least and total > max_bytes:
            return rows[:n]
    return rows


def head_action(
    conn: sqlite3.Connection, destination: str, *, ordered: bool, now: float
) -> str | None:
    """The action of the job that a claim would take first (None: nothing is due)."""
    where = f"AND NOT {_BLOCKED}" if ordered else ""
    row = conn.execute(
        f"SELECT action FROM jobs j WHERE destination = ? AND next_attempt_at <= ? {where}"
        " ORDER BY next_attempt_at, id LIMIT 1",
        (destination, now),
    ).fetchone()
    return None if row is None else str(row[0])


def next_due(conn: sqlite3.Connection, destination: str, *, ordered: bool) -> float | None:
    """When the next job becomes claimable (None if the queue is empty)."""
    where = f"AND NOT {_BLOCKED}" if ordered else ""
    row = conn.execute(
        f"SELECT min(next_attempt_at) FROM jobs j WHERE destination = ? {where}", (destination,)
    ).fetchone()
    return None if row[0] is None else float(row[0])


def complete(conn: sqlite3.Connection, destination: str, ids: Sequence[int]) -> None:
    """Delivered: delete the jobs (the caller's `delivered` trace steps count them)."""
    for chunk in _chunks(ids):
        conn.execute(f"DELETE FROM jobs WHERE id IN ({_marks(chunk)})", tuple(chunk))


def reschedule(
    conn: sqlite3.Connection,
    destination: str,
    due: Sequence[tuple[int, float]],
    error: str,
    now: float,
) -> None:
    """A retryable failure: count the attempt and set each job's next attempt time."""
    conn.executemany(
        "UPDATE jobs SET attempts = attempts + 1, leased = 0, last_error = ?,"
        " next_attempt_at = ? WHERE id = ?",
        [(error, at, job_id) for job_id, at in due],
    )
    _note_error(conn, destination, error, now)


def bury(
    conn: sqlite3.Connection, destination: str, ids: Sequence[int], error: str, now: float
) -> None:
    """Give up: move the jobs to dead letters with the error that decided it."""
    for job_id in ids:
        conn.execute(
            "INSERT INTO dead_letters (destination, action, user_key, message_id, payload,"
            " created_at, failed_at, attempts, error, received_at) SELECT destination, action,"
            " user_key, message_id, payload, created_at, ?, attempts + 1, ?, received_at"
            " FROM jobs WHERE id = ?",
            (now, error, job_id),
        )
        conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
    _note_error(conn, destination, error, now)


def _note_error(conn: sqlite3.Connection, destination: str, error: str, at: float) -> None:
    conn.execute(
        "INSERT INTO destination_errors (destination, error, at) VALUES (?, ?, ?)"
        " ON CONFLICT (destination) DO UPDATE SET error = excluded.error, at = excluded.at",
        (destination, error, at),
    )


def release_leases(conn: sqlite3.Connection, destination: str, now: float) -> int:
    """Make leased jobs due again (at start-up and shutdown: their sends never finished),
    in their place in the queue: due since they were queued, so that a job cut short by a
    crash is not sent after the ones queued behind it."""
    cursor = conn.execute(
        "UPDATE jobs SET leased = 0, next_attempt_at = min(created_at, ?)"
        " WHERE destination = ? AND leased = 1",
        (now, destination),
    )
    return cursor.rowcount


def status(conn: sqlite3.Connection, destination: str, now: float) -> DestinationStatus:
    """Counts for the overview; one scan of the destination's queue."""
    pending, retrying, oldest = conn.execute(
        "SELECT count(*), coalesce(sum(attempts > 0), 0), min(created_at) FROM jobs"
        " WHERE destination = ?",
        (destination,),
    ).fetchone()
    (dead,) = conn.execute(
        "SELECT count(*) FROM dead_letters WHERE destination = ?", (destination,)
    ).fetchone()
    error = conn.execute(
        "SELECT error FROM destination_errors WHERE destination = ?", (destination,)
    ).fetchone()
    settled = _settled(conn, destination)
    return DestinationStatus(
        name=destination,
        delivered=settled.get("delivered", 0),
        retrying=int(retrying),
        pending=int(pending),
        dead=int(dead),
        oldest_pending_age_s=None if oldest is None else max(0.0, now - float(oldest)),
        last_error=error[0] if error else None,
        observed=settled.get("observed", 0),
    )


def _settled(conn: sqlite3.Connection, destination: str) -> dict[str, int]:
    """Delivered and observed steps, as counted by the trace (absent: none)."""
    rows = conn.execute(
        "SELECT step, sum(count) FROM trace_counts"
        " WHERE destination = ? AND step IN ('delivered', 'observed') GROUP BY step",
        (destination,),
    )
    return {step: int(count) for step, count in rows}


def dead_letters(conn: sqlite3.Connection, destination: str, limit: int) -> list[DeadLetter]:
    """The most recent dead letters of a destination, newest first."""
    rows = conn.execute(
        "SELECT id, destination, message_id, payload, attempts, error, failed_at, action"
        " FROM dead_letters WHERE destination = ? ORDER BY id DESC LIMIT ?",
        (destination, limit),
    ).fetchall()
    return [DeadLetter(*row) for row in rows]


def requeue_dead(
    conn: sqlite3.Connection,
    destination: str | None,
    since: float | None,
    now: float,
    ids: Sequence[int] | None = None,
) -> int:
    """Put dead letters (of one destination, or all; failed at or after `since`, or all;
    with the given `ids`, or all) back in the queue, due now with their attempts reset; each
    gets a `requeued` step. Ids that name no such letter are skipped."""
    select = (
        "SELECT id, destination, action, message_id, error FROM dead_letters"
        " WHERE (?1 IS NULL OR destination = ?1) AND (?2 IS NULL OR failed_at >= ?2)"
    )
    if ids is None:
        rows = conn.execute(select + " ORDER BY id", (destination, since)).fetchall()
    else:
        rows = []
        for chunk in _chunks(sorted(set(ids))):
            rows += conn.execute(
                select + f" AND id IN ({_marks(chunk)}) ORDER BY id", (destination, since, *chunk)
            ).fetchall()
    found = [(row[0],) for row in rows]
    conn.executemany(
        "INSERT INTO jobs (destination, action, user_key, message_id, payload, created_at,"
        " next_attempt_at, received_at) SELECT destination, action, user_key, message_id,"
        " payload, ?, ?, received_at FROM dead_letters WHERE id = ?",
        [(now, now, row_id) for (row_id,) in found],
    )
    conn.executemany("DELETE FROM dead_letters WHERE id = ?", found)
    trace.record(
        conn,
        (
            trace.Step(mid, dest, action, "requeued", f"requeued after: {error}", None, now)
            for _, dest, action, mid, error in rows
        ),
    )
    return len(rows)
