"""What the delivery pages count: plain functions of the state connection (run them through
`StateStore.run`), kept out of the page modules so that they can be tested on their own.

The trace has no index on time, but its rows are appended in time order, so a time window
is a suffix of the row ids: `_first_id` finds its start by bisecting the ids, and every query
then reads only the rows of the window. Measured on 1M rows (7 days, 20 destinations): a
destination's page reads its day in ~20 ms and its week in ~150 ms this way; an index on
(destination, at, step) would make that ~5 and ~30 ms, but more than double the cost of
recording each step on the delivery path (8 -> 19 us), so there is none.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from eventyard.delivery import jobs
from eventyard.delivery.jobs import DeadLetter, DestinationStatus

__all__ = [
    "SERIES",
    "DestinationHealth",
    "ErrorCount",
    "Outcomes",
    "SourceCounts",
    "dead_counts",
    "dead_letters",
    "health",
    "outcomes",
    "requeue_letters",
    "shown_series",
    "source_counts",
    "timeline",
    "top_errors",
]

Series = Literal["delivered", "observed", "retried", "filtered", "dead"]
SERIES: tuple[Series, ...] = ("delivered", "observed", "retried", "filtered", "dead")
_STEP_SERIES: dict[str, Series] = {
    "delivered": "delivered",
    "observed": "observed",
    "attempt_failed": "retried",
    "filtered": "filtered",
    "not_subscribed": "filtered",
    "duplicate": "filtered",
    "consent": "filtered",
    "dead": "dead",
}
"""Trace steps per chart series; steps not named here (queued, requeued...) are not drawn.
`observed` is an observe-mode destination's successful end, in place of `delivered`."""
_SETTLED = frozenset({"delivered", "observed"})
_ERROR_STEPS = ("attempt_failed", "dead", "invalid_payload")


@dataclass(slots=True)
class Outcomes:
    """Events of one destination in a window, per series."""

    delivered: int = 0
    observed: int = 0
    retried: int = 0
    filtered: int = 0
    dead: int = 0
    last_delivered_at: float | None = None
    """The newest delivered (or observed) event's time."""

    def add(self, step: str, count: int) -> None:
        series = _STEP_SERIES.get(step)
        if series is not None:
            self.add_series(series, count)

    def add_series(self, series: Series, count: int) -> None:
        setattr(self, series, getattr(self, series) + count)

    def get(self, series: Series) -> int:
        return int(getattr(self, series))


def shown_series(mode: str, totals: Outcomes) -> tuple[Series, ...]:
    """The series a destination's chart and counts show: `observed` in place of `delivered`
    in observe mode, and both when the range holds both (the mode changed in it)."""
    hidden = "delivered" if mode == "observe" else "observed"
    return tuple(s for s in SERIES if s != hidden or totals.get(s))


@dataclass(frozen=True, slots=True)
class ErrorCount:
    message: str
    """The error without its "attempt N: " prefix nor the "(still failing after max_age"
    note of the last one, so that retries of one cause group."""
    count: int
    last_at: float


@dataclass(frozen=True, slots=True)
class DestinationHealth:
    status: DestinationStatus
    outcomes: Outcomes
    """The last 24 hours (or the window asked for)."""
    failing: bool
    """The last error is newer than the last delivery (and inside the window)."""
    last_error_at: float | None


@dataclass(slots=True)
class SourceCounts:
    last_hour: int = 0
    last_day: int = 0
    per_hour: list[int] = field(default_factory=list)


def _first_id(conn: sqlite3.Connection, since: float) -> int | None:
    """The first trace row id at or after `since` (None: no row is that recent)."""
    # two subqueries: SQLite reads min() or max() of the rowid from the b-tree's edge, but a
    # single `SELECT min(id), max(id)` scans the whole table
    low, high = conn.execute(
        "SELECT (SELECT min(id) FROM trace), (SELECT max(id) FROM trace)"
    ).fetchone()
    if low is None:
        return None
    (last_at,) = conn.execute("SELECT at FROM trace WHERE id = ?", (high,)).fetchone()
    if last_at < since:
        return None
    while low < high:
        middle = (low + high) // 2
        row_id, at = conn.execute(
            "SELECT id, at FROM trace WHERE id >= ? ORDER BY id LIMIT 1", (middle,)
        ).fetchone()
        if at >= since:
            high = middle
        else:
            low = row_id + 1
    return int(low)


def outcomes(
    conn: sqlite3.Connection, destinations: Collection[str], since: float
) -> dict[str, Outcomes]:
    """Per destination, what happened to its events since `since` (every name is present)."""
    result = {name: Outcomes() for name in destinations}
    start = _first_id(conn, since)
    if start is None:
        return result
    rows = conn.execute(
        "SELECT destination, step, count(*), max(at) FROM trace WHERE id >= ? AND at >= ?"
        " GROUP BY destination, step",
        (start, since),
    )
    for destination, step, count, last in rows:
        into = result.get(destination)
        if into is None:
            continue
        into.add(step, count)
        if step in _SETTLED:
            at = float(last)
            into.last_delivered_at = max(at, into.last_delivered_at or at)
    return result


