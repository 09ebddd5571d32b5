"""Two routes of the same traffic, side by side: is it safe to cut over from one to the other?

A route is a destination (typically one in `mode: observe`); its conversions are the ledger
rows of a period. The comparison counts conversions per canonical name, totals their value
per currency, matches their dedup keys (event_ids), counts consent suppressions per reason
and averages match quality. Any difference in those is listed; none means the routes agree
(`eventyard compare` then exits 0, so that CI can gate a cut-over on it).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime

import msgspec

from eventyard.conversions import ledger
from eventyard.spec.timestamps import format_iso, parse_iso

__all__ = ["Comparison", "DedupKeys", "Missing", "Route", "compare", "parse_period", "recorded"]

EXAMPLES = 5
"""event_ids shown for each side of a dedup-key mismatch."""
_TOP_MISSING = 5
_NO_CURRENCY = "unknown"


class Missing(msgspec.Struct, kw_only=True):
    identifier: str
    share: float
    """0..1: the share of scored conversions that lacked it."""


class Route(msgspec.Struct, kw_only=True):
    """One destination's conversions in the period."""

    destination: str
    conversions: int
    """Sent (or observed) conversions: every ledger row that consent did not suppress."""
    events: dict[str, int]
    """Per canonical name."""
    values: dict[str, float]
    """Total value per currency (`unknown`: a value without a usable currency)."""
    suppressed: dict[str, int]
    """Consent suppressions per reason."""
    match_quality: float | None
    """The mean score (0..10) of the conversions; None without any."""
    missing: list[Missing]
    """The identifiers most often missing, most often first."""


class DedupKeys(msgspec.Struct, kw_only=True):
    both: int
    only_a: int
    only_b: int
    only_a_examples: list[str]
    only_b_examples: list[str]


class Comparison(msgspec.Struct, kw_only=True):
    since: str
    until: str
    """The period, ISO-8601 UTC: `since <= event time < until`."""
    a: Route
    b: Route
    dedup_keys: DedupKeys
    differences: list[str]
    """What differs, in words; empty when the routes agree."""
    equal: bool


def parse_period(since: str | None, until: str | None, now: float) -> tuple[float, float]:
    """`since` and `until` (ISO-8601; `until` defaults to now) as Unix seconds; raises
    ValueError saying what to write."""
    bounds: list[float] = []
    for label, value in (("since", since), ("until", until)):
        if value is None and label == "until":
            bounds.append(now)
            continue
        moment = parse_iso(value)
        if moment is None:
            raise ValueError(f"{label} must be an ISO-8601 time like 2024-05-01T12:00:00Z")
        bounds.append(moment.replace(tzinfo=UTC).timestamp())
    if bounds[0] >= bounds[1]:
        raise ValueError("since must be before until")
    return bounds[0], bounds[1]


def _iso(at: float) -> str:
    return format_iso(datetime.fromtimestamp(at, UTC))


def _route(conn: sqlite3.Connection, destination: str, since: float, until: float) -> Route:
    events: Counter[str] = Counter()
    values: dict[str, float] = {}
    suppressed: Counter[str] = Counter()
    missing: Counter[str] = Counter()
    scores: list[float] = []
    for entry in ledger.rows(conn, destination, since, until):
        if entry.consent == "suppress":
            suppressed[entry.consent_reason] += 1
            continue
        events[entry.name] += 1
        if entry.value is not None:
            currency = entry.currency or _NO_CURRENCY
            values[currency] = values.get(currency, 0.0) + entry.value
        if entry.match_score is not None:
            scores.append(entry.match_score)
            missing.update(entry.missing)
    ranked = sorted(missing.items(), key=lambda item: (-item[1], item[0]))[:_TOP_MISSING]
    return Route(
        destination=destination,
        conversions=sum(events.values()),
        events=dict(sorted(events.items())),
        values={currency: round(total, 2) for currency, total in sorted(values.items())},
        suppressed=dict(sorted(suppressed.items())),
        match_quality=round(sum(scores) / len(scores), 1) if scores else None,
        missing=[Missing(identifier=key, share=round(n / len(scores), 3)) for key, n in ranked],
    )


_KEYS = (
    "SELECT event_id FROM conversion_ledger WHERE destination = ? AND at >= ? AND at < ?"
    " AND consent != 'suppress'"
)


def _keys(conn: sqlite3.Connection, a: str, b: str, since: float, until: float) -> DedupKeys:
    def count(sql: str, args: tuple[object, ...]) -> int:
        return int(conn.execute(f"SELECT count(*) FROM ({sql})", args).fetchone()[0])

    def examples(sql: str, args: tuple[object, ...]) -> list[str]:
        found = conn.execute(f"SELECT * FROM ({sql}) ORDER BY 1 LIMIT ?", (*args, EXAMPLES))
        return [str(row[0]) for row in found]

    args_ab = (a, since, until, b, since, until)
    args_ba = (b, since, until, a, since, until)
    only = f"{_KEYS} EXCEPT {_KEYS}"
    return DedupKeys(
        both=count(f"{_KEYS} INTERSECT {_KEYS}", args_ab),
        only_a=count(only, args_ab),
        only_b=count(only, args_ba),
        only_a_examples=examples(only, args_ab),
        only_b_examples=examples(only, args_ba),
    )


def _differ(
    what: str, a: Mapping[str, float], b: Mapping[str, float], names: tuple[str, str]
) -> list[str]:
    found = []
    for key in sorted(set(a) | set(b)):
        left, right = a.get(key, 0), b.get(key, 0)
        if abs(left - right) > 0.005:
            found.append(f"{what} {key}: {left:g} in {names[0]}, {right:g} in {names[1]}")
    return found


def _differences(first: Route, second: Route, keys: DedupKeys) -> list[str]:
    names = (first.destination, second.destination)
    found = _differ("conversions", first.events, second.events, names)
    found += _differ("value in", first.values, second.values, names)
    for side, count, sample in (
        (names[0], keys.only_a, keys.only_a_examples),
        (names[1], keys.only_b, keys.only_b_examples),
    ):
        if count:
            found.append(f"{count} event_id(s) only in {side}, e.g. {', '.join(sample)}")
    found += _differ("consent suppressions:", first.suppressed, second.suppressed, names)
    if first.match_quality != second.match_quality:
        found.append(
            f"mean match quality: {first.match_quality} in {names[0]}, "
            f"{second.match_quality} in {names[1]}"
        )
    return found


def compare(conn: sqlite3.Connection, a: str, b: str, since: float, until: float) -> Comparison:
    """Destinations `a` and `b` over `since <= event time < until` (Unix seconds)."""
    first, second = _route(conn, a, since, until), _route(conn, b, since, until)
    keys = _keys(conn, a, b, since, until)
    differences = _differences(first, second, keys)
    return Comparison(
        since=_iso(since),
        until=_iso(until),
        a=first,
        b=second,
        dedup_keys=keys,
        differences=differences,
        equal=not differences,
    )


def recorded(conn: sqlite3.Connection, destination: str) -> bool:
    """Whether the ledger has any conversion of the destination (a route name typo has none)."""
    found = conn.execute(
        "SELECT 1 FROM conversion_ledger WHERE destination = ? LIMIT 1", (destination,)
    )
    return found.fetchone() is not None
