"""A source's schema (Segment's Schema tab): every event name, property and trait path seen,
counted per UTC day, and the events a source blocks (`sources[].schema.blocked_events`).

Both run in the router's state transaction. Counting is aggregated per batch: one upsert
row per (source, event, path) a batch saw, never a write per event. Only fresh events of
routed sources are counted (a batch read again after a crash finds them duplicates), and
every event of a source without destinations, which skips dedup (such a batch read again
is counted twice). A blocked event gets a `blocked` trace step, reason `schema`, for every
destination of its source, before a tracking plan sees it; it is still counted here, so
the Schema page shows what blocking holds back (`protocols.schema_store`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from eventyard.control.config import Config
from eventyard.delivery.trace import Step
from eventyard.log.base import LogRecord
from eventyard.pipeline.enqueue import decode_event
from eventyard.protocols import schema_store
from eventyard.protocols.store import day_of

__all__ = ["MAX_PATHS", "SchemaStage", "blocked_steps", "event_name", "paths_of"]

MAX_PATHS = 200
"""Per event: the paths of a wider event are left uncounted (bounded work per event)."""
_MAX_DEPTH = 6
_MAX_ITEMS = 10
_MAX_KEY = 200


Routed = list[tuple[LogRecord, list[str]]]


def event_name(event: Mapping[str, Any]) -> str:
    """A track event's name, else the call's type: what the schema lists and blocks."""
    kind = event.get("type")
    if kind == "track":
        name = event.get("event")
        return name if isinstance(name, str) and name else "(no event name)"
    return kind if isinstance(kind, str) else "(no type)"


def _walk(value: dict[str, Any], prefix: str, depth: int, out: dict[str, None]) -> None:
    """Add the paths of an object's keys; only containers are descended into (most values
    are scalars, and this runs for every event)."""
    for key, sub in value.items():
        if len(out) >= MAX_PATHS:
            return
        if len(key) > _MAX_KEY:
            continue
        path = f"{prefix}.{key}"
        out[path] = None
        if depth < _MAX_DEPTH:
            kind = type(sub)
            if kind is dict:
                _walk(sub, path, depth + 1, out)
            elif kind is list:
                _walk_items(sub, path + "[]", depth + 1, out)


def _walk_items(items: list[Any], prefix: str, depth: int, out: dict[str, None]) -> None:
    for item in items[:_MAX_ITEMS]:
        kind = type(item)
        if kind is dict:
            _walk(item, prefix, depth, out)
        elif kind is list:
            _walk_items(item, prefix + "[]", depth, out)


def paths_of(event: Mapping[str, Any]) -> list[str]:
    """`properties.*` and (identify, group) `traits.*` paths; arrays as `items[].sku`."""
    out: dict[str, None] = {}  # an ordered set
    properties = event.get("properties")
    if type(properties) is dict:
        _walk(properties, "properties", 0, out)
    traits = event.get("traits")
    if type(traits) is dict and event.get("type") in ("identify", "group"):
        _walk(traits, "traits", 0, out)
    return list(out)


@dataclass
class _Batch:
    now: float
    day: str
    rows: dict[tuple[str, str, str], list[int]] = field(default_factory=dict)
    """(source, event, path) -> [count, blocked]; path "" is the event itself."""

    def add(self, source: str, name: str, paths: list[str], blocked: bool) -> None:
        rows = self.rows
        for path in ("", *paths):
            key = (source, name, path)
            row = rows.get(key)
            if row is None:
                rows[key] = [1, int(blocked)]
            else:
                row[0] += 1
                row[1] += blocked


def blocked_steps(
    source: str, name: str, message_id: str, destinations: Iterable[str], now: float
) -> list[Step]:
    """A `blocked` step, reason `schema`, per destination the event would have reached."""
    detail = (
        f"blocked by schema: source {source!r} blocks {name!r} (sources[].schema.blocked_events)"
    )
    return [
        Step(message_id, dest, None, "blocked", detail, None, now, "schema")
        for dest in destinations
    ]


class SchemaStage:
    """Counting and blocking for one configuration; the router replaces it on change."""

    def __init__(self, config: Config) -> None:
        self.sources = frozenset(source.name for source in config.sources)
        self.blocked = {
            source.name: frozenset(source.schema.blocked_events)
            for source in config.sources
            if source.schema is not None and source.schema.blocked_events
        }
        self._purged = ""

    def screen(
        self,
        conn: sqlite3.Connection,
        unrouted: Iterable[LogRecord],
        routed: Routed,
        fresh: list[bool],
        now: float,
        steps: list[Step],
    ) -> tuple[Routed, list[bool]]:
        """Count the batch's events; returns the routed records minus the blocked ones
        (whose `blocked` steps go to `steps`)."""
        batch = _Batch(now, day_of(now))
        for record in unrouted:
            self._count(batch, record)
        kept: Routed = []
        kept_fresh: list[bool] = []
        for (record, connected), is_new in zip(routed, fresh, strict=True):
            name = self._count(batch, record) if is_new else None
            if name is not None:
                steps += blocked_steps(record.source, name, record.message_id, connected, now)
                continue
            kept.append((record, connected))
            kept_fresh.append(is_new)
        schema_store.add_counts(conn, batch.day, now, batch.rows)
        if batch.day != self._purged:
            schema_store.purge(conn, now)
            self._purged = batch.day
        return kept, kept_fresh

    def blocks(self, source: str, event: Mapping[str, Any]) -> str | None:
        """The event's name when `source` blocks it (replays ask this too)."""
        name = event_name(event)
        return name if name in self.blocked.get(source, ()) else None

    def _count(self, batch: _Batch, record: LogRecord) -> str | None:
        """Count the record's event and paths; its name when its source blocks it."""
        event = decode_event(record.payload) if record.source in self.sources else None
        if event is None:
            return None
        blocked = self.blocks(record.source, event)
        batch.add(record.source, event_name(event), paths_of(event), blocked is not None)
        return blocked