def timeline(
    conn: sqlite3.Connection, destination: str, start: float, bucket_s: float, buckets: int
) -> list[Outcomes]:
    """`buckets` consecutive windows of `bucket_s` seconds from `start`, oldest first."""
    result = [Outcomes() for _ in range(buckets)]
    first = _first_id(conn, start)
    if first is None:
        return result
    rows = conn.execute(
        "SELECT CAST((at - ?1) / ?2 AS INTEGER) AS bucket, step, count(*) FROM trace"
        " WHERE id >= ?3 AND destination = ?4 AND at >= ?1 AND at < ?1 + ?2 * ?5"
        " GROUP BY bucket, step",
        (start, bucket_s, first, destination, buckets),
    )
    for bucket, step, count in rows:
        result[bucket].add(step, count)
    return result


_GAVE_UP = " (still failing after max_age "
"""What a dead letter's error adds to the cause its retries had (`delivery.settle`)."""


def top_errors(
    conn: sqlite3.Connection, destination: str, since: float, limit: int = 10
) -> list[ErrorCount]:
    """The most frequent errors (failed attempts, dead letters, unbuildable payloads)."""
    first = _first_id(conn, since)
    if first is None:
        return []
    marks = ",".join("?" * len(_ERROR_STEPS))
    rows = conn.execute(
        "SELECT CASE WHEN instr(error, ?) > 0 THEN substr(error, 1, instr(error, ?) - 1)"
        " ELSE error END AS cause, count(*) AS n, max(at) FROM ("
        " SELECT CASE WHEN detail GLOB 'attempt [0-9]*: *'"
        " THEN substr(detail, instr(detail, ': ') + 2) ELSE detail END AS error, at FROM trace"
        f" WHERE id >= ? AND destination = ? AND at >= ? AND step IN ({marks}))"
        " GROUP BY cause ORDER BY n DESC, max(at) DESC LIMIT ?",
        (_GAVE_UP, _GAVE_UP, first, destination, since, *_ERROR_STEPS, limit),
    )
    return [ErrorCount(str(message), int(n), float(at)) for message, n, at in rows]


def health(
    conn: sqlite3.Connection, destinations: Sequence[str], since: float, now: float
) -> list[DestinationHealth]:
    """Queue, counts since `since` and whether each destination is failing right now."""
    counts = outcomes(conn, destinations, since)
    errors = dict(conn.execute("SELECT destination, at FROM destination_errors").fetchall())
    result = []
    for name in destinations:
        error_at: float | None = errors.get(name)
        delivered_at = counts[name].last_delivered_at
        failing = error_at is not None and error_at >= since
        if error_at is not None and delivered_at is not None:
            failing = failing and error_at > delivered_at
        result.append(
            DestinationHealth(jobs.status(conn, name, now), counts[name], failing, error_at)
        )
    return result


def source_counts(
    conn: sqlite3.Connection, sources: Iterable[str], now: float
) -> dict[str, SourceCounts]:
    """Events per source in the last hour and day, from the routing's dedup entries: they
    hold each routed event once for `pipeline.dedup_window` (a day by default), so a source
    with no destination connected counts nothing here."""
    result = {name: SourceCounts(per_hour=[0] * 24) for name in sources}
    rows = conn.execute(
        "SELECT source, CAST((?1 - seen_at) / 3600 AS INTEGER) AS age, count(*) FROM dedup"
        " WHERE seen_at > ?1 - 86400 GROUP BY source, age",
        (now,),
    )
    for source, age, count in rows:
        into = result.get(source)
        if into is None or not 0 <= age < 24:
            continue
        into.last_day += count
        into.per_hour[23 - age] += count
        if age == 0:
            into.last_hour += count
    return result


def dead_counts(conn: sqlite3.Connection, destinations: Iterable[str]) -> dict[str, int]:
    """Dead letters kept per destination (every name is present)."""
    result = dict.fromkeys(destinations, 0)
    for name, count in conn.execute(
        "SELECT destination, count(*) FROM dead_letters GROUP BY destination"
    ):
        if name in result:
            result[name] = int(count)
    return result


def dead_letters(
    conn: sqlite3.Connection, destinations: Iterable[str], limit: int
) -> dict[str, list[DeadLetter]]:
    """The newest `limit` dead letters of each destination."""
    return {name: jobs.dead_letters(conn, name, limit) for name in destinations}


def requeue_letters(
    conn: sqlite3.Connection, destinations: Iterable[str], ids: Sequence[int], now: float
) -> int:
    """Put chosen dead letters back in the queue, only those of `destinations` (a page may
    name ids of another workspace)."""
    return sum(jobs.requeue_dead(conn, name, None, now, ids) for name in destinations)
