"""Reading profiles: what the Profile API and the UI show. Plain functions of an `Sql`
(run them through `ProfileStore.read`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eventyard.profiles.identifiers import Ident, normalize
from eventyard.profiles.sql import Sql, marks
from eventyard.profiles.traits import Trait

__all__ = [
    "PROFILE_TYPES",
    "EventRow",
    "Identifier",
    "account_exists",
    "account_users",
    "computed",
    "external_ids",
    "first_and_last",
    "profile_accounts",
    "profile_events",
    "resolve",
    "search",
    "traits",
]

PROFILE_TYPES = frozenset({"profile_id", "segment_id"})
"""`<type>:use_...` addresses a profile by its id; a bare `use_...` does too (Segment)."""


@dataclass(frozen=True, slots=True)
class Identifier:
    type: str
    value: str
    added_at: float
    message_id: str
    source: str | None


@dataclass(frozen=True, slots=True)
class EventRow:
    message_id: str
    at: float
    source: str
    type: str | None
    event: str | None
    payload: bytes | None
    profile: str | None


def resolve(sql: Sql, id_type: str, value: str) -> str | None:
    """The live profile an external id (or a current or merged profile id) names."""
    if id_type in PROFILE_TYPES:
        if sql.one("SELECT 1 FROM profiles WHERE id = ?", (value,)) is not None:
            return value
        row = sql.one("SELECT profile_id FROM aliases WHERE old_id = ?", (value,))
        return None if row is None else str(row[0])
    normalized = normalize(id_type, value)
    if normalized is None:
        return None
    row = sql.one(
        "SELECT profile_id FROM identifiers WHERE type = ? AND value = ?", (id_type, normalized)
    )
    return None if row is None or row[0] is None else str(row[0])


def traits(sql: Sql, profile: str) -> dict[str, Trait]:
    rows = sql.all(
        "SELECT key, value, ts, message_id, source FROM traits WHERE profile_id = ?", (profile,)
    )
    return {row[0]: Trait(row[1], float(row[2]), row[3], row[4]) for row in rows}


def computed(sql: Sql, profile: str) -> dict[str, tuple[str | None, float]]:
    """key -> (value as JSON text or None, when it was computed)."""
    rows = sql.all("SELECT key, value, updated_at FROM computed WHERE profile_id = ?", (profile,))
    return {row[0]: (row[1], float(row[2])) for row in rows}


def external_ids(sql: Sql, profile: str) -> list[Identifier]:
    rows = sql.all(
        "SELECT i.type, i.value, i.added_at, i.added_by, e.source FROM identifiers i "
        "LEFT JOIN events e ON e.message_id = i.added_by WHERE i.profile_id = ? "
        "ORDER BY i.added_at, i.type, i.value",
        (profile,),
    )
    return [Identifier(r[0], r[1], float(r[2]), r[3], r[4]) for r in rows]


def _events_where(
    start: float | None, end: float | None, include: Sequence[str], exclude: Sequence[str]
) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    if start is not None:
        clauses.append("e.ts >= ?")
        params.append(start)
    if end is not None:
        clauses.append("e.ts < ?")
        params.append(end)
    if include:
        clauses.append(f"e.event IN ({marks(len(include))})")
        params.extend(include)
    if exclude:
        clauses.append(f"(e.event IS NULL OR e.event NOT IN ({marks(len(exclude))}))")
        params.extend(exclude)
    return "".join(f" AND {clause}" for clause in clauses), params


def profile_events(
    sql: Sql,
    profile: str,
    *,
    start: float | None = None,
    end: float | None = None,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    descending: bool = True,
    after: tuple[float, str] | None = None,
    limit: int = 10,
    group: str | None = None,
) -> list[EventRow]:
    """Events still holding their body, by (time, messageId); `after` is the last one the
    previous page showed. A user profile's events, or an account's (`group`)."""
    where, params = _events_where(start, end, include, exclude)
    if after is not None:
        op = "<" if descending else ">"
        where += f" AND (e.ts {op} ? OR (e.ts = ? AND e.message_id {op} ?))"
        params.extend([after[0], after[0], after[1]])
    order = "DESC" if descending else "ASC"
    owner = "e.group_id = ?" if group is not None else "l.profile_id = ?"
    rows = sql.all(
        "SELECT e.message_id, e.ts, e.source, e.type, e.event, e.payload, l.profile_id "
        "FROM events e LEFT JOIN links l ON l.id = e.link_id "
        f"WHERE {owner} AND e.payload IS NOT NULL{where} "
        f"ORDER BY e.ts {order}, e.message_id {order} LIMIT ?",
        [group if group is not None else profile, *params, limit],
    )
    return [EventRow(r[0], float(r[1]), r[2], r[3], r[4], r[5], r[6]) for r in rows]


def first_and_last(sql: Sql, profile: str) -> tuple[tuple[float, str, str], ...]:
    """((time, messageId, source) of the first event, of the last); empty if none."""
    found = []
    for order in ("ASC", "DESC"):
        row = sql.one(
            "SELECT e.ts, e.message_id, e.source FROM links l JOIN events e "
            f"ON e.link_id = l.id WHERE l.profile_id = ? ORDER BY e.ts {order}, "
            f"e.message_id {order} LIMIT 1",
            (profile,),
        )
        if row is not None:
            found.append((float(row[0]), str(row[1]), str(row[2])))
    return tuple(found)


def profile_accounts(sql: Sql, profile: str, limit: int) -> list[tuple[str, float, str]]:
    """(group_id, first linked at, source) of the accounts the profile's group calls named."""
    rows = sql.all(
        "SELECT e.group_id, MIN(e.ts), MIN(e.source) FROM links l JOIN events e "
        "ON e.link_id = l.id WHERE l.profile_id = ? AND e.group_id IS NOT NULL "
        "GROUP BY e.group_id ORDER BY MIN(e.ts), e.group_id LIMIT ?",
        (profile, limit),
    )
    return [(str(r[0]), float(r[1]), str(r[2])) for r in rows]


