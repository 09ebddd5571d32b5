"""Why did event X (not) reach destination Y: every routing and delivery decision, per event.

Steps are written by the router (duplicate, blocked by a tracking plan, consent, filtered,
not_subscribed, invalid_payload, queued), by the delivery workers (attempt_failed,
delivered, dead, and observed for destinations in observe mode, which send nothing), and by
dead-letter
commands (requeued), always inside the same state transaction as the decision itself, so
the trace never disagrees with the queue. Each step also bumps a persistent count per
(destination, action, step, reason), which `/metrics` exposes as
`eventyard_events_total`. Rows are kept for `pipeline.trace_retention` (7 days by default);
the counts are kept for ever.

`reason` in counts is the HTTP status when a step has one, else the step's short `reason`
(e.g. "filter", "drop", "sample", "conversion_events" for filtered events; the consent
decision for suppressed ones; the problem for invalid payloads;
"timeout" or "connection" for failed attempts without a status; "outbound_policy" when
the outbound policy refused the address): a small set of values,
fit for a metrics label, while `detail` explains the one event.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

__all__ = [
    "SCHEMA",
    "STEPS",
    "Step",
    "counts",
    "purge",
    "queued_detail",
    "queued_events",
    "record",
    "steps_for",
]

STEPS = (
    "duplicate",
    "blocked",
    "consent",
    "filtered",
    "not_subscribed",
    "invalid_payload",
    "queued",
    "attempt_failed",
    "delivered",
    "observed",
    "dead",
    "requeued",
)

_DECODER = json.JSONDecoder()

SCHEMA = """
CREATE TABLE IF NOT EXISTS trace (
    id INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL,
    destination TEXT NOT NULL,
    action TEXT,
    step TEXT NOT NULL,
    detail TEXT NOT NULL,
    status INTEGER,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS trace_message ON trace (message_id);
CREATE TABLE IF NOT EXISTS trace_counts (
    destination TEXT NOT NULL,
    action TEXT NOT NULL,
    step TEXT NOT NULL,
    reason TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (destination, action, step, reason)
) WITHOUT ROWID;
"""


@dataclass(frozen=True, slots=True)
class Step:
    """One decision about one event for one destination (and action, once one is chosen)."""

    message_id: str
    destination: str
    action: str | None
    step: str
    """One of STEPS."""
    detail: str
    """For people: "filter: type = \\"track\\"", "attempt 2: HTTP 503 from ...: busy"."""
    status: int | None
    """The HTTP status that decided an attempt, if any."""
    at: float
    reason: str = ""
    """Short and low-cardinality, counted when there is no status (see the module doc)."""

    @property
    def count_reason(self) -> str:
        return str(self.status) if self.status is not None else self.reason


def record(conn: sqlite3.Connection, steps: Iterable[Step]) -> None:
    """Insert the steps and bump their counts; call inside the caller's state transaction."""
    taken = list(steps)
    if not taken:
        return
    conn.executemany(
        "INSERT INTO trace (message_id, destination, action, step, detail, status, at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(s.message_id, s.destination, s.action, s.step, s.detail, s.status, s.at) for s in taken],
    )
    tally = Counter((s.destination, s.action or "", s.step, s.count_reason) for s in taken)
    conn.executemany(
        "INSERT INTO trace_counts (destination, action, step, reason, count)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (destination, action, step, reason)"
        " DO UPDATE SET count = count + excluded.count",
        [(*key, n) for key, n in tally.items()],
    )


_EVENT = " bytes) for "


def queued_detail(action: str, size: int, event: Mapping[str, Any]) -> str:
    """`queued for send (120 bytes) for track "Order Completed"`: the original event's type
    and (JSON-quoted) name stay in the trace, for pages that otherwise have only the mapped
    payload, which may have renamed or dropped `event`."""
    kind = "".join(str(event.get("type") or "event").split())[:40]
    name = event.get("event") or event.get("name")
    said = f"{kind} {orjson.dumps(str(name)[:200]).decode()}" if name else kind
    return f"queued for {action} ({size}{_EVENT}{said}"


def queued_events(
    conn: sqlite3.Connection, destination: str, message_ids: Collection[str]
) -> dict[str, tuple[str, str]]:
    """(type, name) of the original events, by messageId, from their kept `queued` steps
    (the ones recorded before this was written, or older than the retention, are absent)."""
    found: dict[str, tuple[str, str]] = {}
    ids = list(message_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = conn.execute(
            "SELECT message_id, detail FROM trace WHERE step = 'queued' AND destination = ?"
            f" AND message_id IN ({','.join('?' * len(chunk))})",
            (destination, *chunk),
        )
        for message_id, detail in rows:
            said = _said(detail)
            if said is not None:
                found[message_id] = said
    return found


def _said(detail: str) -> tuple[str, str] | None:
    at = detail.find(_EVENT)
    if at < 0:
        return None
    rest = detail[at + len(_EVENT) :]
    kind, _, after = rest.partition(" ")
    kind = kind.rstrip(";")
    if not after.startswith('"'):
        return kind, ""
    try:
        name, _ = _DECODER.raw_decode(after)
    except ValueError:
        return kind, ""
    return kind, str(name)


def steps_for(conn: sqlite3.Connection, message_id: str) -> list[Step]:
    """Every kept step for a messageId, across destinations, in time order."""
    rows = conn.execute(
        "SELECT message_id, destination, action, step, detail, status, at FROM trace"
        " WHERE message_id = ? ORDER BY at, id",
        (message_id,),
    ).fetchall()
    return [Step(*row) for row in rows]


def counts(conn: sqlite3.Connection) -> list[tuple[str, str, str, str, int]]:
    """(destination, action or "", step, reason or status as text, count), sorted."""
    rows = conn.execute(
        "SELECT destination, action, step, reason, count FROM trace_counts"
        " ORDER BY destination, action, step, reason"
    ).fetchall()
    return [(d, a, s, r, int(n)) for d, a, s, r, n in rows]


def purge(conn: sqlite3.Connection, older_than: float) -> int:
    """Forget steps recorded before `older_than` (Unix time); counts stay. Returns rows.

    Rows are appended in time order, so the old ones are a prefix of the rowids: finding
    the first row to keep walks only the rows to delete, and no index on `at` has to be
    kept up to date on every insert.
    """
    row = conn.execute(
        "SELECT id FROM trace WHERE at >= ? ORDER BY id LIMIT 1", (older_than,)
    ).fetchone()
    if row is None:
        return conn.execute("DELETE FROM trace").rowcount
    return conn.execute("DELETE FROM trace WHERE id < ?", (row[0],)).rowcount
