"""Traits: per profile (identify) or account (group), the newest value of each key wins.

"Newest" is by event time, then messageId, never by arrival: the same events in any order
give the same traits. Each value keeps the source and the time it came from (the Profile
API's `verbose=true`). Segment: "last update wins across sources".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from eventyard.profiles.events import Seen
from eventyard.profiles.sql import Sql, marks

__all__ = ["Trait", "apply", "current", "merge", "recompute", "remove", "to_json"]

Table = Literal["traits", "account_traits"]
_OWNER = {"traits": "profile_id", "account_traits": "group_id"}


@dataclass(frozen=True, slots=True)
class Trait:
    value: str
    """JSON text."""
    at: float
    message_id: str
    source: str


def to_json(value: Any) -> str | None:
    """JSON text, or None for what JSON cannot hold (a value is skipped, never fatal)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return None


def _upsert(table: Table) -> str:
    owner = _OWNER[table]
    return (
        f"INSERT INTO {table} ({owner}, key, value, ts, message_id, source) "
        "VALUES (?, ?, ?, ?, ?, ?) "
        f"ON CONFLICT ({owner}, key) DO UPDATE SET value = excluded.value, ts = excluded.ts, "
        "message_id = excluded.message_id, source = excluded.source "
        f"WHERE excluded.ts > {table}.ts OR "
        f"(excluded.ts = {table}.ts AND excluded.message_id > {table}.message_id) RETURNING key"
    )


def _put(sql: Sql, table: Table, owner: str, key: str, trait: Trait) -> bool:
    row = (owner, key, trait.value, trait.at, trait.message_id, trait.source)
    return sql.one(_upsert(table), row) is not None


def apply(sql: Sql, table: Table, owner: str, traits: dict[str, Any], seen: Seen) -> dict[str, str]:
    """Set what is newer than the stored values; returns the keys that changed (JSON)."""
    changed = {}
    for key, value in traits.items():
        text = to_json(value)
        if text is not None and _put(sql, table, owner, key, Trait(text, *seen.key, seen.source)):
            changed[key] = text
    return changed


def current(sql: Sql, table: Table, owner: str) -> dict[str, Trait]:
    rows = sql.all(
        f"SELECT key, value, ts, message_id, source FROM {table} WHERE {_OWNER[table]} = ?",
        (owner,),
    )
    return {row[0]: Trait(row[1], float(row[2]), row[3], row[4]) for row in rows}


def merge(sql: Sql, kept: str, merged: str) -> None:
    """The merged profile's traits join the kept one's (newest wins); its rows go."""
    for key, trait in current(sql, "traits", merged).items():
        _put(sql, "traits", kept, key, trait)
    remove(sql, [merged])


def remove(sql: Sql, profiles: Iterable[str]) -> None:
    gone = list(profiles)
    if gone:
        sql.run(f"DELETE FROM traits WHERE profile_id IN ({marks(len(gone))})", gone)


def recompute(sql: Sql, profile: str) -> None:
    """From the identify calls of the profile's events (after a replay regrouped them)."""
    remove(sql, [profile])
    newest: dict[str, Trait] = {}
    for text, at, message_id, source in sql.all(
        "SELECT e.traits, e.ts, e.message_id, e.source FROM links l "
        "JOIN events e ON e.link_id = l.id "
        "WHERE l.profile_id = ? AND e.traits IS NOT NULL ORDER BY e.ts, e.message_id",
        (profile,),
    ):
        for key, value in orjson.loads(text).items():
            newest[key] = Trait(to_json(value) or "null", float(at), message_id, source)
    owner = _OWNER["traits"]
    sql.many(
        f"INSERT INTO traits ({owner}, key, value, ts, message_id, source) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(profile, key, t.value, t.at, t.message_id, t.source) for key, t in newest.items()],
    )
