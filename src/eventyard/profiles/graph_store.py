"""The identity graph's rows: links, identifiers, clusters, profiles, aliases, merges, blocks.

Plain functions of an `Sql` inside the consumer's transaction. A cluster is a raw connected
part of the graph (identifiers joined by any link, merge protection or not); profiles never
span clusters, so a cluster is the unit that is replayed when an older event arrives.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import orjson

from eventyard.profiles.graph import Block, Graph, Key, Member, Merge, ProfileState
from eventyard.profiles.identifiers import Ident
from eventyard.profiles.sql import Sql, marks

__all__ = [
    "ClusterInfo",
    "ClusterLink",
    "Link",
    "LinkMeta",
    "add_identifiers",
    "aliases_into",
    "cluster_info",
    "cluster_links",
    "cluster_profiles",
    "find_links",
    "insert_link",
    "link_hash",
    "link_place",
    "load_profiles",
    "move_link",
    "new_cluster",
    "owners",
    "record_blocks",
    "record_merge",
    "record_merges",
    "save_members",
    "save_profile",
    "set_cluster",
    "union_clusters",
]

LinkMeta = tuple[str | None, str | None, str]
"""(event type, event name, source) of a link's first occurrence."""


@dataclass(frozen=True, slots=True)
class Link:
    """What stays true of a link while a batch runs (its profile and cluster may change)."""

    id: int
    key: Key


@dataclass(frozen=True, slots=True)
class ClusterLink:
    """A link as a replay needs it: its identifiers, in first-occurrence order."""

    id: int
    key: Key
    ids: list[Ident]


def link_hash(ids: Iterable[Ident]) -> bytes:
    """The same for every ordering of the same identifier set."""
    text = "\x1f".join(f"{kind}\x1e{value}" for kind, value in sorted(set(ids)))
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def find_links(sql: Sql, digests: Iterable[bytes]) -> dict[bytes, Link]:
    """The known links among these identifier sets (one query per 500)."""
    wanted = list(dict.fromkeys(digests))
    found = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for digest, link, at, message_id in sql.all(
            f"SELECT hash, id, ts, message_id FROM links WHERE hash IN ({marks(len(chunk))})",
            chunk,
        ):
            found[bytes(digest)] = Link(link, (at, message_id))
    return found


def link_place(sql: Sql, link: int) -> tuple[int, str | None]:
    """(cluster, profile) of a link now."""
    row = sql.one("SELECT cluster, profile_id FROM links WHERE id = ?", (link,))
    return int(row[0]), row[1]


def insert_link(
    sql: Sql,
    digest: bytes,
    cluster: int,
    ids: Sequence[Ident],
    key: Key,
    meta: LinkMeta,
    profile: str | None,
) -> int:
    row = sql.one(
        "INSERT INTO links (hash, cluster, profile_id, ts, message_id, ids, event_type, event, "
        "source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (digest, cluster, profile, *key, orjson.dumps(sorted(ids)).decode(), *meta),
    )
    return int(row[0])


def move_link(sql: Sql, link: int, key: Key, meta: LinkMeta) -> None:
    """An older occurrence of a known identifier set becomes its first occurrence."""
    sql.run(
        "UPDATE links SET ts = ?, message_id = ?, event_type = ?, event = ?, source = ? "
        "WHERE id = ?",
        (key[0], key[1], *meta, link),
    )


def save_profile(sql: Sql, profile: str, state: ProfileState) -> None:
    sql.run(
        "INSERT INTO profiles (id, created_at, created_by, merges) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET merges = excluded.merges",
        (profile, *state.created, state.merges),
    )


@dataclass(frozen=True, slots=True)
class ClusterInfo:
    last: Key
    """The newest link's (time, messageId)."""
    links: int


def owners(
    sql: Sql, ids: Sequence[Ident]
) -> tuple[dict[Ident, tuple[int, str | None]], dict[int, ClusterInfo]]:
    """Known identifiers -> (cluster, profile or None), and what their clusters hold."""
    pairs = " OR ".join("(i.type = ? AND i.value = ?)" for _ in ids)  # a key lookup per pair
    rows = sql.all(
        "SELECT i.type, i.value, i.cluster, i.profile_id, c.last_ts, c.last_mid, c.links "
        f"FROM identifiers i JOIN clusters c ON c.id = i.cluster WHERE {pairs}",
        [part for ident in ids for part in ident],
    )
    found = {(row[0], row[1]): (int(row[2]), row[3]) for row in rows}
    clusters = {int(r[2]): ClusterInfo((float(r[4]), str(r[5])), int(r[6])) for r in rows}
    return found, clusters


def cluster_info(sql: Sql, cluster: int) -> ClusterInfo:
    row = sql.one("SELECT last_ts, last_mid, links FROM clusters WHERE id = ?", (cluster,))
    return ClusterInfo((float(row[0]), str(row[1])), int(row[2]))


def new_cluster(sql: Sql, key: Key) -> int:
    """A cluster for one new link."""
    row = sql.one(
        "INSERT INTO clusters (last_ts, last_mid, links) VALUES (?, ?, 1) RETURNING id", key
    )
    return int(row[0])


