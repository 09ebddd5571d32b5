"""Safe readers over event JSON: events are user input, so any value may have any type.

Every conversions function reads through these, so a hostile event (numbers where strings
belong, nested garbage, NaN) yields missing values instead of exceptions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime

from eventyard.spec.timestamps import parse_iso

__all__ = ["dig", "event_time", "number", "text"]

_EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001 (parse_iso gives naive UTC datetimes)
_MAX_TEXT = 2048
"""Longer strings are not identifiers, IDs or URLs worth forwarding."""


def dig(data: object, *path: str) -> object:
    """`data[path[0]][path[1]]...`, or None where a step is missing or not an object."""
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def text(value: object) -> str | None:
    """A stripped, non-empty string (integers as their digits), else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value) if abs(value) < 10**30 else None
    if not isinstance(value, str) or len(value) > _MAX_TEXT:
        return None
    return value.strip() or None


def number(value: object) -> float | None:
    """A finite number from a JSON number or a numeric string (`"129.90"`), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    if isinstance(value, str) and len(value) > 64:
        return None
    try:
        result = float(value)
    except (ValueError, OverflowError):
        return None
    return result if math.isfinite(result) else None


def event_time(event: Mapping[str, object]) -> float | None:
    """When the event happened, in Unix seconds: skew-corrected `timestamp` first."""
    for key in ("timestamp", "originalTimestamp", "receivedAt"):
        moment = parse_iso(event.get(key))
        if moment is not None:
            return (moment - _EPOCH).total_seconds()
    return None
