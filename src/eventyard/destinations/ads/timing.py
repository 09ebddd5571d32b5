"""Event time in each platform's unit, and the age past which a platform refuses an event.

The conversion object carries `timestamp` in Unix seconds (a float); Meta, TikTok, Snap and
Pinterest want integer seconds, Reddit v3 milliseconds, GA4 microseconds. An event older than
a platform accepts is refused for good, so it is dead-lettered at once instead of being retried
until it expires (conversions.md §8.2).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Any

from eventyard.errors import TerminalError

__all__ = ["check_age", "checked_time", "event_time", "micros", "millis", "seconds", "span"]


def event_time(conversion: Mapping[str, Any]) -> float:
    """When the conversion happened, in Unix seconds."""
    value = conversion.get("timestamp")
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    ):
        return float(value)
    raise TerminalError(
        "the conversion has no valid timestamp (context.eventyard.conversion.timestamp must "
        "be Unix seconds); check the event's timestamp"
    )


def seconds(timestamp: float) -> int:
    return int(timestamp)


def millis(timestamp: float) -> int:
    return round(timestamp * 1000)


def micros(timestamp: float) -> int:
    return round(timestamp * 1_000_000)


def span(duration: float) -> str:
    """`7 days`, `72 hours`: a platform's window as its docs say it."""
    if duration % 86400 == 0:
        days = int(duration // 86400)
        return f"{days} day{'s' if days != 1 else ''}"
    hours = int(duration // 3600)
    return f"{hours} hour{'s' if hours != 1 else ''}"


def check_age(
    timestamp: float, max_age: float | None, platform: str, now: float | None = None
) -> None:
    """TerminalError when the event is older than `max_age` seconds (None: no limit)."""
    if max_age is None:
        return
    age = (time.time() if now is None else now) - timestamp
    if age > max_age:
        raise TerminalError(
            f"the event is {age / 86400:.1f} days old, older than {span(max_age)}; "
            f"{platform} refuses it, so it is not retried"
        )


def checked_time(
    conversion: Mapping[str, Any], max_age: float | None, platform: str, now: float | None = None
) -> float:
    """When the conversion happened, in Unix seconds, once `check_age` let it through."""
    when = event_time(conversion)
    check_age(when, max_age, platform, now)
    return when
