"""`Filter`: compiled FQL plus the metadata the pipeline needs (source text, paths read).

`compile_fql` is called once per configuration change; `Filter(event)` runs per event.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from eventyard.fql.compiler import Test, compile_test
from eventyard.fql.nodes import Bool, Call, Cmp, Lit, Node, Not, Path
from eventyard.fql.parser import parse

__all__ = ["Filter", "compile_fql", "evaluate", "top_level_paths"]


def top_level_paths(node: Node) -> frozenset[str]:
    """The first key of every path the node reads, e.g. {"type", "properties"}."""
    if isinstance(node, Path):
        return frozenset(node.keys[:1])
    if isinstance(node, Call):
        children: tuple[Node, ...] = node.args
    elif isinstance(node, Bool):
        children = node.items
    elif isinstance(node, Cmp):
        children = (node.left, node.right)
    elif isinstance(node, Not):
        children = (node.operand,)
    else:
        return frozenset()
    return frozenset().union(*(top_level_paths(child) for child in children))


class Filter:
    """A compiled FQL expression: call it with an event to get True or False; never raises."""

    __slots__ = ("_test", "node", "paths", "text")

    def __init__(self, text: str, node: Node) -> None:
        self.text = text
        self.node = node
        self.paths = top_level_paths(node)
        self._test: Test = compile_test(node)

    def __call__(self, event: Any) -> bool:
        return self._test(event)

    def __repr__(self) -> str:
        return f"Filter({self.text!r})"


def compile_fql(text: str) -> Filter:
    """Parse and compile FQL; `"all"` (the Public API's unconditional filter) matches all."""
    if text.strip() == "all":
        return Filter(text, Lit(True))
    return Filter(text, parse(text))


@lru_cache(maxsize=1024)
def _cached(text: str) -> Filter:
    return compile_fql(text)


def evaluate(text: str, event: Any) -> bool:
    """Compile (cached) and evaluate in one call; raises FQLSyntaxError for invalid text."""
    return _cached(text)(event)
