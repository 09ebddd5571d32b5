"""messageId deduplication: a message seen again within the window is dropped, and counted.

Runs on the state connection inside the router's transaction, so "seen" is recorded exactly
when the event's delivery jobs are, which makes re-reading the log after a crash harmless.
A messageId is one event across a workspace's sources (a page sending the same event from
the browser and from its backend is counted once), as Segment deduplicates across sources;
a workspace is the unit of isolation, so another workspace's ids never drop an event. Rows
stay per (source, messageId), which the UI's per-source counts read; a source the control
plane does not know (deleted since) is its own scope, and so is a source that receives
copies on purpose (`own_scope`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from eventyard.control.config import Config

__all__ = ["first_seen", "own_scope", "purge"]


_SEEN_IN_WORKSPACE = (
    "SELECT 1 FROM dedup WHERE message_id = ?1 AND seen_at >= ?2 AND source IN"
    " (SELECT name FROM objects WHERE kind = 'source' AND workspace = ?3)"
)
_SEEN_FROM_SOURCE = "SELECT 1 FROM dedup WHERE source = ?3 AND message_id = ?1 AND seen_at >= ?2"


def _workspaces(conn: sqlite3.Connection) -> dict[str, str]:
    """Each source's workspace, from the control plane's objects (none without them)."""
    table = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'objects'"
    if conn.execute(table).fetchone() is None:
        return {}
    rows = conn.execute("SELECT name, workspace FROM objects WHERE kind = 'source'")
    return dict(rows.fetchall())


def own_scope(config: Config) -> frozenset[str]:
    """Sources that receive copies of other sources' events on purpose, so they deduplicate
    only against themselves: a signed Segment webhook source (`webhook_secret`: during a
    migration it carries what the direct route also gets, and `eventyard compare` needs both
    routed) and a tracking plan's quarantine source (`forward_to`: a blocked event keeps its
    messageId there).
    """
    mirrors = {source.name for source in config.sources if source.webhook_secret is not None}
    quarantines = {plan.settings.forward_to for plan in config.tracking_plans}
    return frozenset(mirrors | {name for name in quarantines if name is not None})


def first_seen(
    conn: sqlite3.Connection,
    keys: Sequence[tuple[str, str]],
    now: float,
    window: float,
    own_scope: frozenset[str] = frozenset(),
) -> list[bool]:
    """For each (source, messageId), in order: True if no source of the same workspace sent
    that messageId within `window`, and record it.

    A repeat inside the same batch is a repeat too. Drops are traced (`duplicate` steps)
    by the caller, per destination.
    """
    fresh: list[bool] = []
    cutoff = now - window
    workspaces = _workspaces(conn)
    for source, message_id in keys:
        workspace = None if source in own_scope else workspaces.get(source)
        query = _SEEN_FROM_SOURCE if workspace is None else _SEEN_IN_WORKSPACE
        if conn.execute(query, (message_id, cutoff, workspace or source)).fetchone():
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
