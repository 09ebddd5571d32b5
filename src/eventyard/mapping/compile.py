"""compile_mapping: check a mapping once at config time and turn it into nested closures."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from eventyard.mapping._core import UNDEFINED, Compile, Resolver, const, directive_key
from eventyard.mapping.directives import (
    build_array_path,
    build_case,
    build_exclude_when_null,
    build_if,
    build_literal,
    build_merge,
    build_path,
    build_template,
    build_transform,
)
from eventyard.mapping.errors import Loc, MappingError
from eventyard.mapping.liquid import build_liquid
from eventyard.mapping.transforms import build_flatten, build_json, build_replace

__all__ = ["DIRECTIVES", "Mapping", "compile_mapping", "map_event"]

# A builder gets (argument, location of the directive object, compiler).
DIRECTIVES: dict[str, Any] = {
    "@arrayPath": build_array_path,
    "@case": build_case,
    "@excludeWhenNull": build_exclude_when_null,
    "@flatten": build_flatten,
    "@if": build_if,
    "@json": build_json,
    "@liquid": build_liquid,
    "@literal": build_literal,
    "@merge": build_merge,
    "@path": build_path,
    "@replace": build_replace,
    "@template": build_template,
    "@transform": build_transform,
}
# Segment's UI stores editor state beside a directive; it never affects the output.
_IGNORED_SIBLINGS = frozenset({"_metadata"})


def _compile_directive(node: dict[str, Any], loc: Loc) -> Resolver:
    names = [k for k in node if isinstance(k, str) and k.startswith("@")]
    if len(names) > 1:
        raise MappingError(loc, f"a directive has exactly one @-key, found {', '.join(names)}")
    others = [str(k) for k in node if k not in names and k not in _IGNORED_SIBLINGS]
    if others:
        raise MappingError(
            loc, f"a directive ({names[0]}) cannot have sibling keys: {', '.join(others)}"
        )
    builder = DIRECTIVES.get(names[0])
    if builder is None:
        known = ", ".join(sorted(DIRECTIVES))
        raise MappingError(loc, f"unknown directive {names[0]} (known: {known})")
    resolver: Resolver = builder(node[names[0]], loc, _compile_node)
    return resolver


def _compile_object(node: dict[Any, Any], loc: Loc) -> Resolver:
    items = []
    for key, value in node.items():
        if not isinstance(key, str):
            raise MappingError(loc, f"object keys must be strings, got {key!r}")
        items.append((key, _compile_node(value, (*loc, key))))
    pairs = tuple(items)

    def resolve(event: Any) -> dict[str, Any]:
        out = {}
        for key, get in pairs:
            value = get(event)
            if value is not UNDEFINED:
                out[key] = value
        return out

    return resolve


def _compile_array(node: list[Any], loc: Loc) -> Resolver:
    parts = tuple(_compile_node(item, (*loc, i)) for i, item in enumerate(node))

    def resolve(event: Any) -> list[Any]:
        # JSON has no undefined: JSON.stringify writes it as null inside arrays.
        return [None if v is UNDEFINED else v for v in (get(event) for get in parts)]

    return resolve


def _compile_node(node: Any, loc: Loc) -> Resolver:
    """Dispatch on the JSON type; directives are objects with an @-key."""
    if type(node) is dict:
        if directive_key(node) is not None:
            return _compile_directive(node, loc)
        return _compile_object(node, loc)
    if type(node) is list:
        return _compile_array(node, loc)
    if node is None or isinstance(node, str | bool | int | float):
        return const(node)
    raise MappingError(loc, f"not a JSON value: {type(node).__name__}")


_compile: Compile = _compile_node


class Mapping:
    """A compiled mapping: call it with an event to get the mapped payload.

    Objects and arrays written in the mapping are rebuilt per call, but values taken from
    the event (`{"@path": "$."}`) are the event's own objects, not copies: don't mutate.
    """

    __slots__ = ("_resolve", "source")

    def __init__(self, source: Any, resolve: Resolver) -> None:
        self.source = source
        self._resolve = resolve

    def __call__(self, event: dict[str, Any]) -> Any:
        """Never raises on JSON events; a top-level undefined result is None."""
        value = self._resolve(event)
        return None if value is UNDEFINED else value

    def __repr__(self) -> str:
        return f"Mapping({self.source!r})"


def compile_mapping(mapping: Any, where: str = "") -> Mapping:
    """Validate the whole mapping and compile it; MappingError names the bad location."""
    try:
        return Mapping(mapping, _compile_node(mapping, ()))
    except MappingError as error:
        if not where:
            raise
        raise MappingError(error.path, error.reason, where) from None
    except RecursionError:
        raise MappingError((), "the mapping is nested too deeply", where) from None


@lru_cache(maxsize=1024)
def _compiled(text: str) -> Mapping:
    return compile_mapping(json.loads(text))


def map_event(mapping: Any, event: dict[str, Any]) -> Any:
    """Compile (cached by the mapping's JSON text) and apply in one call."""
    return _compiled(json.dumps(mapping, separators=(",", ":")))(event)
