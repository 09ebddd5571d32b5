"""The debugger's search: one source's events in the log, newest first, that match a query
on messageId, userId, anonymousId, event name or a property or trait value, page by page.

The log has no index by source or field, so a page reads partitions backwards in windows
and keeps the matches. Each request looks at most `MAX_SCAN` records (spread over the
partitions) and stops at `PAGE` matches; the cursor it returns (one offset per partition:
what is left to read) lets "Load older" continue, until every partition is read to its
start. Results are newest first within a page; across partitions they are merged by
append time, so a later page may hold an event a little newer than the end of the one before
when partitions fill at different rates.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from eventyard.log.base import EventLog, LogRecord

__all__ = ["FIELDS", "MAX_SCAN", "PAGE", "Found", "Query", "search"]

MAX_SCAN = 20_000
PAGE = 50
_WINDOW = 500
_MAX_VALUES = 500
_MAX_DEPTH = 6
FIELDS = {
    "": "anything",
    "messageId": "messageId",
    "userId": "userId",
    "anonymousId": "anonymousId",
    "event": "event name",
    "properties": "a property or trait value",
}
"""What a query may look in (`field`), with the words the form shows."""
_IDS = ("messageId", "userId", "anonymousId")


def _values(value: Any, depth: int = 0) -> Iterator[Any]:
    """The scalar values inside a JSON value, depth first."""
    if isinstance(value, dict):
        if depth < _MAX_DEPTH:
            for sub in value.values():
                yield from _values(sub, depth + 1)
    elif isinstance(value, list):
        if depth < _MAX_DEPTH:
            for sub in value:
                yield from _values(sub, depth + 1)
    elif value is not None:
        yield value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True, slots=True)
class Query:
    """Case-insensitive substring search in one field (`field`, a key of FIELDS) or all."""

    text: str
    field: str = ""

    def __post_init__(self) -> None:
        if self.field not in FIELDS:
            raise ValueError(f"search in one of {', '.join(f or 'any' for f in FIELDS)}")

    @property
    def _needle(self) -> bytes | None:
        """The text as it appears in the stored JSON, lowercased, when that is certain."""
        if (
            not self.text.isascii()
            or any(c in self.text for c in '"\\')
            or not self.text.isprintable()
        ):
            return None
        return self.text.casefold().encode()

    def _candidates(self, event: dict[str, Any]) -> Iterator[Any]:
        if self.field in _IDS:
            yield event.get(self.field)
        elif self.field == "event":
            yield event.get("event")
            yield event.get("name")  # a page or screen call's name
        else:
            if self.field == "":
                yield from (event.get(key) for key in (*_IDS, "event", "name"))
            yield from _values(event.get("properties"))
            yield from _values(event.get("traits"))
            yield from _values((event.get("context") or {}).get("traits"))

    def matches(self, payload: bytes) -> bool:
        if not self.text:
            return True
        needle = self._needle
        if needle is not None and needle not in payload.lower():
            return False  # most records: no decoding
        try:
            event = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return False
        if not isinstance(event, dict):
            return False
        wanted = self.text.casefold()
        for count, value in enumerate(self._candidates(event)):
            if count >= _MAX_VALUES:
                return False
            if value is not None and wanted in _text(value).casefold():
                return True
        return False


@dataclass(frozen=True, slots=True)
class Found:
    records: list[LogRecord]
    """Newest first, at most PAGE."""
    cursor: str | None
    """Where "Load older" continues; None once every partition was read to its start."""
    scanned: int


async def _scan(
    log: EventLog, partition: int, end: int, source: str, query: Query, budget: int
) -> tuple[list[LogRecord], int, int]:
    """(matches newest first, up to PAGE; where the scan stopped; records looked at)."""
    found: list[LogRecord] = []
    scanned = 0
    while end > 0 and scanned < budget and len(found) < PAGE:
        after = max(0, end - min(_WINDOW, budget - scanned))
        records = await log.read(partition, after, end - after)
        scanned += end - after
        for record in reversed(records):
            if record.source == source and query.matches(record.payload):
                found.append(record)
        end = after
    return found, end, scanned


async def search(
    log: EventLog, source: str, query: Query, before: list[int] | None = None
) -> Found:
    """One page of `source`'s events matching `query`, older than `before` (default: the
    newest)."""
    starts = before if before is not None else await log.end_offsets()
    budget = max(_WINDOW, MAX_SCAN // max(1, len(starts)))
    per_partition = [
        await _scan(log, partition, end, source, query, budget)
        for partition, end in enumerate(starts)
    ]
    merged = sorted(
        (r for found, _, _ in per_partition for r in found),
        key=lambda r: (r.appended_at, r.partition, r.offset),
        reverse=True,
    )
    shown = merged[:PAGE]
    cursor = []
    for partition, (found, floor, _) in enumerate(per_partition):
        mine = [r.offset for r in shown if r.partition == partition]
        if len(mine) == len(found):
            cursor.append(floor)  # every match of the partition is on this page
        else:  # the rest are older than what is shown: read them again next time
            cursor.append(min(mine) - 1 if mine else starts[partition])
    scanned = sum(n for _, _, n in per_partition)
    more = any(cursor)
    return Found(shown, ".".join(map(str, cursor)) if more else None, scanned)
