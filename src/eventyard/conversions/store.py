"""What conversion delivery remembers in state.db, as functions of a sqlite3.Connection.

- click IDs per user (userId and anonymousId), with when each value was first seen, so that
  a server-side purchase carries the landing page's fbclid/gclid (conversions.md §8.6);
- the conversions sent per destination and event_id, for cross-route deduplication;
- match-quality aggregates per destination, UTC day and canonical event;
- payloads of `mode: observe` destinations, kept instead of sent.

The router writes the first three in its routing transaction, so a re-read of the log after
a crash sees exactly what the first read wrote; the delivery worker writes observed payloads
in the transaction that completes their jobs. No function commits.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from eventyard.conversions.click_ids import merge
from eventyard.conversions.match_quality import Aggregate

__all__ = [
    "CLICK_ID_RETENTION",
    "MATCH_QUALITY_RETENTION",
    "SCHEMA",
    "Observed",
    "Remembered",
    "add_match_quality",
    "day_of",
    "keep_observed",
    "mark_sent",
    "match_quality_by_event",
    "observed",
    "purge",
    "recall_click_ids",
    "remember_click_ids",
    "remembered_click_ids",
    "sent_within",
    "summary",
]

CLICK_ID_RETENTION = 90 * 86400.0
"""Meta's fbc stays usable about 90 days and Google Ads' longest click window is 90 days
(conversions.md §1, §3): an older click ID credits nothing."""
MATCH_QUALITY_RETENTION = 400 * 86400.0
"""Daily rows are tiny; a year and a month allows comparing with the same month last year."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversion_click_ids (
    id_kind TEXT NOT NULL,
    id TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    seen_at REAL NOT NULL,
    PRIMARY KEY (id_kind, id, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS conversion_click_ids_seen ON conversion_click_ids (seen_at);
CREATE TABLE IF NOT EXISTS conversion_sent (
    destination TEXT NOT NULL,
    event_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (destination, event_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS conversion_sent_at ON conversion_sent (at);
CREATE TABLE IF NOT EXISTS match_quality (
    destination TEXT NOT NULL,
    day TEXT NOT NULL,
    event TEXT NOT NULL,
    aggregate TEXT NOT NULL,
    PRIMARY KEY (destination, day, event)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS match_quality_day ON match_quality (day);
CREATE TABLE IF NOT EXISTS observed (
    id INTEGER PRIMARY KEY,
    destination TEXT NOT NULL,
    action TEXT NOT NULL,
    message_id TEXT NOT NULL,
    payload BLOB NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS observed_by_destination ON observed (destination, id);
CREATE INDEX IF NOT EXISTS observed_at ON observed (at);
"""

Identity = tuple[str, str]
"""("user", userId) or ("anonymous", anonymousId)."""
Remembered = dict[Identity, dict[str, tuple[str, float]]]
"""Per identity, click_ids key -> (value, first seen)."""


def day_of(at: float) -> str:
    """The UTC day of a Unix time, `2024-05-01`: the match-quality bucket."""
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d")


def remembered_click_ids(conn: sqlite3.Connection, identities: Sequence[Identity]) -> Remembered:
    """The click IDs remembered for each identity (an identity with none maps to {})."""
    found: Remembered = {identity: {} for identity in identities}
    for kind, key_id in identities:
        rows = conn.execute(
            "SELECT key, value, seen_at FROM conversion_click_ids WHERE id_kind = ? AND id = ?",
            (kind, key_id),
        ).fetchall()
        found[(kind, key_id)] = {key: (value, seen_at) for key, value, seen_at in rows}
    return found


def remember_click_ids(
    conn: sqlite3.Connection, remembered: Remembered, merged: Mapping[str, tuple[str, float]]
) -> None:
    """Store `merged` (key -> (value, first seen)) under every identity of `remembered`
    where it differs from what that identity has."""
    rows = [
        (kind, key_id, key, value, seen_at)
        for (kind, key_id), known in remembered.items()
        for key, (value, seen_at) in merged.items()
        if known.get(key, ("",))[0] != value
    ]
    conn.executemany(
        "INSERT INTO conversion_click_ids (id_kind, id, key, value, seen_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (id_kind, id, key)"
        " DO UPDATE SET value = excluded.value, seen_at = excluded.seen_at",
        rows,
    )


def recall_click_ids(
    conn: sqlite3.Connection,
    identities: Sequence[Identity],
    captured: Mapping[str, str],
    now: float,
) -> dict[str, str]:
    """The user's click IDs after an event that captured `captured`: those remembered under
    any of its identities (the most recently first seen wins) merged with the captured ones
    (`click_ids.merge`), and remembered under every identity, so that a later event with
    only one of the ids (a server-side purchase with just the userId) carries them."""
    remembered = remembered_click_ids(conn, identities)
    latest: dict[str, tuple[str, float]] = {}
    for known in remembered.values():
        for key, (value, seen_at) in known.items():
            if key not in latest or seen_at > latest[key][1]:
                latest[key] = (value, seen_at)
    merged = merge({key: value for key, (value, _) in latest.items()}, captured)
    stamped = {
        key: latest[key] if key in latest and latest[key][0] == value else (value, now)
        for key, value in merged.items()
    }
    remember_click_ids(conn, remembered, stamped)
    return merged


def sent_within(
    conn: sqlite3.Connection, destination: str, event_id: str, since: float
) -> str | None:
    """The messageId that sent this event_id to the destination at or after `since`."""
    row = conn.execute(
        "SELECT message_id FROM conversion_sent WHERE destination = ? AND event_id = ? AND at >= ?",
        (destination, event_id, since),
    ).fetchone()
    return None if row is None else str(row[0])


def mark_sent(
    conn: sqlite3.Connection, destination: str, event_id: str, message_id: str, now: float
) -> None:
    conn.execute(
        "INSERT INTO conversion_sent (destination, event_id, message_id, at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (destination, event_id) DO UPDATE SET message_id = excluded.message_id,"
        " at = excluded.at",
        (destination, event_id, message_id, now),
    )


def add_match_quality(
    conn: sqlite3.Connection, destination: str, day: str, event: str, added: Aggregate
) -> None:
    """Add scores to the destination's aggregate for one day and canonical event."""
    row = conn.execute(
        "SELECT aggregate FROM match_quality WHERE destination = ? AND day = ? AND event = ?",
        (destination, day, event),
    ).fetchone()
    total = Aggregate.from_dict(orjson.loads(row[0])) if row else Aggregate()
    total.merge(added)
    conn.execute(
        "INSERT INTO match_quality (destination, day, event, aggregate) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (destination, day, event) DO UPDATE SET aggregate = excluded.aggregate",
        (destination, day, event, orjson.dumps(total.as_dict()).decode()),
    )


def match_quality_by_event(
    conn: sqlite3.Connection, destination: str, since: float
) -> dict[str, Aggregate]:
    """Per canonical event, the destination's scores from the UTC day of `since` on."""
    found: dict[str, Aggregate] = {}
    for event, data in conn.execute(
        "SELECT event, aggregate FROM match_quality WHERE destination = ? AND day >= ?",
        (destination, day_of(since)),
    ):
        found.setdefault(event, Aggregate()).merge(Aggregate.from_dict(orjson.loads(data)))
    return found


def summary(conn: sqlite3.Connection, destination: str, since: float) -> Aggregate:
    """All of the destination's scores from the UTC day of `since` on (the UI's panel)."""
    total = Aggregate()
    for aggregate in match_quality_by_event(conn, destination, since).values():
        total.merge(aggregate)
    return total


@dataclass(frozen=True, slots=True)
class Observed:
    """A payload an observe-mode destination built and did not send."""

    id: int
    destination: str
    action: str
    message_id: str
    payload: bytes
    at: float


def keep_observed(
    conn: sqlite3.Connection,
    destination: str,
    payloads: Iterable[tuple[str, str, bytes]],
    now: float,
) -> None:
    """Keep (action, message_id, payload JSON) rows for an observe-mode destination."""
    conn.executemany(
        "INSERT INTO observed (destination, action, message_id, payload, at)"
        " VALUES (?, ?, ?, ?, ?)",
        [(destination, action, mid, payload, now) for action, mid, payload in payloads],
    )


def observed(conn: sqlite3.Connection, destination: str, limit: int) -> list[Observed]:
    """The destination's most recent observed payloads, newest first."""
    rows = conn.execute(
        "SELECT id, destination, action, message_id, payload, at FROM observed"
        " WHERE destination = ? ORDER BY id DESC LIMIT ?",
        (destination, limit),
    ).fetchall()
    return [Observed(*row) for row in rows]


def purge(conn: sqlite3.Connection, now: float, dedup_window: float, retention: float) -> int:
    """Forget what can no longer matter: sent keys past the dedup window, click IDs past
    CLICK_ID_RETENTION, observed payloads past `retention` (pipeline.trace_retention) and
    match quality past MATCH_QUALITY_RETENTION. Returns the rows removed."""
    removed = conn.execute("DELETE FROM conversion_sent WHERE at < ?", (now - dedup_window,))
    count = removed.rowcount
    count += conn.execute(
        "DELETE FROM conversion_click_ids WHERE seen_at < ?", (now - CLICK_ID_RETENTION,)
    ).rowcount
    count += conn.execute("DELETE FROM observed WHERE at < ?", (now - retention,)).rowcount
    count += conn.execute(
        "DELETE FROM match_quality WHERE day < ?", (day_of(now - MATCH_QUALITY_RETENTION),)
    ).rowcount
    return count
