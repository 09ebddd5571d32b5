"""Segment's warehouse types and how a value that does not fit its column is handled.

Segment documents five types (timestamp, integer, float, boolean, varchar), and "data types
are set up in your warehouse based on the first value that comes in": a column keeps the
type it was created with, and later values are cast to it (an integer column keeps
integers when floats arrive later, "resulting in a loss of precision"). We do the same:
- a value of another type is cast to the column's type (float 2.5 -> integer 2, number ->
  varchar '2.5', 'true' -> boolean, '12' -> integer 12);
- a value that cannot be cast (the text 'cheap' for an integer column) is loaded as NULL,
  so the load never fails;
- both are recorded, with the original value, in `_eventyard_type_conflicts`.
An integer arriving in a float column is a lossless widening, not a conflict.
Arrays are stored as JSON text (Segment "stringifies" arrays). Text is cut to 512
characters, Segment's documented string column limit ("will truncate longer strings",
Warehouse Schemas, Column Sizing), in every warehouse.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any, Literal

import orjson

__all__ = ["MAX_VARCHAR", "SegType", "cast", "infer", "to_text", "to_varchar"]

SegType = Literal["timestamp", "integer", "float", "boolean", "varchar"]

MAX_VARCHAR = 512
"""Characters kept of a string value, as in Segment's warehouses."""
_TRUE = frozenset({"true", "t", "yes", "1"})
_FALSE = frozenset({"false", "f", "no", "0"})


def looks_like_time(text: str) -> datetime | None:
    """An ISO-8601 date-time with a time part (Segment infers timestamps from such text)."""
    if len(text) < 19 or len(text) > 40 or text[4] != "-" or text[10] not in "T ":
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def infer(value: Any) -> SegType:
    """The type a first value gives its new column."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, datetime):
        return "timestamp"
    if isinstance(value, str) and looks_like_time(value) is not None:
        return "timestamp"
    return "varchar"


def to_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return repr(value)
    return orjson.dumps(value).decode()


def to_varchar(value: Any) -> str:
    """The value as the text a varchar column holds: at most MAX_VARCHAR characters."""
    return to_text(value)[:MAX_VARCHAR]


_FAIL = object()


def _to_int(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else _FAIL
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            try:
                number = float(value)
            except ValueError:
                return _FAIL
            return int(number) if math.isfinite(number) else _FAIL
    return _FAIL


def _to_float(value: Any) -> Any:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return _FAIL
    return _FAIL


def _to_bool(value: Any) -> Any:
    if isinstance(value, (int, float)):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return _FAIL


def _to_time(value: Any) -> Any:
    if isinstance(value, str):
        parsed = looks_like_time(value)
        return parsed if parsed is not None else _FAIL
    return _FAIL


def cast(value: Any, kind: SegType, column: SegType) -> tuple[Any, bool]:
    """(value for a `column`-typed column, whether the cast worked); `kind` = infer(value)."""
    if column == "varchar":
        return to_varchar(value), True
    if column == "float" and kind == "integer":
        return float(value), True
    if column == "timestamp" and isinstance(value, datetime):
        return value, True
    if column == kind and kind != "timestamp":
        return value, True
    converted = {
        "integer": _to_int,
        "float": _to_float,
        "boolean": _to_bool,
        "timestamp": _to_time,
    }[column](value)
    if converted is _FAIL:
        return None, False
    return converted, True
