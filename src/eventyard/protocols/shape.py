"""Which keys a schema plans, compiled once into a small tree, so that finding an event's
unplanned properties is a walk over the event alone (no schema lookups per event).

A key is unplanned where the schema lists `properties`, the key is not among them, and
`additionalProperties` is left open (true or absent) with no `patternProperties`. Nested
objects and array items are followed through `properties`, `items` and local `$ref`s; not
through `anyOf`/`oneOf`/`allOf`, where "declared" has no single answer. A reference cycle
stops the tree where it loops.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eventyard.protocols.schema import MAX_DEPTH, resolve_ref

__all__ = ["Shape", "shape_of", "unplanned_paths"]

Steps = tuple[str | int, ...]


@dataclass(slots=True)
class Shape:
    declared: frozenset[str] | None = None
    """The keys an object here may have; None: this schema lists no `properties`."""
    open: bool = False
    """Other keys are unplanned (rather than the schema's own business)."""
    children: dict[str, Shape] = field(default_factory=dict)
    """Declared keys whose values have a shape of their own."""
    items: Shape | None = None
    """The shape of each array item."""


def _build(schema: Any, root: Any, seen: frozenset[str], depth: int) -> Shape | None:
    schema, seen = resolve_ref(schema, root, seen)
    if not isinstance(schema, dict) or depth > MAX_DEPTH:
        return None
    shape = Shape()
    declared = schema.get("properties")
    if isinstance(declared, dict):
        shape.declared = frozenset(declared)
        shape.open = schema.get("additionalProperties", True) is True
        shape.open = shape.open and "patternProperties" not in schema
        for key, sub in declared.items():
            child = _build(sub, root, seen, depth + 1)
            if child is not None:
                shape.children[key] = child
    shape.items = _build(schema.get("items"), root, seen, depth + 1)
    if shape.declared is None and shape.items is None:
        return None
    return shape


def shape_of(schema: dict[str, Any]) -> Shape | None:
    """The compiled tree of `schema`, or None when it plans no keys anywhere."""
    return _build(schema, schema, frozenset(), 0)


def _walk(shape: Shape, value: Any, steps: Steps, out: list[Steps]) -> None:
    if type(value) is dict:
        declared = shape.declared
        if declared is None:
            return
        if shape.open and not value.keys() <= declared:
            out.extend((*steps, key) for key in value if key not in declared)
        for key, child in shape.children.items():
            inner = value.get(key)
            if type(inner) is dict or type(inner) is list:
                _walk(child, inner, (*steps, key), out)
    elif type(value) is list and shape.items is not None:
        for i, item in enumerate(value):
            if type(item) is dict or type(item) is list:
                _walk(shape.items, item, (*steps, i), out)


def unplanned_paths(shape: Shape | None, value: Any, steps: Steps) -> list[Steps]:
    """Paths (from the event's top, starting with `steps`) of keys the shape does not plan."""
    out: list[Steps] = []
    if shape is not None:
        _walk(shape, value, steps, out)
    return out
