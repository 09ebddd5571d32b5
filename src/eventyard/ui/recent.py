"""The newest events of some sources, read back from the event log.

Pages use them as real examples: how many of them a filter keeps, what a mapping makes of
one. The log is partitioned and ordered only within a partition, so each partition is read
backwards in windows and the results are merged by append time. The work is bounded: at most
`SCAN_PER_PARTITION` offsets are looked at per partition, however busy other sources are.
"""

from __future__ import annotations

from typing import Any

import orjson

from eventyard.log.base import EventLog, LogRecord

__all__ = ["SCAN_PER_PARTITION", "recent_events"]

SCAN_PER_PARTITION = 5000
_WINDOW = 500


async def _newest_in(
    log: EventLog, partition: int, end: int, sources: set[str], limit: int
) -> list[LogRecord]:
    """Up to `limit` newest records of `sources` in one partition, newest first."""
    found: list[LogRecord] = []
    floor = max(0, end - SCAN_PER_PARTITION)
    while end > floor and len(found) < limit:
        after = max(floor, end - _WINDOW)
        records = await log.read(partition, after, end - after)
        found += [r for r in reversed(records) if r.source in sources]
        end = after
    return found[:limit]


def _decoded(record: LogRecord) -> dict[str, Any] | None:
    try:
        event = orjson.loads(record.payload)
    except orjson.JSONDecodeError:
        return None
    return event if isinstance(event, dict) else None


async def recent_events(log: EventLog, sources: set[str], limit: int = 200) -> list[dict[str, Any]]:
    """The newest events (Segment JSON, as appended) of `sources` across partitions, newest
    first; events that are not JSON objects are skipped."""
    if not sources or limit <= 0:
        return []
    records: list[LogRecord] = []
    for partition, end in enumerate(await log.end_offsets()):
        records += await _newest_in(log, partition, end, sources, limit)
    records.sort(key=lambda r: (r.appended_at, r.partition, r.offset), reverse=True)
    events = (_decoded(record) for record in records)
    return [event for event in events if event is not None][:limit]
