"""The identity graph of one profile as a picture: identifiers on a circle, an edge from each
identifier to the one it joined through (labelled with the event), merges highlighted, and
identifiers that merge protection kept off drawn outside the profile with a dashed edge.

Only positions and labels are computed here; `profile.html` draws them as inline SVG (no
script: the Content-Security-Policy allows none inline, and none is needed).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from eventyard.profiles.explain import Explanation
from eventyard.profiles.identifiers import Ident, format_ident

__all__ = ["MAX_NODES", "Edge", "GraphPicture", "Node", "picture"]

MAX_NODES = 60
"""More identifiers than this are listed in the table but not drawn."""
_LABEL_CHARS = 30
_WIDTH = 760
_RADIUS = 210
_MARGIN = 120


@dataclass(frozen=True, slots=True)
class Node:
    key: str
    label: str
    title: str
    x: float
    y: float
    kind: str
    """`first` (started the profile), `member`, `merged` (came with a merged profile) or
    `blocked` (kept off by merge protection)."""


@dataclass(frozen=True, slots=True)
class Edge:
    x1: float
    y1: float
    x2: float
    y2: float
    label: str
    title: str
    kind: str
    """`joined`, `merge` or `blocked`."""

    @property
    def mid(self) -> tuple[float, float]:
        return (self.x1 + self.x2) / 2, (self.y1 + self.y2) / 2


@dataclass(frozen=True, slots=True)
class GraphPicture:
    width: int
    height: int
    nodes: list[Node]
    edges: list[Edge]
    hidden: int
    """Identifiers not drawn (over MAX_NODES)."""


def _short(text: str) -> str:
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "…"


def _kinds(story: Explanation) -> dict[Ident, str]:
    """How each identifier came: the first of a profile that was later merged in, or not."""
    merged_starts = {m.merged for m in story.merges}
    kinds: dict[Ident, str] = {}
    for joined in story.identifiers:
        if joined.via is None:
            started = story.created.message_id == joined.by.message_id
            kinds[joined.ident] = "first" if started or not merged_starts else "merged"
        else:
            kinds[joined.ident] = "member"
    return kinds


def picture(story: Explanation) -> GraphPicture:
    shown = story.identifiers[:MAX_NODES]
    count = len(shown)
    center = _WIDTH / 2
    height = 2 * (_RADIUS + _MARGIN) if count > 1 else 2 * _MARGIN + 60
    places: dict[str, tuple[float, float]] = {}
    kinds = _kinds(story)
    nodes: list[Node] = []
    for index, joined in enumerate(shown):
        angle = -math.pi / 2 + 2 * math.pi * index / max(count, 1)
        radius = _RADIUS if count > 1 else 0
        x, y = center + radius * math.cos(angle), height / 2 + radius * math.sin(angle)
        text = format_ident(joined.ident)
        places[text] = (x, y)
        nodes.append(Node(text, _short(text), text, x, y, kinds[joined.ident]))
    outside = _outside(story, places)
    for index, (key, title) in enumerate(outside.items()):
        places[key] = (130 + (index * 180) % (_WIDTH - 260), height - 40)
        nodes.append(Node(key, _short(title), title, *places[key], "blocked"))
    hidden = len(story.identifiers) - count
    return GraphPicture(_WIDTH, int(height), nodes, _edges(story, places), hidden)


def _outside(story: Explanation, places: dict[str, tuple[float, float]]) -> dict[str, str]:
    """Nodes outside the profile: identifiers kept off it, and the profiles that were kept
    from taking one of its identifiers (key -> full label)."""
    found: dict[str, str] = {}
    for block in story.blocks:
        if block.profile == story.profile:
            key = format_ident(block.dropped)
            label = key
        else:
            key = label = f"profile {block.profile}"
        if key not in places:
            found.setdefault(key, label)
    return dict(list(found.items())[: MAX_NODES // 4])


def _edges(story: Explanation, places: dict[str, tuple[float, float]]) -> list[Edge]:
    edges: list[Edge] = []
    for joined in story.identifiers:
        one, other = format_ident(joined.ident), joined.via and format_ident(joined.via)
        if other in places and one in places:
            title = f"{joined.by.label()} {joined.by.message_id}"
            edges.append(Edge(*places[other], *places[one], joined.by.label(), title, "joined"))
    for merge in story.merges:
        linked = [format_ident(i) for i in merge.linked if format_ident(i) in places]
        for one, other in itertools.pairwise(linked):
            title = f"merged {merge.merged} by {merge.by.label()} {merge.by.message_id}"
            edges.append(Edge(*places[one], *places[other], "merge", title, "merge"))
    anchor = format_ident(story.identifiers[0].ident) if story.identifiers else ""
    drawn: set[tuple[str, str]] = set()
    for block in story.blocks:
        if block.profile == story.profile:
            start, end = anchor, format_ident(block.dropped)
        else:
            start, end = format_ident(block.dropped), f"profile {block.profile}"
        if start in places and end in places and (start, end) not in drawn:
            drawn.add((start, end))  # one line per refused pair, however often it was tried
            title = f"{block.reason} ({block.by.label()} {block.by.message_id})"
            edges.append(Edge(*places[start], *places[end], "kept off", title, "blocked"))
    return edges
