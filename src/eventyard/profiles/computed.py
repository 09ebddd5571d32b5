"""Computed traits: counters and aggregates over a profile's events, kept up to date.

Each matching event's value is stored once (`contributions`, keyed by trait and messageId,
so a re-read batch adds nothing twice), and each profile keeps a small state per trait that
an event updates in O(1). States combine (merges) and fold from contributions (replays,
window expiry), and every operation is commutative, so arrival order never matters:
`first`/`last` compare (event time, messageId), not arrival.

Windowed traits ("in the last 30 days") count only contributions newer than `now - window`;
`expire` (run on a schedule by the service) drops older ones and refolds the profiles that
had them. Types follow Segment (segment.md §5.4): most_frequent needs at least two
occurrences and breaks ties alphabetically; unique lists are alphabetical; at most 10,000
distinct values are kept per trait.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from eventyard.control.profiles_config import ComputedTraitConfig
from eventyard.fql import Filter, compile_fql
from eventyard.profiles.events import Seen
from eventyard.profiles.identifiers import lookup
from eventyard.profiles.sql import Sql
from eventyard.profiles.traits import to_json

__all__ = ["MAX_DISTINCT", "ComputedTrait", "State", "compile_traits", "contributions"]

MAX_DISTINCT = 10_000
State = dict[str, Any]
_NUMERIC = frozenset({"sum", "avg", "min", "max"})
_DISTINCT = frozenset({"most_frequent", "unique_list", "unique_list_count"})


def _text_key(text: str) -> str:
    """Sort key of a value's JSON text: strings by their content (alphabetical)."""
    value = orjson.loads(text)
    return value if isinstance(value, str) else text


@dataclass(frozen=True, slots=True)
class ComputedTrait:
    key: str
    kind: str
    test: Filter
    path: str | None
    window: float | None

    def value(self, event: dict[str, Any]) -> tuple[bool, Any]:
        """(counts?, value) for one event."""
        if not self.test(event):
            return False, None
        if self.path is None:
            return True, None
        value = lookup(event, self.path)
        if self.kind in _NUMERIC:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            return ok and math.isfinite(value), value
        if self.kind in _DISTINCT:
            return isinstance(value, str | int | float) and value is not None, value
        return value is not None, value

    def in_window(self, at: float, now: float) -> bool:
        return self.window is None or at >= now - self.window

    def add(self, state: State, at: float, message_id: str, value: Any) -> None:
        kind = self.kind
        if kind == "counter":
            state["n"] = state.get("n", 0) + 1
        elif kind in ("sum", "avg"):
            state["n"] = state.get("n", 0) + 1
            state["s"] = state.get("s", 0) + value
        elif kind in ("min", "max"):
            if "v" not in state or (value < state["v"] if kind == "min" else value > state["v"]):
                state["v"] = value
        elif kind in ("first", "last"):
            key = [at, message_id]
            if "k" not in state or ((key < state["k"]) if kind == "first" else (key > state["k"])):
                state["k"], state["v"] = key, value
        elif kind == "most_frequent":
            counts = state.setdefault("c", {})
            text = to_json(value) or "null"
            if text in counts or len(counts) < MAX_DISTINCT:
                counts[text] = counts.get(text, 0) + 1
        else:
            values = state.setdefault("u", [])
            text = to_json(value) or "null"
            if text not in values and len(values) < MAX_DISTINCT:
                values.append(text)
                values.sort(key=_text_key)

    def combine(self, one: State, other: State) -> State:
        """Both states together, as if every contribution had been added to one."""
        merged = dict(one)
        if self.kind in ("counter", "sum", "avg"):
            for field in ("n", "s"):
                if field in other:
                    merged[field] = merged.get(field, 0) + other[field]
        elif self.kind in ("min", "max", "first", "last"):
            if "k" in other:
                self.add(merged, other["k"][0], other["k"][1], other["v"])
            elif "v" in other:
                self.add(merged, 0.0, "", other["v"])
        elif self.kind == "most_frequent":
            counts = dict(merged.get("c", {}))
            for text, count in other.get("c", {}).items():
                if text in counts or len(counts) < MAX_DISTINCT:
                    counts[text] = counts.get(text, 0) + count
            merged["c"] = counts
        else:
            values = sorted(set(merged.get("u", [])) | set(other.get("u", [])), key=_text_key)
            merged["u"] = values[:MAX_DISTINCT]
        return merged

    def result(self, state: State) -> Any:
        kind = self.kind
        if kind == "counter":
            return state.get("n", 0)
        if kind == "sum":
            return state.get("s", 0)
        if kind == "avg":
            return state["s"] / state["n"] if state.get("n") else None
        if kind in ("min", "max", "first", "last"):
            return state.get("v")
        if kind == "most_frequent":
            ranked = sorted(state.get("c", {}).items(), key=lambda i: (-i[1], _text_key(i[0])))
            return orjson.loads(ranked[0][0]) if ranked and ranked[0][1] >= 2 else None
        values = state.get("u", [])
        return len(values) if kind == "unique_list_count" else [orjson.loads(v) for v in values]

    def fold(self, items: Iterable[tuple[float, str, Any]], now: float) -> State:
        state: State = {}
        for at, message_id, value in items:
            if self.in_window(at, now):
                self.add(state, at, message_id, value)
        return state


def compile_traits(configs: Sequence[ComputedTraitConfig]) -> list[ComputedTrait]:
    return [
        ComputedTrait(
            c.key,
            c.type,
            compile_fql(c.if_),
            c.property,
            None if c.window is None else float(c.window),
        )
        for c in configs
    ]


def contributions(
    sql: Sql, traits: Sequence[ComputedTrait], event: dict[str, Any], seen: Seen, link: int
) -> list[tuple[ComputedTrait, Any]]:
    """Record the event's value for each trait it counts for; returns those (trait, value)."""
    if not traits:
        return []
    counted = []
    for trait in traits:
        counts, value = trait.value(event)
        if counts:
            counted.append((trait, value))
    sql.many(
        "INSERT INTO contributions (trait, message_id, link_id, ts, value) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [(t.key, seen.message_id, link, seen.at, to_json(v)) for t, v in counted],
    )
    return counted