def set_cluster(sql: Sql, cluster: int, info: ClusterInfo) -> None:
    sql.run(
        "UPDATE clusters SET last_ts = ?, last_mid = ?, links = ? WHERE id = ?",
        (*info.last, info.links, cluster),
    )


_RELABELED = ("identifiers", "links")


def union_clusters(sql: Sql, clusters: dict[int, ClusterInfo]) -> int:
    """Join clusters into the one with the most links (the others' rows are relabeled);
    returns its id. The caller sets the joined cluster's info."""
    keep = max(clusters, key=lambda c: (clusters[c].links, -c))
    others = [c for c in clusters if c != keep]
    if not others:
        return keep
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
    wanted = sorted(set(profiles))
    if not wanted:
        return
    rows = sql.all(
        "SELECT p.id, p.created_at, p.created_by, p.merges, i.type, i.value, i.added_at, "
        "i.added_by, i.via_type, i.via_value FROM profiles p JOIN identifiers i "
        f"ON i.profile_id = p.id WHERE p.id IN ({marks(len(wanted))})",
        wanted,
    )
    states: dict[str, ProfileState] = {}
    members: dict[Ident, Member] = {}
    for profile, created_at, created_by, merges, kind, value, at, by, vt, vv in rows:
        state = states.get(profile)
        if state is None:
            state = states[profile] = ProfileState((float(created_at), created_by), int(merges))
        state.members.add((kind, value))
        members[(kind, value)] = Member(profile, at, by, None if vt is None else (vt, vv))
    for profile, state in states.items():
        graph.load(profile, state, {i: members[i] for i in state.members})


def save_members(sql: Sql, graph: Graph, cluster: int, ids: Iterable[Ident]) -> None:
    """Write where these identifiers (new ones included) now are and why."""
    rows = []
    for ident in ids:
        member = graph.members.get(ident)
        if member is None:
            rows.append((*ident, cluster, None, None, None, None, None))
        else:
            via = member.via or (None, None)
            rows.append((*ident, cluster, member.profile, member.added_at, member.added_by, *via))
    sql.many(
        "INSERT INTO identifiers (type, value, cluster, profile_id, added_at, added_by, "
        "via_type, via_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (type, value) DO UPDATE "
        "SET profile_id = excluded.profile_id, added_at = excluded.added_at, "
        "added_by = excluded.added_by, via_type = excluded.via_type, "
        "via_value = excluded.via_value",
        rows,
    )


def record_merge(sql: Sql, merge: Merge) -> list[str]:
    """Move the merged profile's rows to the kept one; returns every id that pointed at the
    merged profile (it, and the ids merged into it before), which now resolve to the kept."""
    kept, gone = merge.kept, merge.merged
    rows = sql.all(
        "UPDATE aliases SET profile_id = ? WHERE profile_id = ? RETURNING old_id", (kept, gone)
    )
    earlier = sorted(str(row[0]) for row in rows)
    sql.run("UPDATE identifiers SET profile_id = ? WHERE profile_id = ?", (kept, gone))
    sql.run("UPDATE links SET profile_id = ? WHERE profile_id = ?", (kept, gone))
    sql.run(
        "INSERT INTO aliases (old_id, profile_id) VALUES (?, ?) "
        "ON CONFLICT (old_id) DO UPDATE SET profile_id = excluded.profile_id",
        (gone, kept),
    )
    sql.run("DELETE FROM profiles WHERE id = ?", (gone,))
    record_merges(sql, [merge])
    return [gone, *earlier]


def record_merges(sql: Sql, merges: Iterable[Merge]) -> None:
    sql.many(
        "INSERT INTO merges (kept, merged, at, message_id, linked) VALUES (?, ?, ?, ?, ?)",
        [(m.kept, m.merged, *m.key, orjson.dumps(m.linked).decode()) for m in merges],
    )


def record_blocks(sql: Sql, blocks: Iterable[Block]) -> None:
    sql.many(
        "INSERT INTO blocks (profile_id, holder, at, message_id, dropped_type, dropped_value, "
        "reason) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(b.profile, b.holder, *b.key, *b.dropped, b.reason) for b in blocks],
    )


def cluster_links(sql: Sql, cluster: int) -> list[ClusterLink]:
    rows = sql.all(
        "SELECT id, ts, message_id, ids FROM links WHERE cluster = ? ORDER BY ts, message_id",
        (cluster,),
    )
    return [
        ClusterLink(row[0], (row[1], row[2]), [(str(k), str(v)) for k, v in orjson.loads(row[3])])
        for row in rows
    ]


def cluster_profiles(sql: Sql, cluster: int) -> list[str]:
    """The live profiles of a cluster (every profile holds at least one identifier)."""
    rows = sql.all(
        "SELECT DISTINCT profile_id FROM identifiers WHERE cluster = ? AND profile_id IS NOT NULL",
        (cluster,),
    )
    return sorted(str(row[0]) for row in rows)


def aliases_into(sql: Sql, profiles: Sequence[str]) -> dict[str, str]:
    """old id -> the live id it resolves to, for aliases of these profiles."""
    if not profiles:
        return {}
    rows = sql.all(
        f"SELECT old_id, profile_id FROM aliases WHERE profile_id IN ({marks(len(profiles))})",
        list(profiles),
    )
    return {str(row[0]): str(row[1]) for row in rows}
