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
    """The event's profile; None while `replay` is pending."""
    replay: int | None = None
    """A cluster to replay: the event is older than the part of the graph it touches."""
    outcome: Outcome | None = None
    """What a new identifier set changed (fast path)."""


def attach(sql: Sql, feed: Feed, rules: Rules, ids: Sequence[Ident], seen: Seen) -> Attached:
    digest = gs.link_hash(ids)
    link = gs.find_link(sql, digest)
    if link is not None and link.key <= seen.key:
        return Attached(link.id, link.profile)
    known = gs.owners(sql, ids)
    clusters = sorted({cluster for cluster, _ in known.values()} | _cluster_of(link))
    newest = max([seen.key, *gs.cluster_keys(sql, clusters).values()])
    cluster = gs.union_clusters(sql, clusters) if clusters else gs.new_cluster(sql, seen.key)
    meta = (seen.type, seen.event, seen.source)
    if link is None:
        link_id = gs.insert_link(sql, digest, cluster, ids, seen.key, meta)
    else:
        link_id = link.id
        gs.move_link(sql, link_id, seen.key, meta)
    gs.add_identifiers(sql, [i for i in ids if i not in known], cluster)
    gs.set_cluster_last(sql, cluster, newest)
    if link is not None or newest != seen.key:
        return Attached(link_id, None, replay=cluster)
    graph = Graph(rules)
    gs.load_profiles(sql, graph, {profile for _, profile in known.values() if profile})
    outcome = graph.resolve(ids, seen.key)
    _write(sql, feed, graph, cluster, outcome, seen)
    gs.set_link_profile(sql, link_id, outcome.target)
    return Attached(link_id, outcome.target, outcome=outcome)


def _cluster_of(link: gs.Link | None) -> set[int]:
    return set() if link is None else {link.cluster}


def _write(sql: Sql, feed: Feed, graph: Graph, cluster: int, outcome: Outcome, seen: Seen) -> None:
    target = outcome.target
    if outcome.created:
        feed.id_graph(target, target, seen)
    for merge in outcome.merges:
        for old in gs.record_merge(sql, cluster, merge):
            feed.id_graph(old, target, seen)
    if outcome.created or outcome.merges:
        gs.save_profile(sql, target, cluster, graph.profiles[target])
    gs.save_members(sql, graph, outcome.added)
    for ident in outcome.added:
        feed.external_id(target, ident, seen)
    gs.record_blocks(sql, cluster, outcome.blocks)
