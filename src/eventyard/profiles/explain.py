"""`explain(profile)`: why each identifier is on a profile, which merges made it, and what
merge protection kept off it (or kept its identifiers off others)."""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from eventyard.profiles.identifiers import Ident, format_ident
from eventyard.profiles.sql import Sql, marks

__all__ = ["Blocked", "EventInfo", "Explanation", "Joined", "Merged", "explain"]


@dataclass(frozen=True, slots=True)
class EventInfo:
    message_id: str
    at: float
    type: str | None
    event: str | None
    source: str | None

    def label(self) -> str:
        """`identify`, or `track "Order Completed"`."""
        kind = self.type or "event"
        return f'{kind} "{self.event}"' if self.event else kind


@dataclass(frozen=True, slots=True)
class Joined:
    """One identifier of the profile: the event that put it there, and through what."""

    ident: Ident
    by: EventInfo
    via: Ident | None
    """An identifier of that event already on the profile; None: it started the profile."""

    def sentence(self) -> str:
        how = "started the profile" if self.via is None else f"joined via {format_ident(self.via)}"
        return f"{format_ident(self.ident)} {how} ({self.by.label()} {self.by.message_id})"


@dataclass(frozen=True, slots=True)
class Merged:
    kept: str
    merged: str
    by: EventInfo
    linked: list[Ident]

    def sentence(self) -> str:
        ids = " and ".join(format_ident(i) for i in self.linked)
        return (
            f"{self.merged} merged into {self.kept}: {self.by.label()} {self.by.message_id} "
            f"carried {ids}"
        )


@dataclass(frozen=True, slots=True)
class Blocked:
    dropped: Ident
    profile: str
    """The event's profile, which `dropped` was kept off."""
    holder: str | None
    """The profile that holds `dropped` (None: no profile)."""
    reason: str
    by: EventInfo

    def sentence(self) -> str:
        return (
            f"{format_ident(self.dropped)} not linked to {self.profile} by "
            f"{self.by.label()} {self.by.message_id}: {self.reason}"
        )


@dataclass(frozen=True, slots=True)
class Explanation:
    profile: str
    created: EventInfo
    merged_ids: list[str]
    """Ids that now resolve to this profile (merged or replaced ones)."""
    identifiers: list[Joined]
    merges: list[Merged]
    blocks: list[Blocked]

    def sentences(self) -> list[str]:
        return [
            *(j.sentence() for j in self.identifiers),
            *(m.sentence() for m in self.merges),
            *(b.sentence() for b in self.blocks),
        ]


def _event(sql: Sql, message_id: str, at: float) -> EventInfo:
    row = sql.one("SELECT type, event, source FROM events WHERE message_id = ?", (message_id,))
    if row is None:
        return EventInfo(message_id, at, None, None, None)
    return EventInfo(message_id, at, row[0], row[1], row[2])


def explain(sql: Sql, profile: str) -> Explanation | None:
    """None if `profile` is not a live profile (resolve merged ids first)."""
    row = sql.one("SELECT created_at, created_by FROM profiles WHERE id = ?", (profile,))
    if row is None:
        return None
    created_at, created_by = float(row[0]), str(row[1])
    aliases = [
        str(r[0])
        for r in sql.all(
            "SELECT old_id FROM aliases WHERE profile_id = ? ORDER BY old_id", (profile,)
        )
    ]
    mine = [profile, *aliases]
    joined = [
        Joined(
            (kind, value),
            _event(sql, by, float(at)),
            None if via_type is None else (via_type, via_value),
        )
        for kind, value, at, by, via_type, via_value in sql.all(
            "SELECT type, value, added_at, added_by, via_type, via_value FROM identifiers "
            "WHERE profile_id = ? ORDER BY added_at, added_by, via_type IS NOT NULL, type, value",
            (profile,),
        )
    ]
    merges = [
        Merged(kept, merged, _event(sql, message_id, float(at)), _idents(linked))
        for kept, merged, at, message_id, linked in sql.all(
            "SELECT kept, merged, at, message_id, linked FROM merges "
            f"WHERE kept IN ({marks(len(mine))}) ORDER BY at, message_id, id",
            mine,
        )
    ]
    blocks = [
        Blocked((kind, value), target, holder, reason, _event(sql, message_id, float(at)))
        for kind, value, target, holder, reason, at, message_id in sql.all(
            "SELECT dropped_type, dropped_value, profile_id, holder, reason, at, message_id "
            f"FROM blocks WHERE profile_id IN ({marks(len(mine))}) OR "
            f"holder IN ({marks(len(mine))}) ORDER BY at, message_id, id",
            (*mine, *mine),
        )
    ]
    created = _event(sql, created_by, created_at)
    return Explanation(profile, created, aliases, joined, merges, blocks)


def _idents(text: str) -> list[Ident]:
    return [(str(kind), str(value)) for kind, value in orjson.loads(text)]
