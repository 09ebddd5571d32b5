"""The change feed that Profiles Sync copies to the warehouses (`sync.py`).

Written in the same transaction as the change itself, so a warehouse never sees a change
that did not happen, nor misses one. Rows follow Segment's raw Profiles Sync tables:
- `id_graph`: segment_id -> canonical_segment_id, on creation (itself) and on every merge,
  with a row for every id that pointed at the merged profile (Segment's "recursive
  entries"), so the newest row per segment_id is always the canonical id;
- `external_id`: an identifier's (new) profile; a NULL segment_id when it left every profile;
- `trait`: a trait's value on a profile (NULL `value` + removed: it is gone). The newest row
  per (canonical profile, name) is the current value: merges and replays write out the
  whole resulting trait set, so an older profile's rows can never win.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from eventyard.profiles.events import Seen
from eventyard.profiles.identifiers import Ident
from eventyard.profiles.sql import Sql

__all__ = ["Feed"]


class Feed:
    def __init__(self, sql: Sql, enabled: bool) -> None:
        self.sql = sql
        self.enabled = enabled

    def _write(self, kind: str, row: dict[str, Any]) -> None:
        if self.enabled:
            self.sql.run(
                "INSERT INTO feed (kind, row) VALUES (?, ?)", (kind, orjson.dumps(row).decode())
            )

    def id_graph(self, segment_id: str, canonical: str, seen: Seen) -> None:
        self._write(
            "id_graph",
            {
                "segment_id": segment_id,
                "canonical_segment_id": canonical,
                "triggering_event_type": seen.type,
                "triggering_event_id": seen.message_id,
                "timestamp": seen.at,
            },
        )

    def external_id(self, profile: str | None, ident: Ident, seen: Seen) -> None:
        self._write(
            "external_id",
            {
                "segment_id": profile,
                "external_id_type": ident[0],
                "external_id_value": ident[1],
                "triggering_event_id": seen.message_id,
                "triggering_event_type": seen.type,
                "triggering_event_name": seen.event,
                "triggering_event_source_name": seen.source,
                "timestamp": seen.at,
            },
        )

    def trait(self, profile: str, name: str, value: Any, at: float, message_id: str) -> None:
        """`value` is the trait's JSON text, or None when the trait is gone."""
        self._write(
            "trait",
            {
                "segment_id": profile,
                "name": name,
                "value": value,
                "removed": value is None,
                "triggering_event_id": message_id,
                "timestamp": at,
            },
        )

    def snapshot(self, profile: str, seen: Seen, gone: Iterable[str] = ()) -> None:
        """The profile's whole trait set (traits and computed traits); names in `gone` that
        it no longer has are written as removed."""
        if not self.enabled:
            return
        present: dict[str, tuple[str | None, float, str]] = {}
        for key, value, at, message_id in self.sql.all(
            "SELECT key, value, ts, message_id FROM traits WHERE profile_id = ?", (profile,)
        ):
            present[key] = (value, float(at), message_id)
        for key, value in self.sql.all(
            "SELECT key, value FROM computed WHERE profile_id = ?", (profile,)
        ):
            present[key] = (value, *seen.key)
        for name in sorted({*gone, *present}):
            value, at, message_id = present.get(name, (None, *seen.key))
            self.trait(profile, name, value, at, message_id)
