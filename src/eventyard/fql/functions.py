"""FQL's value model: type tags, type-strict equality, and the built-in functions.

Every function takes any JSON value and returns a value; none raises. Wrong types give
null (or false for predicates), as Segment documents for `contains(null, s)` and friends.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

from eventyard.fql.glob import glob_matches

__all__ = ["ARITY", "FUNCTIONS", "fql_type", "in_list", "is_number", "strict_eq", "to_string"]

_TAGS: dict[type, str] = {
    str: "string",
    int: "number",
    float: "number",
    bool: "bool",
    type(None): "null",
    list: "list",
    dict: "object",
}


def fql_type(value: Any) -> str:
    """FQL's name for the type of a JSON value ("object" for dicts, "other" for non-JSON)."""
    tag = _TAGS.get(type(value))
    if tag is not None:
        return tag
    for kind, name in _TAGS.items():
        if isinstance(value, kind):
            return name
    return "other"


def is_number(value: Any) -> bool:
    return type(value) in (int, float) or fql_type(value) == "number"


def strict_eq(a: Any, b: Any) -> bool:
    """Same type and same value; lists and objects element-wise, object key order included."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        tag = fql_type(x)
        if tag != fql_type(y) or tag == "other":
            return False
        if tag == "list":
            if len(x) != len(y):
                return False
            stack.extend(zip(x, y, strict=True))
        elif tag == "object":
            if len(x) != len(y) or list(x) != list(y):
                return False
            stack.extend((x[k], y[k]) for k in x)
        elif x != y:
            return False
    return True


def in_list(item: Any, items: Any) -> bool:
    return fql_type(items) == "list" and any(strict_eq(item, v) for v in items)


def _length(value: Any) -> Any:
    if value is None:
        return 0
    if isinstance(value, list):
        return len(value)
    if isinstance(value, str):
        return len(value) if value.isascii() else len(value.encode("utf-8", "surrogatepass"))
    return None


def _contains(s: Any, sub: Any) -> bool:
    return isinstance(s, str) and isinstance(sub, str) and sub in s


def _match(s: Any, pattern: Any) -> bool:
    return isinstance(s, str) and isinstance(pattern, str) and glob_matches(pattern, s)


def _text(op: Callable[[str], str]) -> Callable[[Any], Any]:
    return lambda v: op(v) if isinstance(v, str) else None


_SPACE = re.compile(r"\s")
_WORD_START = re.compile(r"(^|\s)(\S)")


def _titlecase(s: str) -> str:
    return _WORD_START.sub(lambda m: m.group(1) + m.group(2).upper(), s)


def _typeof(value: Any) -> str:
    return fql_type(value)


_TRUE = frozenset({"1", "t", "T", "true", "TRUE", "True"})
_FALSE = frozenset({"0", "f", "F", "false", "FALSE", "False"})


def _bool(value: Any) -> Any:
    tag = fql_type(value)
    if tag == "bool":
        return value
    if tag == "null":
        return False
    if tag == "number":
        return bool(value)
    if tag == "list":
        return len(value) > 0
    if tag == "string":
        return True if value in _TRUE else False if value in _FALSE else None
    return None


def to_string(value: Any) -> Any:
    """Strings as is; everything else as its compact JSON text (1.0 -> "1"); null if odd."""
    tag = fql_type(value)
    if tag == "string":
        return value
    if tag == "number" and isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return None


_NUMERIC = re.compile(r"\s*-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")


def _number(value: Any) -> Any:
    tag = fql_type(value)
    if tag == "number":
        return value
    if tag != "string" or len(value) > 400 or not _NUMERIC.fullmatch(value):
        return None
    text = value.strip()
    if text.lstrip("-").isdigit():
        return int(text)
    number = float(text)
    return number if math.isfinite(number) else None


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "contains": _contains,
    "match": _match,
    "length": _length,
    "lowercase": _text(str.lower),
    "uppercase": _text(str.upper),
    "snakecase": _text(lambda s: _SPACE.sub("_", s)),
    "kebabcase": _text(lambda s: _SPACE.sub("-", s)),
    "titlecase": _text(_titlecase),
    "typeof": _typeof,
    "bool": _bool,
    "string": to_string,
    "number": _number,
}
ARITY = {name: 2 if name in ("contains", "match") else 1 for name in FUNCTIONS}
