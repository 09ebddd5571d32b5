"""Durations written the way people write them in YAML: `24h`, `500ms`, `7d`, or seconds."""

from __future__ import annotations

import re

__all__ = ["Duration", "parse_duration"]

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|m|h|d)?\s*$")


class Duration(float):
    """Seconds, as a float; a distinct type so that config decoding can parse `24h`."""


def parse_duration(value: object) -> Duration:
    """Turn `90`, `1.5`, `"500ms"`, `"24h"` into seconds; raise ValueError naming the forms."""
    if isinstance(value, bool):
        raise ValueError("a duration must be a number of seconds or a string like '30s'")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (match := _PATTERN.match(value)):
        seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"]
    else:
        raise ValueError(
            f"invalid duration {value!r}: write seconds or e.g. '500ms', '30s', '5m', '24h', '7d'"
        )
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    return Duration(seconds)