def account_exists(sql: Sql, group_id: str) -> bool:
    return sql.one("SELECT 1 FROM accounts WHERE group_id = ?", (group_id,)) is not None


def account_users(sql: Sql, group_id: str, limit: int) -> list[str]:
    """The profiles of the users whose group calls named this account."""
    rows = sql.all(
        "SELECT l.profile_id FROM events e JOIN links l ON l.id = e.link_id "
        "WHERE e.group_id = ? AND l.profile_id IS NOT NULL "
        "GROUP BY l.profile_id ORDER BY MIN(e.ts), l.profile_id LIMIT ?",
        (group_id, limit),
    )
    return [str(row[0]) for row in rows]


def search(sql: Sql, text: str, limit: int = 50) -> list[tuple[str, list[Ident]]]:
    """Profiles with an identifier starting with `text` (as typed, or lowercased), or the
    profile `text` names; each with its identifiers."""
    text = text.strip()[:512]
    if not text:
        return []
    found: dict[str, None] = {}
    live = resolve(sql, "profile_id", text)
    if live is not None:
        found[live] = None
    types = [str(row[0]) for row in sql.all("SELECT type FROM identifier_types ORDER BY type")]
    for prefix in dict.fromkeys((text, text.lower())):
        for kind in types:  # one range of the (type, value) key per type
            for (profile,) in sql.all(
                "SELECT profile_id FROM identifiers WHERE type = ? AND value >= ? AND value < ? "
                "AND profile_id IS NOT NULL ORDER BY value LIMIT ?",
                (kind, prefix, prefix + "\U0010ffff", limit),
            ):
                found[str(profile)] = None
    result = []
    for profile in list(found)[:limit]:
        ids = sql.all(
            "SELECT type, value FROM identifiers WHERE profile_id = ? ORDER BY type, value",
            (profile,),
        )
        result.append((profile, [(str(k), str(v)) for k, v in ids]))
    return result
