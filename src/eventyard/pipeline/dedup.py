"""messageId deduplication: a message seen again within the window is dropped, and counted.

Runs on the state connection inside the router's transaction, so "seen" is recorded exactly
when the event's delivery jobs are, which makes re-reading the log after a crash harmless.
Entries are per (source, messageId): two sources may legitimately share an id space.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

__all__ = ["first_seen", "purge"]


def first_seen(
    conn: sqlite3.Connection,
    keys: Sequence[tuple[str, str]],
    now: float,
    window: float,
) -> list[bool]:
    """For each (source, messageId), in order: True if not seen within `window`, and record it.

    A repeat inside the same batch is a repeat too. Drops are traced (`duplicate` steps)
    by the caller, per destination.
    """
    fresh: list[bool] = []
    cutoff = now - window
    for source, message_id in keys:
        row = conn.execute(
            "SELECT seen_at FROM dedup WHERE source = ? AND message_id = ?", (source, message_id)
        ).fetchone()
        if row is not None and row[0] >= cutoff:
            fresh.append(False)
            continue
        conn.execute(
            "INSERT INTO dedup (source, message_id, seen_at) VALUES (?, ?, ?)"
            " ON CONFLICT (source, message_id) DO UPDATE SET seen_at = excluded.seen_at",
            (source, message_id, now),
        )
        fresh.append(True)
    return fresh


def purge(conn: sqlite3.Connection, now: float, window: float) -> int:
    """Forget entries older than the window (they could no longer drop anything)."""
    return conn.execute("DELETE FROM dedup WHERE seen_at < ?", (now - window,)).rowcount
