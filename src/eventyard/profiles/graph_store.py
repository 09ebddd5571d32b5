"""The identity graph's rows: links, identifiers, clusters, profiles, aliases, merges, blocks.

Plain functions of an `Sql` inside the consumer's transaction. A cluster is a raw connected
part of the graph (identifiers joined by any link, merge protection or not); profiles never
span clusters, so a cluster is the unit that is replayed when an older event arrives.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from eventyard.profiles.graph import Block, Graph, Key, Member, Merge, ProfileState
from eventyard.profiles.identifiers import Ident
from eventyard.profiles.sql import Sql, marks

__all__ = [
    "Link",
    "LinkMeta",
    "add_identifiers",
    "aliases_into",
    "cluster_keys",
    "cluster_links",
    "cluster_profiles",
    "find_link",
    "insert_link",
    "link_hash",
    "load_profiles",
    "move_link",
    "new_cluster",
    "owners",
    "record_blocks",
    "record_merge",
    "save_members",
    "save_profile",
    "set_cluster_last",
    "set_link_profile",
    "union_clusters",
]

LinkMeta = tuple[str | None, str | None, str]
"""(event type, event name, source) of a link's first occurrence."""


@dataclass(frozen=True, slots=True)
class Link:
    id: int
    cluster: int
    profile: str | None
    key: Key
    ids: list[Ident]


def link_hash(ids: Iterable[Ident]) -> str:
    """The same for every ordering of the same identifier set."""
    text = "\x1f".join(f"{kind}\x1e{value}" for kind, value in sorted(set(ids)))
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _link(row: Sequence[Any]) -> Link:
    ids = [(str(kind), str(value)) for kind, value in orjson.loads(row[5])]
    return Link(int(row[0]), int(row[1]), row[2], (float(row[3]), str(row[4])), ids)


_LINK_COLUMNS = "id, cluster, profile_id, ts, message_id, ids"


def find_link(sql: Sql, digest: str) -> Link | None:
    row = sql.one(f"SELECT {_LINK_COLUMNS} FROM links WHERE hash = ?", (digest,))
    return None if row is None else _link(row)


def insert_link(
    sql: Sql, digest: str, cluster: int, ids: Sequence[Ident], key: Key, meta: LinkMeta
) -> int:
    row = sql.one(
        "INSERT INTO links (hash, cluster, ts, message_id, ids, event_type, event, source) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (digest, cluster, key[0], key[1], orjson.dumps(sorted(ids)).decode(), *meta),
    )
    return int(row[0])


def move_link(sql: Sql, link: int, key: Key, meta: LinkMeta) -> None:
    """An older occurrence of a known identifier set becomes its first occurrence."""
    sql.run(
        "UPDATE links SET ts = ?, message_id = ?, event_type = ?, event = ?, source = ? "
        "WHERE id = ?",
        (key[0], key[1], *meta, link),
    )


def save_profile(sql: Sql, profile: str, cluster: int, state: ProfileState) -> None:
    sql.run(
        "INSERT INTO profiles (id, cluster, created_at, created_by, merges) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET cluster = excluded.cluster, merges = excluded.merges",
        (profile, cluster, *state.created, state.merges),
    )


def set_link_profile(sql: Sql, link: int, profile: str) -> None:
    sql.run("UPDATE links SET profile_id = ? WHERE id = ?", (profile, link))


def owners(sql: Sql, ids: Iterable[Ident]) -> dict[Ident, tuple[int, str | None]]:
    """Known identifiers -> (cluster, profile or None)."""
    found = {}
    for ident in ids:
        row = sql.one(
            "SELECT cluster, profile_id FROM identifiers WHERE type = ? AND value = ?", ident
        )
        if row is not None:
            found[ident] = (int(row[0]), row[1])
    return found


def cluster_keys(sql: Sql, clusters: Iterable[int]) -> dict[int, Key]:
    wanted = sorted(set(clusters))
    rows = sql.all(
        f"SELECT id, last_ts, last_mid FROM clusters WHERE id IN ({marks(len(wanted))})", wanted
    )
    return {int(row[0]): (float(row[1]), str(row[2])) for row in rows}


def new_cluster(sql: Sql, key: Key) -> int:
    row = sql.one("INSERT INTO clusters (last_ts, last_mid) VALUES (?, ?) RETURNING id", key)
    return int(row[0])


def set_cluster_last(sql: Sql, cluster: int, key: Key) -> None:
    sql.run("UPDATE clusters SET last_ts = ?, last_mid = ? WHERE id = ?", (*key, cluster))


_RELABELED = ("identifiers", "links", "profiles", "merges", "blocks")


