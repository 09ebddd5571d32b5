"""The source schema's table in state.db: per (source, event, path, UTC day) how many events
carried the path, how many of them were blocked, first and last seen. Written by the
router's schema stage (`pipeline.schema`), one upsert row per key a batch saw; read by the
Schema page and the mapping field picker.

All functions take the state connection inside a transaction and never commit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from eventyard.protocols.store import day_of

__all__ = [
    "RETENTION_DAYS",
    "SCHEMA",
    "PathCount",
    "add_counts",
    "paths_seen",
    "purge",
    "read_schema",
]

RETENTION_DAYS = 30
_DAY = 86_400.0
_MAX_ROWS = 20_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_paths (
    source TEXT NOT NULL,
    event TEXT NOT NULL,
    path TEXT NOT NULL,
    day TEXT NOT NULL,
    count INTEGER NOT NULL,
    blocked INTEGER NOT NULL,
    first_at REAL NOT NULL,
    last_at REAL NOT NULL,
    PRIMARY KEY (source, event, path, day)
) WITHOUT ROWID;
"""


def add_counts(
    conn: sqlite3.Connection, day: str, now: float, rows: Mapping[tuple[str, str, str], list[int]]
) -> None:
    """Add one batch: (source, event, path) -> [count, blocked]; path "" is the event."""
    conn.executemany(
        "INSERT INTO schema_paths (source, event, path, day, count, blocked, first_at,"
        " last_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, event, path, day)"
        " DO UPDATE SET count = count + excluded.count,"
        " blocked = blocked + excluded.blocked, last_at = excluded.last_at",
        [
            (source, name, path, day, n, blocked, now, now)
            for (source, name, path), (n, blocked) in rows.items()
        ],
    )


def _days_ago(now: float, days: int) -> str:
    """The UTC day `days` before the one `now` falls in, as the rows store it."""
    return day_of(now - days * _DAY)


def purge(conn: sqlite3.Connection, now: float) -> int:
    """Forget days older than RETENTION_DAYS."""
    day = _days_ago(now, RETENTION_DAYS)
    return conn.execute("DELETE FROM schema_paths WHERE day < ?", (day,)).rowcount


@dataclass(frozen=True, slots=True)
class PathCount:
    """One event (path "") or one of its paths over the last 30 days."""

    event: str
    path: str
    day: int
    """The last 24 h: today's count plus yesterday's share of the hours still inside
    (counts are kept per UTC day, so this is an estimate; 7 and 30 days are whole days)."""
    week: int
    month: int
    blocked: int
    first_at: float
    last_at: float


def read_schema(conn: sqlite3.Connection, source: str, now: float) -> list[PathCount]:
    """The source's events and paths with their 24 h, 7 d and 30 d counts (UTC days, today
    included), by event and path; at most 20,000 rows."""
    since = [_days_ago(now, n) for n in (0, 1, 6, RETENTION_DAYS - 1)]
    rows = conn.execute(
        "SELECT event, path, SUM(CASE WHEN day >= ? THEN count ELSE 0 END),"
        " SUM(CASE WHEN day = ? THEN count ELSE 0 END),"
        " SUM(CASE WHEN day >= ? THEN count ELSE 0 END), SUM(count), SUM(blocked),"
        " MIN(first_at), MAX(last_at) FROM schema_paths WHERE source = ? AND day >= ?"
        " GROUP BY event, path ORDER BY event, path LIMIT ?",
        (since[0], since[1], since[2], source, since[3], _MAX_ROWS),
    ).fetchall()
    left = max(0.0, 1.0 - (now % _DAY) / _DAY)  # Unix days are UTC days
    return [
        PathCount(event, path, n_today + round(n_yesterday * left), *rest)
        for event, path, n_today, n_yesterday, *rest in rows
    ]


def paths_seen(
    conn: sqlite3.Connection, sources: Collection[str], now: float, limit: int = 300
) -> list[str]:
    """The property and trait paths these sources sent in 30 days, most frequent first
    (what the mapping field picker offers)."""
    if not sources:
        return []
    since = _days_ago(now, RETENTION_DAYS)
    marks = ",".join("?" * len(sources))
    rows = conn.execute(
        f"SELECT path FROM schema_paths WHERE source IN ({marks}) AND path != '' AND day >= ?"
        " GROUP BY path ORDER BY SUM(count) DESC, path LIMIT ?",
        (*sources, since, limit),
    ).fetchall()
    return [path for (path,) in rows]
