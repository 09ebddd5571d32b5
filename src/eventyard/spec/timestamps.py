"""ISO-8601 parsing and formatting, and Segment's clock-skew correction (segment.md §1.7).

    timestamp = receivedAt - (sentAt - originalTimestamp)

is computed as `originalTimestamp + (receivedAt - sentAt)`: the offset is the same for
every message of a request, so it is computed once per request.

Datetimes here are naive and in UTC: formatting aware datetimes costs several times more,
and this runs for every event.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["format_iso", "is_canonical", "parse_iso", "skew_corrected"]


def parse_iso(value: object) -> datetime | None:
    """A naive UTC datetime, or None when `value` is not an ISO-8601 string.

    Times without an offset are taken as UTC, as Segment's libraries always send UTC.
    Fractions finer than microseconds are cut.
    """
    if not isinstance(value, str) or not 10 <= len(value) <= 64:
        return None
    try:
        parsed = datetime.fromisoformat(value[:-1] if value[-1] in "Zz" else value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed
    try:
        return parsed.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        return None


def format_iso(moment: datetime) -> str:
    """`2024-05-01T12:00:00.123Z`: UTC, milliseconds, `Z`, as Segment stores timestamps."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="milliseconds") + "Z"


def is_canonical(text: object) -> bool:
    """Already in `format_iso`'s form (what browsers and analytics-node send), once parsed."""
    return isinstance(text, str) and len(text) == 24 and text[23] == "Z" and text[19] == "."


def skew_corrected(original: datetime, offset: timedelta | None) -> datetime:
    """`original` moved by the request's `receivedAt - sentAt` (None: no correction).

    A correction that leaves the representable range keeps the original time.
    """
    if offset is None:
        return original
    try:
        return original + offset
    except OverflowError:
        return original