def union_clusters(sql: Sql, clusters: Sequence[int]) -> int:
    """Join clusters into the one with the most identifiers; returns its id."""
    if len(clusters) == 1:
        return clusters[0]
    sizes = {
        c: int(sql.one("SELECT COUNT(*) FROM identifiers WHERE cluster = ?", (c,))[0])
        for c in clusters
    }
    keep = max(clusters, key=lambda c: (sizes[c], -c))
    others = [c for c in clusters if c != keep]
    where = f"cluster IN ({marks(len(others))})"
    for table in _RELABELED:
        sql.run(f"UPDATE {table} SET cluster = ? WHERE {where}", (keep, *others))
    sql.run(f"DELETE FROM clusters WHERE id IN ({marks(len(others))})", others)
    return keep


def add_identifiers(sql: Sql, ids: Iterable[Ident], cluster: int) -> None:
    """Rows for identifiers seen for the first time, on no profile yet."""
    sql.many(
        "INSERT INTO identifiers (type, value, cluster) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        [(kind, value, cluster) for kind, value in ids],
    )


def load_profiles(sql: Sql, graph: Graph, profiles: Iterable[str]) -> None:
    """Copy these profiles and their identifiers into `graph` (the fast path's working set)."""
    for profile in profiles:
        row = sql.one(
            "SELECT created_at, created_by, merges FROM profiles WHERE id = ?", (profile,)
        )
        members: dict[Ident, Member] = {}
        for kind, value, at, by, via_type, via_value in sql.all(
            "SELECT type, value, added_at, added_by, via_type, via_value FROM identifiers "
            "WHERE profile_id = ?",
            (profile,),
        ):
            via = None if via_type is None else (via_type, via_value)
            members[(kind, value)] = Member(profile, at, by, via)
        state = ProfileState((float(row[0]), str(row[1])), int(row[2]), set(members))
        graph.load(profile, state, members)


def save_members(sql: Sql, graph: Graph, ids: Iterable[Ident]) -> None:
    """Write where these identifiers now are and why."""
    rows = []
    for ident in ids:
        member = graph.members.get(ident)
        if member is None:
            rows.append((None, None, None, None, None, *ident))
        else:
            via = member.via or (None, None)
            rows.append((member.profile, member.added_at, member.added_by, *via, *ident))
    sql.many(
        "UPDATE identifiers SET profile_id = ?, added_at = ?, added_by = ?, via_type = ?, "
        "via_value = ? WHERE type = ? AND value = ?",
        rows,
    )


def record_merge(sql: Sql, cluster: int, merge: Merge) -> list[str]:
    """Move the merged profile's rows to the kept one; returns every id that pointed at the
    merged profile (it, and the ids merged into it before), which now resolve to the kept."""
    kept, gone = merge.kept, merge.merged
    earlier = [
        row[0] for row in sql.all("SELECT old_id FROM aliases WHERE profile_id = ?", (gone,))
    ]
    sql.run("UPDATE identifiers SET profile_id = ? WHERE profile_id = ?", (kept, gone))
    sql.run("UPDATE links SET profile_id = ? WHERE profile_id = ?", (kept, gone))
    sql.run("UPDATE aliases SET profile_id = ? WHERE profile_id = ?", (kept, gone))
    sql.run(
        "INSERT INTO aliases (old_id, profile_id) VALUES (?, ?) "
        "ON CONFLICT (old_id) DO UPDATE SET profile_id = excluded.profile_id",
        (gone, kept),
    )
    sql.run("DELETE FROM profiles WHERE id = ?", (gone,))
    sql.run(
        "INSERT INTO merges (cluster, kept, merged, at, message_id, linked) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (cluster, kept, gone, *merge.key, orjson.dumps(merge.linked).decode()),
    )
    return [gone, *earlier]


def record_blocks(sql: Sql, cluster: int, blocks: Iterable[Block]) -> None:
    sql.many(
        "INSERT INTO blocks (cluster, profile_id, holder, at, message_id, dropped_type, "
        "dropped_value, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(cluster, b.profile, b.holder, *b.key, *b.dropped, b.reason) for b in blocks],
    )


def cluster_links(sql: Sql, cluster: int) -> list[Link]:
    rows = sql.all(
        f"SELECT {_LINK_COLUMNS} FROM links WHERE cluster = ? ORDER BY ts, message_id", (cluster,)
    )
    return [_link(row) for row in rows]


def cluster_profiles(sql: Sql, cluster: int) -> list[str]:
    return [row[0] for row in sql.all("SELECT id FROM profiles WHERE cluster = ?", (cluster,))]


def aliases_into(sql: Sql, profiles: Sequence[str]) -> dict[str, str]:
    """old id -> the live id it resolves to, for aliases of these profiles."""
    if not profiles:
        return {}
    rows = sql.all(
        f"SELECT old_id, profile_id FROM aliases WHERE profile_id IN ({marks(len(profiles))})",
        list(profiles),
    )
    return {str(row[0]): str(row[1]) for row in rows}
