"""Protocols state in state.db: violations counted per day, and the outbox of events to
append to the log (blocked events for the quarantine source, "Violation Generated" events).

Counts are written by the router's stage in the same transaction as the dedup entries of
the events they count, so a batch read again after a crash is not counted again (its
events are duplicates then, and the stage only sees fresh ones). The outbox is written in
that transaction too and emptied after it commits (`pipeline.protocols`). Rows older than
RETENTION_DAYS are purged.

All functions take the state connection inside a transaction and never commit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from eventyard.log.base import Entry

__all__ = [
    "RETENTION_DAYS",
    "SCHEMA",
    "DayCount",
    "EventTally",
    "ViolationRow",
    "add_outbox",
    "day_counts",
    "day_of",
    "drop_outbox",
    "purge",
    "record_events",
    "record_violations",
    "take_outbox",
    "violations",
]

RETENTION_DAYS = 90

SCHEMA = """
CREATE TABLE IF NOT EXISTS protocol_violations (
    day TEXT NOT NULL,
    source TEXT NOT NULL,
    event TEXT NOT NULL,
    path TEXT NOT NULL,
    rule TEXT NOT NULL,
    plan TEXT NOT NULL,
    count INTEGER NOT NULL,
    expected TEXT NOT NULL,
    actual TEXT NOT NULL,
    description TEXT NOT NULL,
    message_id TEXT NOT NULL,
    last_at REAL NOT NULL,
    PRIMARY KEY (day, source, event, path, rule)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS protocol_events (
    day TEXT NOT NULL,
    source TEXT NOT NULL,
    event TEXT NOT NULL,
    plan TEXT NOT NULL,
    checked INTEGER NOT NULL,
    violating INTEGER NOT NULL,
    blocked INTEGER NOT NULL,
    PRIMARY KEY (day, source, event)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS protocol_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    key TEXT NOT NULL,
    message_id TEXT NOT NULL,
    payload BLOB NOT NULL
);
"""


def day_of(at: float) -> str:
    """The UTC day of a Unix time, `2024-05-01`: the unit violations are counted in."""
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d")


@dataclass(frozen=True, slots=True)
class ViolationRow:
    """One violation of one event, or (read back) the count of a day's equal violations
    with the latest example."""

    day: str
    source: str
    event: str
    """The track event's name, else the call type (`identify`, `page`...)."""
    path: str
    rule: str
    plan: str
    expected: str
    actual: str
    description: str
    message_id: str
    """The (latest) example event, whose trace `eventyard trace` shows."""
    at: float
    count: int = 1

    def params(self) -> tuple[object, ...]:
        """The row in `protocol_violations` column order."""
        return (
            self.day, self.source, self.event, self.path, self.rule, self.plan, self.count,
            self.expected, self.actual, self.description, self.message_id, self.at,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class EventTally:
    """Events of one name counted together: checked, with violations, blocked."""

    day: str
    source: str
    event: str
    plan: str
    checked: int
    violating: int
    blocked: int


def record_violations(conn: sqlite3.Connection, rows: Iterable[ViolationRow]) -> None:
    """Add the rows' counts; the latest example (message_id, actual, time) replaces the one
    kept."""
    conn.executemany(
        "INSERT INTO protocol_violations (day, source, event, path, rule, plan, count, expected,"
        " actual, description, message_id, last_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (day, source, event, path, rule) DO UPDATE SET"
        " count = count + excluded.count, plan = excluded.plan, expected = excluded.expected,"
        " actual = excluded.actual, description = excluded.description,"
        " message_id = excluded.message_id, last_at = excluded.last_at",
        [row.params() for row in rows],
    )


def record_events(conn: sqlite3.Connection, tallies: Iterable[EventTally]) -> None:
    conn.executemany(
        "INSERT INTO protocol_events (day, source, event, plan, checked, violating, blocked)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (day, source, event) DO UPDATE SET"
        " checked = checked + excluded.checked, violating = violating + excluded.violating,"
        " blocked = blocked + excluded.blocked, plan = excluded.plan",
        [(t.day, t.source, t.event, t.plan, t.checked, t.violating, t.blocked) for t in tallies],
    )


def _marks(items: Collection[str]) -> str:
    return ",".join("?" * len(items))


def violations(
    conn: sqlite3.Connection,
    sources: Collection[str],
    since: str,
    plan: str | None = None,
    limit: int = 500,
) -> list[ViolationRow]:
    """The violations of these sources from day `since` on, newest day first, most
    frequent first within a day."""
    if not sources:
        return []
    query = (
        "SELECT day, source, event, path, rule, plan, expected, actual, description,"
        f" message_id, last_at, count FROM protocol_violations WHERE source IN ({_marks(sources)})"
        " AND day >= ?"
    )
    args: list[object] = [*sources, since]
    if plan is not None:
        query += " AND plan = ?"
        args.append(plan)
    query += " ORDER BY day DESC, count DESC, event, path LIMIT ?"
    rows = conn.execute(query, (*args, limit)).fetchall()
    return [ViolationRow(*row) for row in rows]


@dataclass(frozen=True, slots=True)
class DayCount:
    day: str
    source: str
    event: str
    plan: str
    checked: int
    violating: int
    blocked: int


def day_counts(
    conn: sqlite3.Connection, sources: Collection[str], since: str, plan: str | None = None
) -> list[DayCount]:
    """Events checked, violating and blocked per day, source and event name."""
    if not sources:
        return []
    query = (
        "SELECT day, source, event, plan, checked, violating, blocked FROM protocol_events"
        f" WHERE source IN ({_marks(sources)}) AND day >= ?"
    )
    args: list[object] = [*sources, since]
    if plan is not None:
        query += " AND plan = ?"
        args.append(plan)
    rows = conn.execute(query + " ORDER BY day DESC, violating DESC, event", args).fetchall()
    return [DayCount(*row) for row in rows]


def add_outbox(conn: sqlite3.Connection, entries: Iterable[Entry]) -> None:
    conn.executemany(
        "INSERT INTO protocol_outbox (source, key, message_id, payload) VALUES (?, ?, ?, ?)",
        [(e.source, e.key, e.message_id, e.payload) for e in entries],
    )


def take_outbox(conn: sqlite3.Connection, limit: int = 1000) -> list[tuple[int, Entry]]:
    """The oldest entries still to append, with their ids (for `drop_outbox`)."""
    rows = conn.execute(
        "SELECT id, source, key, message_id, payload FROM protocol_outbox ORDER BY id LIMIT ?",
        (limit,),
    ).fetchall()
    return [(row[0], Entry(row[1], row[2], row[3], bytes(row[4]))) for row in rows]


def drop_outbox(conn: sqlite3.Connection, ids: Collection[int]) -> None:
    conn.executemany("DELETE FROM protocol_outbox WHERE id = ?", [(i,) for i in ids])


def purge(conn: sqlite3.Connection, before: str) -> int:
    """Forget counts of days before `before`; returns the rows removed."""
    removed = conn.execute("DELETE FROM protocol_violations WHERE day < ?", (before,)).rowcount
    return removed + conn.execute("DELETE FROM protocol_events WHERE day < ?", (before,)).rowcount
