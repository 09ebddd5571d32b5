"""Computed trait states on disk: updated per event, combined on merges, refolded on replays
and when windows move (`computed.py` has the arithmetic)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from eventyard.profiles.computed import ComputedTrait, State
from eventyard.profiles.sql import Sql, marks
from eventyard.profiles.traits import to_json

__all__ = ["expire", "merge", "recompute", "remove", "update"]

Changed = dict[str, str | None]
"""trait key -> its new value as JSON text (None: no value)."""


def _load(sql: Sql, profile: str, key: str) -> tuple[State, str | None] | None:
    row = sql.one(
        "SELECT state, value FROM computed WHERE profile_id = ? AND key = ?", (profile, key)
    )
    return None if row is None else (orjson.loads(row[0]), row[1])


def _save(sql: Sql, profile: str, trait: ComputedTrait, state: State, now: float) -> str | None:
    """Store the state; returns the value as JSON text (None: no value)."""
    result = trait.result(state)
    value = None if result is None else to_json(result)
    sql.run(
        "INSERT INTO computed (profile_id, key, value, state, updated_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (profile_id, key) DO UPDATE SET value = excluded.value, "
        "state = excluded.state, updated_at = excluded.updated_at",
        (profile, trait.key, value, orjson.dumps(state).decode(), now),
    )
    return value


def update(
    sql: Sql,
    profile: str,
    counted: Sequence[tuple[ComputedTrait, Any]],
    at: float,
    message_id: str,
    now: float,
) -> Changed:
    """Add one event's contributions to the profile's states."""
    changed: Changed = {}
    for trait, value in counted:
        if not trait.in_window(at, now):
            continue
        stored = _load(sql, profile, trait.key)
        state, before = stored if stored is not None else ({}, None)
        trait.add(state, at, message_id, value)
        after = _save(sql, profile, trait, state, now)
        if after != before:
            changed[trait.key] = after
    return changed


def merge(sql: Sql, traits: Sequence[ComputedTrait], kept: str, merged: str, now: float) -> Changed:
    changed: Changed = {}
    for trait in traits:
        mine, theirs = _load(sql, kept, trait.key), _load(sql, merged, trait.key)
        if theirs is None:
            continue
        before = None if mine is None else mine[1]
        state = trait.combine(mine[0] if mine else {}, theirs[0])
        after = _save(sql, kept, trait, state, now)
        if after != before:
            changed[trait.key] = after
    remove(sql, [merged])
    return changed


def remove(sql: Sql, profiles: Iterable[str]) -> None:
    gone = list(profiles)
    if gone:
        sql.run(f"DELETE FROM computed WHERE profile_id IN ({marks(len(gone))})", gone)


def recompute(sql: Sql, traits: Sequence[ComputedTrait], profile: str, now: float) -> Changed:
    """Fold every stored contribution of the profile again (replays, expired windows)."""
    changed: Changed = {}
    for trait in traits:
        stored = _load(sql, profile, trait.key)
        before = None if stored is None else stored[1]
        rows = sql.all(
            "SELECT c.ts, c.message_id, c.value FROM links l JOIN contributions c "
            "ON c.link_id = l.id AND c.trait = ? WHERE l.profile_id = ?",
            (trait.key, profile),
        )
        if not rows and stored is None:
            continue  # never had a value: a trait appears with its first event
        items = ((float(t), m, None if v is None else orjson.loads(v)) for t, m, v in rows)
        after = _save(sql, profile, trait, trait.fold(items, now), now)
        if after != before:
            changed[trait.key] = after
    return changed


def expire(sql: Sql, trait: ComputedTrait, now: float) -> set[str]:
    """Drop a windowed trait's contributions that left the window; returns the profiles
    whose state must be refolded."""
    if trait.window is None:
        return set()
    cutoff = now - trait.window
    rows = sql.all(
        "SELECT DISTINCT l.profile_id FROM contributions c JOIN links l ON l.id = c.link_id "
        "WHERE c.trait = ? AND c.ts < ?",
        (trait.key, cutoff),
    )
    sql.run("DELETE FROM contributions WHERE trait = ? AND ts < ?", (trait.key, cutoff))
    return {row[0] for row in rows if row[0] is not None}
