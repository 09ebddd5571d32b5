"""Replay one cluster of the graph from its links, in (timestamp, messageId) order.

Runs when an event arrives older than the part of the graph it touches. The replay gives
exactly what in-order arrival would have built (graph.py), then everything derived from the
old grouping is written again: identifiers, links, profiles, merges, blocks, aliases (every
profile id that existed stays resolvable: merged ids point at the profile that absorbed
them, a vanished id at the profile now holding its highest-priority identifier), traits and
computed traits, and the feed rows the warehouses need to follow.
"""

from __future__ import annotations

from collections.abc import Sequence

from eventyard.profiles import computed_store
from eventyard.profiles import graph_store as gs
from eventyard.profiles import traits as trait_rows
from eventyard.profiles.computed import ComputedTrait
from eventyard.profiles.events import Seen
from eventyard.profiles.feed import Feed
from eventyard.profiles.graph import Block, Graph, Merge
from eventyard.profiles.identifiers import Ident
from eventyard.profiles.merge_protection import Rules
from eventyard.profiles.sql import Sql, marks

__all__ = ["replay"]


def replay(
    sql: Sql,
    feed: Feed,
    rules: Rules,
    computed: Sequence[ComputedTrait],
    cluster: int,
    seen: Seen,
    now: float,
) -> None:
    before = {
        (kind, value): profile
        for kind, value, profile in sql.all(
            "SELECT type, value, profile_id FROM identifiers WHERE cluster = ?", (cluster,)
        )
    }
    old_profiles = gs.cluster_profiles(sql, cluster)
    old_aliases = gs.aliases_into(sql, old_profiles)
    old_names = _names(sql, old_profiles) if feed.enabled else {}
    graph = Graph(rules)
    merges: list[Merge] = []
    blocks: list[Block] = []
    targets: dict[int, str] = {}
    for link in gs.cluster_links(sql, cluster):
        outcome = graph.resolve(link.ids, link.key)
        targets[link.id] = outcome.target
        merges += outcome.merges
        blocks += outcome.blocks
    canonical = _canonical(graph, rules, before, old_profiles, old_aliases)
    old_ids = [*old_profiles, *old_aliases]
    _write_graph(sql, graph, cluster, before, targets, merges, blocks, canonical, old_ids)
    live = sorted(graph.profiles)
    trait_rows.remove(sql, old_profiles)
    computed_store.remove(sql, old_profiles)
    for profile in live:
        trait_rows.recompute(sql, profile)
        computed_store.recompute(sql, computed, profile, now)
    if feed.enabled:
        _feed(feed, graph, before, old_profiles, canonical, old_names, seen)


def _canonical(
    graph: Graph,
    rules: Rules,
    before: dict[Ident, str | None],
    old_profiles: Sequence[str],
    old_aliases: dict[str, str],
) -> dict[str, str]:
    """Every profile id that existed in the cluster -> the live profile it means now."""
    mapping = {profile: graph.canonical(profile) for profile in graph.merged_into}
    for old in [*old_profiles, *old_aliases]:
        holder = old_aliases.get(old, old)
        if holder in graph.profiles or holder in graph.merged_into:
            mapping[old] = graph.canonical(holder)
            continue
        members = sorted((i for i, p in before.items() if p == holder), key=rules.order)
        placed = [graph.members[i].profile for i in members if i in graph.members]
        if placed:
            mapping[old] = placed[0]
        elif graph.profiles:
            mapping[old] = min(graph.profiles, key=lambda p: graph.profiles[p].created)
    return mapping


def _write_graph(
    sql: Sql,
    graph: Graph,
    cluster: int,
    before: dict[Ident, str | None],
    targets: dict[int, str],
    merges: list[Merge],
    blocks: list[Block],
    canonical: dict[str, str],
    old_ids: Sequence[str],
) -> None:
    _delete(sql, "profiles", "id", old_ids)
    for profile, state in graph.profiles.items():
        gs.save_profile(sql, profile, state)
    gs.save_members(sql, graph, cluster, before)
    sql.many(
        "UPDATE links SET profile_id = ? WHERE id = ?",
        [(graph.canonical(target), link) for link, target in targets.items()],
    )
    _delete(sql, "merges", "kept", old_ids)
    gs.record_merges(sql, merges)
    _delete(sql, "blocks", "profile_id", old_ids)
    gs.record_blocks(sql, blocks)
    _delete(sql, "aliases", "old_id", sorted({*canonical, *graph.profiles}))
    sql.many(
        "INSERT INTO aliases (old_id, profile_id) VALUES (?, ?)",
        [(old, new) for old, new in canonical.items() if old != new],
    )


def _delete(sql: Sql, table: str, column: str, values: Sequence[str]) -> None:
    for start in range(0, len(values), 500):
        chunk = values[start : start + 500]
        sql.run(f"DELETE FROM {table} WHERE {column} IN ({marks(len(chunk))})", list(chunk))


def _names(sql: Sql, profiles: Sequence[str]) -> dict[str, set[str]]:
    """Trait and computed trait names per profile (what a replay may have to remove)."""
    names: dict[str, set[str]] = {}
    for table in ("traits", "computed"):
        for profile in profiles:
            for (key,) in sql.all(f"SELECT key FROM {table} WHERE profile_id = ?", (profile,)):
                names.setdefault(profile, set()).add(key)
    return names


def _feed(
    feed: Feed,
    graph: Graph,
    before: dict[Ident, str | None],
    old_profiles: Sequence[str],
    canonical: dict[str, str],
    old_names: dict[str, set[str]],
    seen: Seen,
) -> None:
    for profile in sorted(set(graph.profiles) - set(old_profiles)):
        feed.id_graph(profile, profile, seen)
    for old, new in sorted(canonical.items()):
        if old != new:
            feed.id_graph(old, new, seen)
    for ident, holder in before.items():
        member = graph.members.get(ident)
        now_in = None if member is None else member.profile
        was_in = None if holder is None else canonical.get(holder, holder)
        if was_in != now_in:
            feed.external_id(now_in, ident, seen)
    for profile in sorted(graph.profiles):
        gone: set[str] = set()
        for old, new in [*canonical.items(), (profile, profile)]:
            if new == profile:
                gone |= old_names.get(old, set())
        feed.snapshot(profile, seen, gone)
