"""`@path` lookups, precompiled to key tuples with a fast path for plain nested objects."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from eventyard.mapping._core import UNDEFINED, Resolver

__all__ = ["compile_path", "get_path", "parse_path"]

# mapping-kit's get(): a path is the runs of characters other than `[`, `.` and `]`.
_SEGMENT = re.compile(r"[^\[.\]]+")


@lru_cache(maxsize=4096)
def parse_path(path: str) -> tuple[str, ...]:
    """`$.a.b[0].c` -> ('a', 'b', '0', 'c'); `$.`, `''` and `.` mean the whole event."""
    if path.startswith("$."):
        path = path[2:]
    return tuple(_SEGMENT.findall(path))


def get_path(value: Any, keys: tuple[str, ...]) -> Any:
    """Walk objects by key and arrays by non-negative index; anything else is undefined."""
    for key in keys:
        kind = type(value)
        if kind is dict:
            value = value.get(key, UNDEFINED)
            if value is UNDEFINED:
                return UNDEFINED
        elif kind is list:
            if not key.isdigit() or not key.isascii():
                return UNDEFINED
            index = int(key)
            if index >= len(value):
                return UNDEFINED
            value = value[index]
        else:
            return UNDEFINED
    return value


def compile_path(path: str) -> Resolver:
    """A resolver for one static path; the common 1-3 key cases avoid the generic loop."""
    keys = parse_path(path)
    # Indexing a list or a string with a str key raises TypeError, so the fast path only
    # ever succeeds through dicts, and everything else takes the exact slow path.
    misses = (KeyError, TypeError, IndexError)
    if not keys:
        return lambda event: event
    if len(keys) == 1:
        (a,) = keys

        def get1(event: Any) -> Any:
            try:
                return event[a]
            except misses:
                return get_path(event, keys)

        return get1
    if len(keys) == 2:
        a, b = keys

        def get2(event: Any) -> Any:
            try:
                return event[a][b]
            except misses:
                return get_path(event, keys)

        return get2
    if len(keys) == 3:
        a, b, c = keys

        def get3(event: Any) -> Any:
            try:
                return event[a][b][c]
            except misses:
                return get_path(event, keys)

        return get3
    return lambda event: get_path(event, keys)
