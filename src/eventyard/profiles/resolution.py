"""One event's identifiers -> its profile, in the store (the fast path of every event).

- The identifier set was seen before, earlier: nothing changes (graph.py says why); the
  event belongs where that set's first occurrence put it. This is most events.
- The set is new (or this is an earlier occurrence of it) and the event is newer than every
  link of the clusters it touches: apply it on a working copy of just the profiles it
  matches (`Graph.resolve`) and write what changed.
- Otherwise the event arrived out of order: the clusters it touches are joined and replayed
  from their links in (timestamp, messageId) order (`rebuild.py`), once the event's own
  rows are written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eventyard.profiles import graph_store as gs
from eventyard.profiles.events import Seen
from eventyard.profiles.feed import Feed
from eventyard.profiles.graph import Graph, Outcome
from eventyard.profiles.identifiers import Ident
from eventyard.profiles.merge_protection import Rules
from eventyard.profiles.sql import Sql

__all__ = ["Attached", "attach"]


@dataclass(frozen=True, slots=True)
class Attached:
    link: int
    profile: str | None
    """The event's profile when a new identifier set placed it; None for a known set (look
    it up through the link when needed) and while `replay` is pending."""
    replay: int | None = None
    """A cluster to replay: the event is older than the part of the graph it touches."""
    outcome: Outcome | None = None
    """What a new identifier set changed (fast path)."""


def attach(
    sql: Sql,
    feed: Feed,
    rules: Rules,
    ids: Sequence[Ident],
    digest: bytes,
    seen: Seen,
    links: dict[bytes, gs.Link],
) -> Attached:
    """`digest` is `link_hash(ids)`; `links` holds the batch's known links by hash
    (`find_links`) and is kept up to date here."""
    link = links.get(digest)
    if link is not None and link.key <= seen.key:
        return Attached(link.id, None)
    known, clusters = gs.owners(sql, ids)
    if link is not None:
        place = gs.link_place(sql, link.id)[0]
        if place not in clusters:
            clusters[place] = gs.cluster_info(sql, place)
    new = [ident for ident in ids if ident not in known]
    newest = max([seen.key, *(info.last for info in clusters.values())])
    if clusters:
        cluster = gs.union_clusters(sql, clusters)
        count = sum(info.links for info in clusters.values()) + (link is None)
        gs.set_cluster(sql, cluster, gs.ClusterInfo(newest, count))
    else:
        cluster = gs.new_cluster(sql, seen.key)
    meta = (seen.type, seen.event, seen.source)
    if link is None and newest == seen.key:
        graph = Graph(rules)
        gs.load_profiles(sql, graph, {profile for _, profile in known.values() if profile})
        outcome = graph.resolve(ids, seen.key)
        _write(sql, feed, graph, cluster, outcome, seen)
        gs.save_members(sql, graph, cluster, dict.fromkeys([*outcome.added, *new]))
        link_id = gs.insert_link(sql, digest, cluster, ids, seen.key, meta, outcome.target)
        links[digest] = gs.Link(link_id, seen.key)
        return Attached(link_id, outcome.target, outcome=outcome)
    gs.add_identifiers(sql, new, cluster)
    if link is None:
        link_id = gs.insert_link(sql, digest, cluster, ids, seen.key, meta, None)
    else:
        link_id = link.id
        gs.move_link(sql, link_id, seen.key, meta)
    links[digest] = gs.Link(link_id, seen.key)
    return Attached(link_id, None, replay=cluster)


def _write(sql: Sql, feed: Feed, graph: Graph, cluster: int, outcome: Outcome, seen: Seen) -> None:
    target = outcome.target
    if outcome.created:
        feed.id_graph(target, target, seen)
    for merge in outcome.merges:
        for old in gs.record_merge(sql, merge):
            feed.id_graph(old, target, seen)
    if outcome.created or outcome.merges:
        gs.save_profile(sql, target, graph.profiles[target])
    for ident in outcome.added:
        feed.external_id(target, ident, seen)
    gs.record_blocks(sql, outcome.blocks)
