"""The delivery queue as SQL on the state connection: enqueue, claim, finish, dead-letter.

Functions take the connection and run inside a `StateStore.run` transaction. A claimed job
is leased by moving its `next_attempt_at` to the lease end: if the process dies mid-send the
job simply becomes due again, so nothing is lost (at-least-once). A finished job is deleted,
so "an earlier unfinished job of the same user" is just "an earlier row", which is what
ordered destinations wait on.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from eventyard.delivery.state import bump, read_counter

__all__ = [
    "DeadLetter",
    "DestinationStatus",
    "Job",
    "NewJob",
    "bury",
    "claim",
    "complete",
    "dead_letters",
    "insert",
    "next_due",
    "release_leases",
    "reschedule",
    "status",
]

_BLOCKED = (
    "EXISTS (SELECT 1 FROM jobs e WHERE e.destination = j.destination"
    " AND e.user_key = j.user_key AND e.id < j.id)"
)


@dataclass(frozen=True, slots=True)
class NewJob:
    """One event for one destination, as the router enqueues it."""

    destination: str
    user_key: str
    message_id: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed job: what the worker needs to send it and to decide about a failure."""

    id: int
    user_key: str
    message_id: str
    payload: bytes
    created_at: float
    attempts: int


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


def insert(conn: sqlite3.Connection, jobs: Iterable[NewJob], now: float) -> int:
    """Queue jobs due now; returns how many."""
    rows = [(j.destination, j.user_key, j.message_id, j.payload, now, now) for j in jobs]
    conn.executemany(
        "INSERT INTO jobs (destination, user_key, message_id, payload, created_at,"
        " next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)",
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
) -> list[Job]:
    """Lease up to `limit` due jobs; ordered: only each user's earliest unfinished job."""
    where = f"AND NOT {_BLOCKED}" if ordered else ""
    rows = conn.execute(
        "SELECT id, user_key, message_id, payload, created_at, attempts FROM jobs j"
        f" WHERE destination = ? AND next_attempt_at <= ? {where}"
        " ORDER BY next_attempt_at, id LIMIT ?",
        (destination, now, limit),
    ).fetchall()
    conn.executemany(
        "UPDATE jobs SET leased = 1, next_attempt_at = ? WHERE id = ?",
        [(now + lease, row[0]) for row in rows],
    )
    return [Job(*row) for row in rows]


def next_due(conn: sqlite3.Connection, destination: str, *, ordered: bool) -> float | None:
    """When the next job becomes claimable (None if the queue is empty)."""
    where = f"AND NOT {_BLOCKED}" if ordered else ""
    row = conn.execute(
        f"SELECT min(next_attempt_at) FROM jobs j WHERE destination = ? {where}", (destination,)
    ).fetchone()
    return None if row[0] is None else float(row[0])


def complete(conn: sqlite3.Connection, destination: str, ids: Sequence[int]) -> None:
    """Delivered: delete the jobs and count them."""
    conn.executemany("DELETE FROM jobs WHERE id = ?", [(i,) for i in ids])
    bump(conn, f"delivered:{destination}", len(ids))


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
            "INSERT INTO dead_letters (destination, user_key, message_id, payload, created_at,"
            " failed_at, attempts, error) SELECT destination, user_key, message_id, payload,"
            " created_at, ?, attempts + 1, ? FROM jobs WHERE id = ?",
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
    """Make leased jobs due again (at start-up and shutdown: their sends never finished)."""
    cursor = conn.execute(
        "UPDATE jobs SET leased = 0, next_attempt_at = min(next_attempt_at, ?)"
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
    return DestinationStatus(
        name=destination,
        delivered=read_counter(conn, f"delivered:{destination}"),
        retrying=int(retrying),
        pending=int(pending),
        dead=int(dead),
        oldest_pending_age_s=None if oldest is None else max(0.0, now - float(oldest)),
        last_error=error[0] if error else None,
    )


def dead_letters(conn: sqlite3.Connection, destination: str, limit: int) -> list[DeadLetter]:
    """The most recent dead letters of a destination, newest first."""
    rows = conn.execute(
        "SELECT id, destination, message_id, payload, attempts, error, failed_at"
        " FROM dead_letters WHERE destination = ? ORDER BY id DESC LIMIT ?",
        (destination, limit),
    ).fetchall()
    return [DeadLetter(*row) for row in rows]
