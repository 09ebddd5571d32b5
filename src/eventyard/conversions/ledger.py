"""The conversion ledger: one row per conversion event routed to (or held back from) an ad
destination, which `eventyard compare` reads to put two routes side by side.

Rows are written by the router in its routing transaction: a conversion that went to the
destination's queue (sent or observed, in full or limited-data-use mode), or that consent
suppressed. `at` is the event's own time (its skew-corrected `timestamp`), so two routes of
the same traffic, however late one of them delivers it, put each event in the same period;
`routed_at` bounds how long rows are kept (`pipeline.trace_retention`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

__all__ = ["SCHEMA", "Entry", "purge", "record", "rows"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversion_ledger (
    id INTEGER PRIMARY KEY,
    destination TEXT NOT NULL,
    source TEXT NOT NULL,
    message_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    name TEXT NOT NULL,
    value REAL,
    currency TEXT,
    consent TEXT NOT NULL,
    consent_reason TEXT NOT NULL,
    match_score REAL,
    missing TEXT NOT NULL,
    mode TEXT NOT NULL,
    at REAL NOT NULL,
    routed_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS conversion_ledger_at ON conversion_ledger (destination, at);
CREATE INDEX IF NOT EXISTS conversion_ledger_routed ON conversion_ledger (routed_at);
"""


@dataclass(frozen=True, slots=True)
class Entry:
    """One conversion for one destination."""

    destination: str
    source: str
    message_id: str
    event_id: str
    name: str
    """The canonical name (purchase, lead...)."""
    value: float | None
    currency: str | None
    consent: Literal["send", "limited", "suppress"]
    consent_reason: str
    match_score: float | None
    """0..10 with the destination's weights; None when consent suppressed the event."""
    missing: tuple[str, ...]
    """Weighted identifiers the event lacked, most valuable first."""
    mode: str
    """The destination's mode when routed: send | observe."""
    at: float
    """The event's time (Unix seconds)."""
    routed_at: float


_COLUMNS = (
    "destination, source, message_id, event_id, name, value, currency, consent,"
    " consent_reason, match_score, missing, mode, at, routed_at"
)


def record(conn: sqlite3.Connection, entries: Iterable[Entry]) -> None:
    conn.executemany(
        f"INSERT INTO conversion_ledger ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
        " ?, ?)",
        [
            (
                e.destination,
                e.source,
                e.message_id,
                e.event_id,
                e.name,
                e.value,
                e.currency,
                e.consent,
                e.consent_reason,
                e.match_score,
                " ".join(e.missing),
                e.mode,
                e.at,
                e.routed_at,
            )
            for e in entries
        ],
    )


def rows(conn: sqlite3.Connection, destination: str, since: float, until: float) -> Iterator[Entry]:
    """The destination's entries with `since <= at < until`, oldest first (streamed)."""
    cursor = conn.execute(
        f"SELECT {_COLUMNS} FROM conversion_ledger WHERE destination = ? AND at >= ? AND at < ?"
        " ORDER BY at, id",
        (destination, since, until),
    )
    for row in cursor:
        values = list(row)
        values[10] = tuple(values[10].split())
        yield Entry(*values)


def purge(conn: sqlite3.Connection, older_than: float) -> int:
    """Forget entries routed before `older_than` (Unix time). Returns rows."""
    return conn.execute("DELETE FROM conversion_ledger WHERE routed_at < ?", (older_than,)).rowcount
